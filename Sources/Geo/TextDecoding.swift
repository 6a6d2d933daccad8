/// Decoding of legacy single-byte text (DBF files without a declared code page).
enum TextDecoding {
  /// Windows-1252 code points for bytes 0x80–0x9F; the rest of the range is Latin-1.
  private static let cp1252High: [UInt32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
  ]

  /// Decodes bytes as Windows-1252 (a superset of Latin-1's printable range).
  static func windows1252(_ bytes: some Collection<UInt8>) -> String {
    var scalars = String.UnicodeScalarView()
    for byte in bytes {
      let value = (0x80...0x9F).contains(byte) ? cp1252High[Int(byte - 0x80)] : UInt32(byte)
      scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
    }
    return String(scalars)
  }

  /// Valid UTF-8 is decoded as such; anything else as Windows-1252. The flag says which.
  static func utf8OrWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, usedFallback: Bool) {
    if let text = String(validating: bytes, as: UTF8.self) { return (text, false) }
    return (windows1252(bytes), true)
  }
}
