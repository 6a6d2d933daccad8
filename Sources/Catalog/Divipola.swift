/// A DIVIPOLA municipality code: 2 digits of departamento + 3 of municipio (DANE), for
/// example 11001 (Bogotá, D.C.) or 25394 (La Palma, Cundinamarca).
public struct Divipola: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
  public let code: String

  /// Accepts exactly five ASCII digits; returns nil otherwise.
  public init?(_ text: String) {
    // Fast path: five ASCII digits, nothing to trim.
    let utf8 = text.utf8
    if utf8.count == 5 && utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
      code = text
      return
    }
    let trimmed = text.filter { !$0.isWhitespace }
    guard trimmed.count == 5, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else {
      return nil
    }
    code = trimmed
  }

  public var departamento: String { String(code.prefix(2)) }
  public var municipio: String { String(code.suffix(3)) }
  public var description: String { code }

  public static func < (lhs: Divipola, rhs: Divipola) -> Bool { lhs.code < rhs.code }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = Divipola(text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "not a 5-digit DIVIPOLA code"))
    }
    self = value
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(code)
  }
}
