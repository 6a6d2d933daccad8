/// A geometry as validated WKB bytes: the value that crosses task, module and database
/// boundaries. Parse it into a ``NativeGeometry`` with a ``GeometryContext`` to compute.
public struct Geometry: Sendable, Hashable {
  /// 2D ISO WKB, as read or as written by GEOS.
  public let wkb: [UInt8]

  /// Checks that `wkb` is a geometry GEOS can read (`GEOSWKBReader_read_r`).
  public init(wkb: [UInt8]) throws {
    let context = try GeometryContext()
    _ = try context.read(wkb: wkb)
    self.wkb = wkb
  }

  /// Bytes PostGIS wrote (`ST_AsBinary`), taken without a parse: a malformed value still
  /// fails, later, where GEOS reads it.
  public init(postgisWKB wkb: [UInt8]) {
    self.wkb = wkb
  }

  /// Bytes this program's own plain-Swift encoders wrote, taken without a parse.
  public init(uncheckedWKB wkb: [UInt8]) {
    self.wkb = wkb
  }

  /// Parses WKT (for tests, fixtures and people).
  public init(wkt: String) throws {
    let context = try GeometryContext()
    self.wkb = try context.read(wkt: wkt).geometry().wkb
  }

  /// Bytes that GEOS itself just wrote.
  init(trustedWKB: [UInt8]) {
    self.wkb = trustedWKB
  }

  /// Hex-encoded EWKB carrying `srid`, the text form PostGIS accepts for a geometry column
  /// (for example in `COPY ... FROM STDIN`).
  public func hexEWKB(srid: Int32) -> String {
    var out: [UInt8] = []
    appendHexEWKB(srid: srid, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// `hexEWKB(srid:)` as UTF-8 bytes appended to `out`: no string per geometry.
  public func appendHexEWKB(srid: Int32, to out: inout [UInt8]) {
    precondition(wkb.count >= 5, "WKB is at least a byte-order byte and a type")
    let littleEndian = wkb[0] == 1
    var type = UInt32(0)
    for index in 0..<4 {
      let byte = UInt32(wkb[1 + index])
      type |= littleEndian ? byte << (8 * index) : byte << (8 * (3 - index))
    }
    type |= 0x2000_0000  // EWKB "has SRID" flag
    let sridBits = UInt32(bitPattern: srid)
    // Header (byte order, type with the SRID flag, SRID), then the WKB after its type: written
    // through a pointer into space reserved once (a byte at a time through `append` was almost
    // half the cost of writing a parcel's COPY row).
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: 2 * (wkb.count + 4)))
    Self.hexDigits.withUnsafeBufferPointer { digits in
      out.withUnsafeMutableBufferPointer { text in
        var position = start
        func hex(_ byte: UInt8) {
          text[position] = digits[Int(byte >> 4)]
          text[position + 1] = digits[Int(byte & 0x0F)]
          position += 2
        }
        hex(wkb[0])
        for index in 0..<4 {
          hex(UInt8(truncatingIfNeeded: type >> (littleEndian ? 8 * index : 8 * (3 - index))))
        }
        for index in 0..<4 {
          hex(UInt8(truncatingIfNeeded: sridBits >> (littleEndian ? 8 * index : 8 * (3 - index))))
        }
        wkb.withUnsafeBufferPointer { bytes in
          for byte in bytes[5...] { hex(byte) }
        }
      }
    }
  }

  private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
