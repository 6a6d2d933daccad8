import Foundation

/// The member names and uncompressed sizes a `.zip` declares in its central directory.
///
/// Not a zip reader — GDAL's `/vsizip/` reads the members. This exists because GDAL refuses
/// an archive whose names climb out of it (`../`) without saying why, and a technician must be
/// told "unsafe path", not "damaged archive"; and because the zip-bomb check must happen
/// before any member is inflated.
enum ArchiveDirectory {
  struct Entry: Equatable {
    var name: String
    var uncompressedSize: Int64
    /// The name's bytes as stored, when not flagged UTF-8.
    var legacyNameBytes: [UInt8]?
  }

  /// The code page to read legacy member names in: the zip format says CP437 (what Windows
  /// Explorer writes, whose accented letters sit in 0x80–0xA5), but many tools write Latin-1 /
  /// Windows-1252 bytes (accented letters in 0xC0–0xFF, box-drawing symbols in CP437).
  static func legacyNameEncoding(_ entries: [Entry]) -> String? {
    var latin = 0
    var oem = 0
    for bytes in entries.compactMap(\.legacyNameBytes) {
      for byte in bytes where byte >= 0x80 {
        if byte >= 0xC0 { latin += 1 } else if byte <= 0xA5 { oem += 1 }
      }
    }
    if latin == 0 && oem == 0 { return nil }
    return latin > oem ? "CP1252" : "CP437"
  }

  /// Nil when the file has no readable end-of-central-directory record (truncated, not a zip).
  static func entries(of path: String) -> [Entry]? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let size = try? handle.seekToEnd(), size >= 22 else { return nil }
    // The end record sits in the last 22 + 65,535 (comment) bytes.
    let tailLength = min(size, 22 + 65_535)
    guard (try? handle.seek(toOffset: size - tailLength)) != nil,
      let tail = try? handle.read(upToCount: Int(tailLength)), tail.count == Int(tailLength)
    else { return nil }
    let bytes = [UInt8](tail)
    var end: Int?
    var index = bytes.count - 22
    while index >= 0 {
      if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 0x05, bytes[index + 3] == 0x06 {
        end = index
        break
      }
      index -= 1
    }
    guard let end else { return nil }
    let count = Int(le16(bytes, end + 10))
    let directorySize = UInt64(le32(bytes, end + 12))
    let directoryOffset = UInt64(le32(bytes, end + 16))
    guard directoryOffset + directorySize <= size,
      (try? handle.seek(toOffset: directoryOffset)) != nil,
      let directoryData = try? handle.read(upToCount: Int(directorySize)),
      directoryData.count == Int(directorySize)
    else { return nil }
    let directory = [UInt8](directoryData)
    var entries: [Entry] = []
    var offset = 0
    for _ in 0..<count {
      guard offset + 46 <= directory.count, le32(directory, offset) == 0x0201_4B50 else { return nil }
      let flags = le16(directory, offset + 8)
      let uncompressed = Int64(le32(directory, offset + 24))
      let nameLength = Int(le16(directory, offset + 28))
      let extraLength = Int(le16(directory, offset + 30))
      let commentLength = Int(le16(directory, offset + 32))
      guard offset + 46 + nameLength <= directory.count else { return nil }
      let nameBytes = directory[(offset + 46)..<(offset + 46 + nameLength)]
      let name = String(decoding: nameBytes, as: UTF8.self)
      let isUTF8 = flags & 0x0800 != 0 || String(validating: nameBytes, as: UTF8.self) != nil
      entries.append(
        Entry(name: name, uncompressedSize: uncompressed, legacyNameBytes: isUTF8 ? nil : Array(nameBytes)))
      offset += 46 + nameLength + extraLength + commentLength
    }
    return entries
  }

  private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
  }

  private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
  }
}
