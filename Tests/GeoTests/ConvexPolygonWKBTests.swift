import Fixtures
import Foundation
import Geo
import Testing

@Suite("Convex polygons recognised on their WKB")
struct ConvexPolygonWKBTests {
  static func wkb(_ wkt: String) throws -> [UInt8] { try Geometry(wkt: wkt).wkb }

  static func ring(_ points: [(Double, Double)]) -> String {
    (points + [points[0]]).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
  }

  /// Whether GEOS finds the bytes valid, and then what the GEOS path stores and reports.
  static func geos(_ wkb: [UInt8]) throws -> (valid: Bool, multi: [UInt8], envelope: Envelope?, area: Double)
  {
    let context = try GeometryContext()
    let geometry = try context.read(wkb: wkb)
    guard try geometry.isValid() else { return (false, [], nil, 0) }
    let (valid, _) = try geometry.repaired()
    return (true, try valid.geometry().wkb, try valid.envelope(), try valid.area())
  }

  @Test("a convex ring is stored, boxed and measured exactly as through GEOS")
  func sameAsGEOS() throws {
    var generator = SplitMix64(seed: 17)
    var checked = 0
    for index in 0..<400 {
      // Points on an ellipse at increasing angles, at CTM12's coordinates: convex whichever
      // way they turn.
      let n = 3 + index % 9
      let (cx, cy) = (
        Double.random(in: 4.7e6...5.2e6, using: &generator),
        Double.random(in: 1.9e6...2.3e6, using: &generator)
      )
      let (rx, ry) = (
        Double.random(in: 1...400, using: &generator), Double.random(in: 1...400, using: &generator)
      )
      // Increasing angles at least half a step apart: no two vertices nearly the same point.
      let angles = (0..<n).map {
        2 * Double.pi * (Double($0) + Double.random(in: 0..<0.5, using: &generator)) / Double(n)
      }
      var points = angles.map { (cx + rx * cos($0), cy + ry * sin($0)) }
      if index % 2 == 1 { points.reverse() }
      let wkt = index % 3 == 0 ? "MULTIPOLYGON(((\(Self.ring(points)))))" : "POLYGON((\(Self.ring(points))))"
      let bytes = try Self.wkb(wkt)
      let convex = try #require(ConvexPolygonWKB(bytes), "\(wkt)")
      let reference = try Self.geos(bytes)
      #expect(reference.valid)
      #expect(convex.multiPolygon == reference.multi)
      #expect(convex.envelope == reference.envelope)
      #expect(convex.area == reference.area)
      checked += 1
    }
    #expect(checked == 400)
  }

  @Test("whatever it takes, GEOS finds valid; what it leaves includes every invalid ring")
  func onlyValid() throws {
    var generator = SplitMix64(seed: 29)
    var (taken, left, invalid) = (0, 0, 0)
    for index in 0..<3_000 {
      // Random vertices in random order: convex, concave, bow-ties and stars.
      let n = 3 + index % 6
      let points = (0..<n).map { _ in
        (
          Double.random(in: 0...10, using: &generator).rounded(),
          Double.random(in: 0...10, using: &generator).rounded()
        )
      }
      let bytes = try Self.wkb("POLYGON((\(Self.ring(points))))")
      let reference = try Self.geos(bytes)
      if !reference.valid { invalid += 1 }
      if let convex = ConvexPolygonWKB(bytes) {
        taken += 1
        #expect(reference.valid, "\(points)")
        #expect(convex.multiPolygon == reference.multi)
        #expect(convex.area == reference.area)
      } else {
        left += 1
      }
    }
    // Both ways are exercised: many rings taken, many invalid ones left to GEOS.
    #expect(taken > 300)
    #expect(invalid > 300)
    #expect(left > invalid)
  }

  @Test(
    "rings GEOS must judge are left to it",
    arguments: [
      // A pentagram turns the same way at every vertex, twice around.
      "POLYGON((0 0, 2 6, 4 0, -1 4, 5 4, 0 0))",
      // Concave (an L).
      "POLYGON((0 0, 2 0, 2 1, 1 1, 1 2, 0 2, 0 0))",
      // A straight vertex, a repeated point, a spike.
      "POLYGON((0 0, 1 0, 2 0, 2 2, 0 2, 0 0))",
      "POLYGON((0 0, 2 0, 2 0, 2 2, 0 2, 0 0))",
      "POLYGON((0 0, 2 0, 2 2, 2 3, 2 2, 0 2, 0 0))",
      // A hole, two parts, a ring of two vertices.
      "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))",
      "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 7 5, 7 9, 5 5)))",
      "POLYGON((0 0, 1 0, 0 0, 0 0))",
      // Not a polygon; empty.
      "LINESTRING(0 0, 1 0, 1 1)",
      "POLYGON EMPTY",
    ])
  func leftToGEOS(wkt: String) throws {
    #expect(ConvexPolygonWKB(try Self.wkb(wkt)) == nil)
  }

  @Test("bytes it cannot vouch for are left to GEOS")
  func oddBytes() throws {
    let square = try Self.wkb("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))")
    #expect(ConvexPolygonWKB(square) != nil)
    // Big-endian, trailing bytes, cut short.
    var big = square
    big[0] = 0
    #expect(ConvexPolygonWKB(big) == nil)
    #expect(ConvexPolygonWKB(square + [0]) == nil)
    #expect(ConvexPolygonWKB(Array(square.dropLast(8))) == nil)
    // Not closed: the last vertex moved.
    var open = square
    open[open.count - 1] = 0x3F
    #expect(ConvexPolygonWKB(open) == nil)
    // A NaN coordinate (the second vertex's x: vertices start at byte 13).
    var nan = square
    let bits = Double.nan.bitPattern.littleEndian
    withUnsafeBytes(of: bits) { nan.replaceSubrange(29..<37, with: $0) }
    #expect(ConvexPolygonWKB(nan) == nil)
  }
}
