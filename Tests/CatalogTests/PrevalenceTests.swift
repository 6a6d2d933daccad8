import Catalog
import Foundation
import Testing

@Suite("Art. 32 prevalence and the compatibility matrix")
struct PrevalenceTests {
  func member(_ name: String, _ level: Int?, _ literal: String? = nil, ethnic: Bool = false) -> RankedMember {
    RankedMember(level: level, literal: literal, ethnic: ethnic, name: name, authority: "Autoridad " + name)
  }

  @Test("a strictly lower level prevails, with its citation")
  func prevails() {
    let outcome = Prevalence.resolve([member("Patrimonio", 3), member("Reserva", 1, "b")])
    #expect(outcome.resolution == .prevalece)
    #expect(outcome.prevailingLevel == 1 && outcome.prevailingLiteral == "b")
    #expect(outcome.prevailing == [1])
    #expect(outcome.fundamento.hasPrefix("Ley 2294 de 2023, art. 32, nivel 1 (literal b): prevalece Reserva"))
    #expect(outcome.hint == nil)
  }

  @Test("the same level has no winner: coordination, with a non-normative hint")
  func sameLevel() {
    let outcome = Prevalence.resolve([member("Reserva", 1, "b"), member("Páramo", 1, "c"), member("Vía", 4)])
    #expect(outcome.resolution == .requiereCoordinacion)
    #expect(outcome.prevailing == [0, 1])
    #expect(outcome.prevailingLiteral == nil)
    #expect(outcome.fundamento.contains("parágrafo 1"))
    #expect(outcome.hint?.contains("no normativa") == true)
  }

  @Test("an ethnic territory adds concertación; condicionantes alone are not ranked")
  func ethnic() {
    let outcome = Prevalence.resolve([member("APPA", 2), member("Resguardo", nil, ethnic: true)])
    #expect(outcome.resolution == .unico)
    #expect(outcome.concertacionEtnica)
    #expect(outcome.codes == ["unico", "requiere_concertacion_etnica"])
    let only = Prevalence.resolve([member("Título minero", nil)])
    #expect(only.resolution == .soloCondicionantes && only.prevailingLevel == nil)
  }

  @Test("the bundled matrix: urban land over a páramo is forbidden, production over APPA principal")
  func matrix() throws {
    let catalog = try DeterminantCatalog.bundled()
    let matrix = try CompatibilityMatrix.bundled()
    let urban = ZoningUnit(clase: "Urbano", categoria: nil, tratamiento: "desarrollo", usos: ["vivienda"])
    let paramo = try #require(catalog.descriptor("2"))
    #expect(matrix.quality(codes: paramo.codes, zone: nil, unit: urban)?.0 == .prohibido)
    // A subtype matches its parent's rules: 702 (flood) is type 7.
    let flood = try #require(catalog.descriptor("702"))
    #expect(flood.codes == ["702", "7"] && flood.level == 1 && flood.literal == "d")
    #expect(matrix.quality(codes: flood.codes, zone: nil, unit: urban)?.0 == .condicionado)
    #expect(matrix.quality(codes: flood.codes, zone: "Riesgo no mitigable", unit: urban)?.0 == .prohibido)
    let production = ZoningUnit(
      clase: "rural", categoria: "Producción", tratamiento: nil,
      usos: ZoningUnit.uses("agricultura; ganadería"))
    #expect(matrix.quality(codes: ["10"], zone: nil, unit: production)?.0 == .principal)
    #expect(matrix.quality(codes: ["16"], zone: nil, unit: production) == nil)
    // Every rule names a code of the catalogue.
    #expect(matrix.rules.allSatisfy { catalog.entry($0.determinant) != nil })
  }

  @Test("a malformed matrix names the file, the JSON pointer and the reason")
  func malformed() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "compat-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    let catalog = try DeterminantCatalog.bundled()
    try Data(
      #"{"version": 1, "rules": [{"determinant": "1", "class": "urbano", "quality": "tal vez"}]}"#.utf8
    )
    .write(to: url)
    #expect(throws: CompatibilityMatrix.LoadError.self) { try CompatibilityMatrix.load(from: url) }
    do {
      _ = try CompatibilityMatrix.load(from: url)
    } catch let error as CompatibilityMatrix.LoadError {
      #expect(error.file == url.path)
      #expect(error.pointer == "/rules/0/quality")
    }
    try Data(
      #"{"version": 1, "rules": [{"determinant": "99", "class": "urbano", "quality": "prohibido"}]}"#.utf8
    )
    .write(to: url)
    do {
      _ = try CompatibilityMatrix.load(from: url, catalog: catalog)
      Issue.record("an unknown code was accepted")
    } catch let error as CompatibilityMatrix.LoadError {
      #expect(error.pointer == "/rules/0/determinant" && error.reason.contains("99"))
    }
    try Data(#"{"version": 1, "rules": [{"determinant": "1", "quality": "prohibido"}]}"#.utf8).write(to: url)
    do {
      _ = try CompatibilityMatrix.load(from: url)
      Issue.record("a rule without a POT selector was accepted")
    } catch let error as CompatibilityMatrix.LoadError {
      #expect(error.pointer == "/rules/0")
    }
  }

  @Test("codes compare without case, accents or surrounding blanks, ASCII or not")
  func folding() {
    #expect(CompatibilityMatrix.fold("  URBANO\t") == "urbano")
    #expect(CompatibilityMatrix.fold("Suelo  Rural ") == "suelo  rural")
    #expect(CompatibilityMatrix.fold(" Expansión ") == "expansion")
    #expect(CompatibilityMatrix.fold("PROTECCIÓN") == CompatibilityMatrix.fold("proteccion"))
    #expect(CompatibilityMatrix.fold("") == "")
  }
}
