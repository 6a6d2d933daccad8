/// JSON text written by hand where an encoder would cost more than the work around it (a
/// feature's attributes on every ingested row, the links of every API response).
public enum JSONText {
  /// `text` as a JSON string, quoted and escaped.
  public static func quoted(_ text: String) -> String {
    var out = ""
    append(text, to: &out)
    return out
  }

  /// Appends `text` as a JSON string, quoted and escaped.
  public static func append(_ text: String, to out: inout String) {
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
