/// Where the vertices of a polygon of one ring lie in its WKB, read in place: a little-endian
/// 2D Polygon, or MultiPolygon of one Polygon, whose one ring of at least four points ends the
/// bytes. What the plain-Swift shortcuts on convex rings (the load's validity, R3001's
/// separating edge) read; anything else is nil and goes the general way.
public struct SingleRingWKB: Sendable {
  /// Byte offset of the first vertex.
  public let offset: Int
  /// Vertices, the closing one included.
  public let count: Int

  public init?(_ bytes: UnsafeRawBufferPointer) {
    func uint32(_ at: Int) -> Int? {
      at + 4 <= bytes.count
        ? Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) : nil
    }
    guard bytes.count > 0, bytes[0] == 1, let type = uint32(1) else { return nil }
    var rings = 5
    if type == 6 {
      guard uint32(5) == 1, bytes.count > 9, bytes[9] == 1, uint32(10) == 3 else { return nil }
      rings = 14
    } else if type != 3 {
      return nil
    }
    guard uint32(rings) == 1, let count = uint32(rings + 4), count >= 4,
      rings + 8 + 16 * count == bytes.count
    else { return nil }
    offset = rings + 8
    self.count = count
  }

  /// Vertex `k` of the ring whose first vertex is at `offset`.
  @inlinable @inline(__always)
  public static func point(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ k: Int) -> (Double, Double) {
    let at = offset + 16 * k
    return (
      Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))),
      Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)))
    )
  }
}
