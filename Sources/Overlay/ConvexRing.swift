import Geo

/// A polygon of one convex ring, found in place in its WKB: where its vertices start, how many
/// there are and which way it turns. R3001 meets a coverage's neighbours in hundreds of
/// thousands of pairs (272,000 among 100,000 generated parcels), nearly all two convex
/// polygons sharing an edge; for those the separating-edge test runs on the bytes, without
/// reading both into `PlanarRings` (four arrays a member and a dictionary entry per run).
struct ConvexRing: Sendable {
  /// Byte offset of the first vertex in the WKB.
  let offset: Int
  /// Vertices, the closing one included.
  let count: Int
  /// 1 counter-clockwise, −1 clockwise.
  let turn: Double

  /// Nil unless `wkb` holds one ring (`SingleRingWKB`) that is convex: every turn the same way
  /// or straight, as `PlanarRings` decides it.
  init?(_ wkb: [UInt8]) {
    let found: (offset: Int, count: Int, turn: Double)? = wkb.withUnsafeBytes { bytes in
      guard let ring = SingleRingWKB(bytes) else { return nil }
      let (offset, count) = (ring.offset, ring.count)
      let turn = Self.turnSign(vertices: count - 1) { SingleRingWKB.point(bytes, offset, $0) }
      return turn == 0 ? nil : (offset, count, turn)
    }
    guard let found else { return nil }
    (offset, count, turn) = found
  }

  /// The sign of the turns of a closed ring of `n` distinct vertices (`vertex(k)`, k < n): 1
  /// counter-clockwise, −1 clockwise, 0 when they change sign or are all straight. Shared with
  /// `PlanarRings`, so both find the same rings convex.
  @inline(__always)
  static func turnSign(vertices n: Int, _ vertex: (Int) -> (Double, Double)) -> Double {
    var sign = 0.0
    for i in 0..<n {
      let (ax, ay) = vertex(i)
      let (bx, by) = vertex((i + 1) % n)
      let (cx, cy) = vertex((i + 2) % n)
      let turn = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
      if turn == 0 { continue }
      if sign == 0 {
        sign = turn
      } else if (turn > 0) != (sign > 0) {
        return 0
      }
    }
    return sign == 0 ? 0 : (sign > 0 ? 1 : -1)
  }

  /// `PlanarRings.separates` on the bytes: whether the line of one of this ring's edges leaves
  /// every vertex of `other` outside it, or within `slack` metres inside.
  func separates(_ wkb: [UInt8], _ other: ConvexRing, _ otherWKB: [UInt8], slack: Double) -> Bool {
    wkb.withUnsafeBytes { mine in
      otherWKB.withUnsafeBytes { theirs in
        let (n, m) = (count - 1, other.count - 1)
        edges: for i in 0..<n {
          let (x1, y1) = SingleRingWKB.point(mine, offset, i)
          let (x2, y2) = SingleRingWKB.point(mine, offset, i + 1)
          let (dx, dy) = (x2 - x1, y2 - y1)
          let length = (dx * dx + dy * dy).squareRoot()
          guard length > 0 else { continue }
          let limit = slack * length
          for k in 0..<m {
            let (x, y) = SingleRingWKB.point(theirs, other.offset, k)
            if turn * (dx * (y - y1) - dy * (x - x1)) > limit { continue edges }
          }
          return true
        }
        return false
      }
    }
  }
}
