/// A polygon of one strictly convex ring, recognised on its WKB without GEOS: what a load
/// does with it (validity, promotion to MultiPolygon, box, area) needs no GEOS geometry.
/// Most parcels are such rings (all 100,000 generated ones); reading each into GEOS, testing
/// its validity, promoting it and writing it back took most of a load's geometry work.
///
/// Only a ring GEOS certainly finds valid is taken: little-endian 2D WKB, a Polygon or a
/// MultiPolygon of one Polygon, one ring of at least three vertices, closed, finite, every
/// turn the same way and clearly not straight (a straight or backtracking vertex, a repeated
/// point and a spike all go to GEOS), and turning once around (a pentagram turns every
/// vertex the same way, twice around). Anything else returns nil and takes the GEOS path.
public struct ConvexPolygonWKB: Sendable {
  /// The MultiPolygon WKB GEOS writes for the polygon promoted to multi: the same vertices.
  public let multiPolygon: [UInt8]
  public let envelope: Envelope
  /// The planar area, by GEOS's formula (`Area::ofRing`).
  public let area: Double

  /// A turn whose sine is below this is taken as straight: far above the rounding of the cross
  /// product of two edges of nearby vertices (their differences are exact), so a ring judged
  /// convex here is convex in GEOS's exact arithmetic.
  static let minimumSine = 1e-9

  public init?(_ wkb: [UInt8]) {
    let found: (envelope: Envelope, area: Double)? = wkb.withUnsafeBytes { bytes in
      guard let ring = SingleRingWKB(bytes) else { return nil }
      let (first, count) = (ring.offset, ring.count)
      func vertex(_ k: Int) -> (Double, Double) { SingleRingWKB.point(bytes, first, k) }
      let n = count - 1
      let (x0, y0) = vertex(0)
      let (xn, yn) = vertex(n)
      guard x0 == xn, y0 == yn else { return nil }
      var minX = x0
      var minY = y0
      var maxX = x0
      var maxY = y0
      var sign = 0.0
      // Sign changes of the edges' x direction: twice for a ring turning once around.
      var xChanges = 0
      var firstDX = 0.0
      var lastDX = 0.0
      // GEOS's area: x relative to the first vertex, each vertex times its neighbours' dy.
      var sum = 0.0
      for i in 0..<n {
        let (ax, ay) = vertex(i)
        let (bx, by) = vertex((i + 1) % n)
        let (cx, cy) = vertex((i + 2) % n)
        guard ax.isFinite, ay.isFinite else { return nil }
        minX = Swift.min(minX, ax)
        maxX = Swift.max(maxX, ax)
        minY = Swift.min(minY, ay)
        maxY = Swift.max(maxY, ay)
        let (ux, uy) = (bx - ax, by - ay)
        let (vx, vy) = (cx - bx, cy - by)
        let cross = ux * vy - uy * vx
        let lengths = ((ux * ux + uy * uy) * (vx * vx + vy * vy)).squareRoot()
        guard abs(cross) > Self.minimumSine * lengths else { return nil }
        if sign == 0 {
          sign = cross
        } else if (cross > 0) != (sign > 0) {
          return nil
        }
        if ux != 0 {
          if lastDX == 0 {
            firstDX = ux
          } else if (ux > 0) != (lastDX > 0) {
            xChanges += 1
          }
          lastDX = ux
        }
        // Vertex b (index i + 1): GEOS sums (x − x0)·(y_prev − y_next) over vertices 1..n−1.
        if i + 1 < n { sum += (bx - x0) * (ay - cy) }
      }
      // The sequence is cyclic: the last non-vertical edge against the first.
      if (firstDX > 0) != (lastDX > 0) { xChanges += 1 }
      guard xChanges == 2 else { return nil }
      return (Envelope(minX: minX, minY: minY, maxX: maxX, maxY: maxY), abs(sum / 2))
    }
    guard let found else { return nil }
    envelope = found.envelope
    area = found.area
    if wkb[1] == 6 {
      multiPolygon = wkb
    } else {
      var multi: [UInt8] = [1, 6, 0, 0, 0, 1, 0, 0, 0]
      multi.reserveCapacity(9 + wkb.count)
      multi.append(contentsOf: wkb)
      multiPolygon = multi
    }
  }
}
