import Catalog
import Testing

@Suite("Catalog rules")
struct CatalogTests {
  @Test("Accept-Language picks Spanish unless English is preferred")
  func language() {
    #expect(Language(acceptLanguage: nil) == .es)
    #expect(Language(acceptLanguage: "en") == .en)
    #expect(Language(acceptLanguage: "en-US,en;q=0.9,es;q=0.8") == .en)
    #expect(Language(acceptLanguage: "es-CO,es;q=0.9,en;q=0.8") == .es)
    #expect(Language(acceptLanguage: "fr-FR,en;q=0.5") == .en)
    #expect(Language(acceptLanguage: "de") == .es)
    #expect(Language(acceptLanguage: "es;q=0.2, en;q=0.7") == .en)
  }

  @Test("DIVIPOLA codes are five digits")
  func divipola() {
    #expect(Divipola("11001")?.departamento == "11")
    #expect(Divipola("25394")?.municipio == "394")
    #expect(Divipola("1100") == nil)
    #expect(Divipola("11OO1") == nil)
  }

  @Test("NPN: 30 digits with a known condición at position 22")
  func npn() {
    let npn = "253940001000000010001000000000"
    #expect(NumeroPredial.validate(npn) == nil)
    let parsed = NumeroPredial(npn)
    #expect(parsed?.divipola == Divipola("25394"))
    #expect(parsed?.condicion == "0")
    #expect(parsed?.terreno == "0001")
    #expect(NumeroPredial.validate("2539400010000") == .wrongLength(13))
    #expect(NumeroPredial.validate("25394000100000001000100000000A") == .notDigits)
    #expect(NumeroPredial.validate("253940001000000010001600000000") == .unknownCondition("6"))
  }
}
