/// Rows for `COPY ... FROM STDIN` (text format) written as bytes by whoever makes them, so a
/// loader's workers encode their own rows in parallel and nothing per value becomes a string.
public enum CopyText {
  public static let tab = UInt8(ascii: "\t")
  public static let newline = UInt8(ascii: "\n")

  /// `\N` for nil; otherwise the text with backslash, tab, newline and carriage return escaped.
  public static func append(_ value: String?, to out: inout [UInt8]) {
    guard let value else {
      out.append(UInt8(ascii: "\\"))
      out.append(UInt8(ascii: "N"))
      return
    }
    let utf8 = value.utf8
    if !utf8.contains(where: needsEscape) {
      out.append(contentsOf: utf8)
      return
    }
    for byte in utf8 { appendEscaped(byte, to: &out) }
  }

  public static func append(_ number: Int64, to out: inout [UInt8]) {
    out.append(contentsOf: String(number).utf8)
  }

  /// One byte of a text value, escaped as COPY's text format needs.
  @inline(__always)
  static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
    switch byte {
    case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
    case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
    case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
    case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
    default: out.append(byte)
    }
  }

  @inline(__always)
  static func needsEscape(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
      || byte == UInt8(ascii: "\r")
  }
}
