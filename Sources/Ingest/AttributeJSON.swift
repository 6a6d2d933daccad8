import Catalog
import Geo
import Store

/// Serialises a feature's attributes as a JSON object by hand, straight into its COPY row: it
/// runs once per feature, and Foundation's encoders (or a string per object) cost more than
/// the rest of the row.
enum AttributeJSON {
  private static let quote = UInt8(ascii: "\"")
  private static let backslash = UInt8(ascii: "\\")

  /// Appends the object to `out`, escaped for JSON and then for COPY's text format (every
  /// backslash doubled). `npn` and `divipola`, when given, come last: they are what the API
  /// serves under those names (jsonb keeps the last of repeated keys, so they replace a source
  /// column named alike).
  static func append(
    names: [String], values: [FieldValue], extra: [(String, String)], npn: String?, divipola: String?,
    to out: inout [UInt8]
  ) {
    out.append(UInt8(ascii: "{"))
    var first = true
    func key(_ name: String) {
      if !first { out.append(UInt8(ascii: ",")) }
      first = false
      appendString(name, to: &out)
      out.append(UInt8(ascii: ":"))
    }
    for (name, value) in zip(names, values) {
      key(name)
      switch value {
      case .null: out.append(contentsOf: "null".utf8)
      case .integer(let number): out.append(contentsOf: String(number).utf8)
      case .real(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
      case .string(let text): appendString(text, to: &out)
      }
    }
    for (name, text) in extra {
      key(name)
      appendString(text, to: &out)
    }
    if let npn {
      key("npn")
      appendString(npn, to: &out)
    }
    if let divipola {
      key("divipola")
      appendString(divipola, to: &out)
    }
    out.append(UInt8(ascii: "}"))
  }

  /// `text` as a JSON string, COPY-escaped: `"` → `\\"`, `\` → `\\\\`, control characters as
  /// `\\n`, `\\u001f`…
  static func appendString(_ text: String, to out: inout [UInt8]) {
    out.append(quote)
    let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
      for byte in bytes where byte < 0x20 || byte == quote || byte == backslash { return false }
      out.append(contentsOf: bytes)
      return true
    }
    if plain != true {
      for byte in text.utf8 {
        switch byte {
        case quote: out.append(contentsOf: [backslash, backslash, quote])
        case backslash: out.append(contentsOf: [backslash, backslash, backslash, backslash])
        case 0x0A: out.append(contentsOf: [backslash, backslash, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [backslash, backslash, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [backslash, backslash, UInt8(ascii: "t")])
        case 0..<0x20:
          let digits = Array("0123456789abcdef".utf8)
          out.append(contentsOf: [backslash, backslash] + Array("u00".utf8))
          out.append(digits[Int(byte >> 4)])
          out.append(digits[Int(byte & 0x0F)])
        default: out.append(byte)
        }
      }
    }
    out.append(quote)
  }
}
