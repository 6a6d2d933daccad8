import Geo

/// Serialises attribute values as a JSON object by hand: it runs once per feature, and
/// Foundation's encoders cost more than the rest of the row.
enum AttributeJSON {
  static func object(names: [String], values: [FieldValue], extra: [(String, String)] = []) -> String {
    var out = "{"
    var first = true
    func key(_ name: String) {
      if !first { out += "," }
      first = false
      appendString(name, to: &out)
      out += ":"
    }
    for (name, value) in zip(names, values) {
      key(name)
      switch value {
      case .null: out += "null"
      case .integer(let number): out += String(number)
      case .real(let number): out += number.isFinite ? String(number) : "null"
      case .string(let text): appendString(text, to: &out)
      }
    }
    for (name, text) in extra {
      key(name)
      appendString(text, to: &out)
    }
    out += "}"
    return out
  }

  static func appendString(_ text: String, to out: inout String) {
    out += "\""
    // Fast path: nothing to escape (most values), appended whole.
    if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      out += text
      out += "\""
      return
    }
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{0}"..."\u{1F}":
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
