/// The número predial nacional (NPN): the 30-digit national parcel number of the Colombian
/// cadastre.
///
/// Positions (1-based): 1–2 departamento, 3–5 municipio, 6–7 zona, 8–9 sector, 10–11 comuna,
/// 12–13 barrio, 14–17 manzana or vereda, 18–21 terreno, 22 condición de propiedad,
/// 23–24 edificio, 25–26 piso, 27–30 unidad.
public struct NumeroPredial: Hashable, Sendable, CustomStringConvertible {
  public let digits: String

  /// Why a text is not a valid NPN.
  public enum Problem: Equatable, Sendable {
    case wrongLength(Int)
    case notDigits
    case unknownCondition(Character)
  }

  /// The condición de propiedad codes (position 22).
  public static let conditions: [Character: String] = [
    "0": "no propiedad horizontal",
    "2": "informal",
    "3": "bien de uso público",
    "4": "vía",
    "5": "mejora",
    "7": "parque cementerio",
    "8": "condominio",
    "9": "propiedad horizontal",
  ]

  /// Validates length, digits and the condición code (LADM-COL rule R4005).
  public static func validate(_ text: String) -> Problem? {
    // Fast path, once per parcel on every load: 30 ASCII digits.
    let utf8 = text.utf8
    if utf8.count == 30 && utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
      let condition = Character(Unicode.Scalar(utf8[utf8.index(utf8.startIndex, offsetBy: 21)]))
      return conditions[condition] == nil ? .unknownCondition(condition) : nil
    }
    let count = text.count
    guard count == 30 else { return .wrongLength(count) }
    guard text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .notDigits }
    let condition = text[text.index(text.startIndex, offsetBy: 21)]
    guard conditions[condition] != nil else { return .unknownCondition(condition) }
    return nil
  }

  public init?(_ text: String) {
    guard Self.validate(text) == nil else { return nil }
    digits = text
  }

  /// Digits `from` (1-based) to `from + length - 1`; the digits are ASCII.
  private func slice(_ from: Int, _ length: Int) -> String {
    let utf8 = digits.utf8
    let start = utf8.index(utf8.startIndex, offsetBy: from - 1)
    return String(Substring(utf8[start..<utf8.index(start, offsetBy: length)]))
  }

  public var divipola: Divipola { Divipola(slice(1, 5))! }
  public var zona: String { slice(6, 2) }
  public var sector: String { slice(8, 2) }
  public var manzanaVereda: String { slice(14, 4) }
  public var terreno: String { slice(18, 4) }
  public var condicion: Character {
    Character(Unicode.Scalar(digits.utf8[digits.utf8.index(digits.utf8.startIndex, offsetBy: 21)]))
  }
  public var description: String { digits }
}
