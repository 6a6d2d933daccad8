import Catalog
import Geo

/// Serialises attribute values as a JSON object by hand: it runs once per feature, and
/// Foundation's encoders cost more than the rest of the row.
enum AttributeJSON {
  /// `npn` and `divipola`, when given, come last: they are what the API serves under those names
  /// (jsonb keeps the last of repeated keys, so they replace a source column named alike).
  static func object(
    names: [String], values: [FieldValue], extra: [(String, String)] = [], npn: String? = nil,
    divipola: String? = nil
  ) -> String {
    var out = "{"
    var first = true
    func key(_ name: String) {
      if !first { out += "," }
      first = false
      JSONText.append(name, to: &out)
      out += ":"
    }
    for (name, value) in zip(names, values) {
      key(name)
      switch value {
      case .null: out += "null"
      case .integer(let number): out += String(number)
      case .real(let number): out += number.isFinite ? String(number) : "null"
      case .string(let text): JSONText.append(text, to: &out)
      }
    }
    for (name, text) in extra {
      key(name)
      JSONText.append(text, to: &out)
    }
    if let npn {
      key("npn")
      JSONText.append(npn, to: &out)
    }
    if let divipola {
      key("divipola")
      JSONText.append(divipola, to: &out)
    }
    out += "}"
    return out
  }
}
