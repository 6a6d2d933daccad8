import Catalog
import Geo
import Store

/// Serialises a feature's attributes as a JSON object by hand, straight into its COPY row: it
/// runs once per feature, and Foundation's encoders (or a string per object) cost more than
/// the rest of the row.
enum AttributeJSON {
  private static let quote = UInt8(ascii: "\"")
  private static let backslash = UInt8(ascii: "\\")

  /// A layer's keys, worked out once: each written as `"name":`, COPY-escaped. Stored as
  /// `json`, an object keeps repeated keys, so a name is written once: a source column named
  /// like a later one (after `--map`) or like an extra is left out, and the codes the ingest
  /// extracted take the place of the columns named `npn` and `divipola`, or come last. The
  /// extras (the source layer's name, `_source`) have names of their own.
  struct Layout {
    /// `"name":` of each source column, escaped for JSON and COPY; nil when left out.
    let keys: [[UInt8]?]
    let extra: [(key: [UInt8], value: [UInt8])]
    /// The source columns whose values the extracted NPN and DIVIPOLA code replace.
    let npnSlot: Int?
    let divipolaSlot: Int?

    init(names: [String], extra: [(String, String)]) {
      func key(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        AttributeJSON.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        return bytes
      }
      let extraNames = Set(extra.map(\.0))
      let kept = names.indices.map { index in
        !extraNames.contains(names[index]) && !names[(index + 1)...].contains(names[index])
      }
      keys = names.indices.map { kept[$0] ? key(names[$0]) : nil }
      npnSlot = names.indices.first { kept[$0] && names[$0] == "npn" }
      divipolaSlot = names.indices.first { kept[$0] && names[$0] == "divipola" }
      self.extra = extra.map { name, text in
        var value: [UInt8] = []
        AttributeJSON.appendString(text, to: &value)
        return (key(name), value)
      }
    }
  }

  /// Appends the object to `out`, escaped for JSON and then for COPY's text format (every
  /// backslash doubled): the source's columns in their order, `layout`'s extras, and `npn` and
  /// `divipola` when given (what the API serves under those names) in place of the columns
  /// named alike, else last.
  static func append(
    _ layout: Layout, values: [FieldValue], npn: String?, divipola: String?, to out: inout [UInt8]
  ) {
    out.append(UInt8(ascii: "{"))
    var first = true
    func key(_ bytes: [UInt8]) {
      if !first { out.append(UInt8(ascii: ",")) }
      first = false
      out.append(contentsOf: bytes)
    }
    for (index, value) in zip(layout.keys.indices, values) {
      guard let name = layout.keys[index] else { continue }
      key(name)
      if index == layout.npnSlot, let npn {
        appendString(npn, to: &out)
        continue
      }
      if index == layout.divipolaSlot, let divipola {
        appendString(divipola, to: &out)
        continue
      }
      switch value {
      case .null: out.append(contentsOf: "null".utf8)
      case .integer(let number): out.append(contentsOf: String(number).utf8)
      case .real(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
      case .string(let text): appendString(text, to: &out)
      }
    }
    for (name, value) in layout.extra {
      key(name)
      out.append(contentsOf: value)
    }
    if let npn, layout.npnSlot == nil {
      key(npnKey)
      appendString(npn, to: &out)
    }
    if let divipola, layout.divipolaSlot == nil {
      key(divipolaKey)
      appendString(divipola, to: &out)
    }
    out.append(UInt8(ascii: "}"))
  }

  private static let npnKey = Array(#""npn":"#.utf8)
  private static let divipolaKey = Array(#""divipola":"#.utf8)

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
