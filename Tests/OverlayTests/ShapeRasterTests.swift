import Fixtures
import Foundation
import Geo
import Testing

@testable import Overlay

/// The rasters that settle far and wholly-inside parcels without GEOS: every answer they give
/// must be the one GEOS gives, and they must settle most boxes away from a boundary.
@Suite("Shape rasters")
struct ShapeRasterTests {
  static func box(_ e: Envelope) throws -> Geometry {
    try SelfOverlapsTests.rectangle(e.minX, e.minY, e.maxX, e.maxY)
  }

  /// Checks every answer of `shape`'s raster over `boxes` against GEOS; returns how many were
  /// settled (not `.unknown`).
  static func checkAgainstGEOS(
    shape: Geometry, boxes: [Envelope], scope: Envelope, cell: Double,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Int {
    let context = try GeometryContext()
    let native = try context.read(shape)
    let prepared = try PreparedGeometry(native)
    let rings = try #require(PlanarRings(shape))
    let raster = try #require(ShapeRaster(rings, scope: scope, cell: cell))
    var settled = 0
    for box in boxes {
      let answer = raster.answer(box)
      let rectangle = try context.read(try Self.box(box))
      switch answer {
      case .disjoint:
        #expect(try !native.intersects(rectangle), "said disjoint: \(box)", sourceLocation: sourceLocation)
        settled += 1
      case .covers:
        #expect(try prepared.covers(rectangle), "said covers: \(box)", sourceLocation: sourceLocation)
        settled += 1
      case .unknown:
        break
      }
    }
    return settled
  }

  @Test("an L with a hole: boxes outside, inside, in the hole, on edges and on vertices")
  func handMade() throws {
    // L shape 0..100 × 0..100 without the top-right quarter, a 20×20 hole at (20, 20).
    let shape = try Geometry(
      wkt: "POLYGON((0 0, 100 0, 100 50, 50 50, 50 100, 0 100, 0 0), (20 20, 20 40, 40 40, 40 20, 20 20))")
    let scope = Envelope(minX: -50, minY: -50, maxX: 150, maxY: 150)
    let rings = try #require(PlanarRings(shape))
    let raster = try #require(ShapeRaster(rings, scope: scope, cell: 2))
    // The missing quarter.
    #expect(raster.answer(Envelope(minX: 70, minY: 70, maxX: 80, maxY: 80)) == .disjoint)
    // In the hole.
    #expect(raster.answer(Envelope(minX: 25, minY: 25, maxX: 35, maxY: 35)) == .disjoint)
    #expect(raster.answer(Envelope(minX: 5, minY: 60, maxX: 15, maxY: 90)) == .covers)
    #expect(raster.answer(Envelope(minX: 60, minY: 5, maxX: 90, maxY: 15)) == .covers)
    // The inner corner.
    #expect(raster.answer(Envelope(minX: 45, minY: 45, maxX: 55, maxY: 55)) == .unknown)
    // Touching an edge.
    #expect(raster.answer(Envelope(minX: 100, minY: 0, maxX: 110, maxY: 10)) == .unknown)
    // A hole's corner.
    #expect(raster.answer(Envelope(minX: 40, minY: 40, maxX: 45, maxY: 45)) == .unknown)
    // Beyond the scope the raster does not answer.
    #expect(raster.answer(Envelope(minX: -60, minY: 60, maxX: -55, maxY: 70)) == .unknown)
    // Every box of a fine sweep, edges and vertices included, agrees with GEOS.
    var boxes: [Envelope] = []
    for x in stride(from: -10.0, through: 110, by: 5) {
      for y in stride(from: -10.0, through: 110, by: 5) {
        boxes.append(Envelope(minX: x, minY: y, maxX: x + 5, maxY: y + 5))
        boxes.append(Envelope(minX: x, minY: y, maxX: x, maxY: y))
      }
    }
    let settled = try Self.checkAgainstGEOS(shape: shape, boxes: boxes, scope: scope, cell: 2)
    #expect(settled > boxes.count / 2, "only \(settled) of \(boxes.count) settled")
  }

  @Test("jagged, concave, multi-part shapes against thousands of boxes, GEOS on every one")
  func randomShapes() throws {
    var random = SplitMix64(seed: 7)
    func uniform(_ low: Double, _ high: Double) -> Double {
      low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }
    var checked = 0
    var settled = 0
    for _ in 0..<12 {
      // Two star-shaped parts far apart, coordinates in the range of EPSG:9377.
      var parts: [String] = []
      var vertices: [(Double, Double)] = []
      for centre in [(4_900_000.0, 2_100_000.0), (4_901_500.0, 2_100_300.0)] {
        let count = Int(uniform(6, 60))
        var ring: [(Double, Double)] = []
        for k in 0..<count {
          let angle = Double(k) / Double(count) * 2 * Double.pi
          let radius = uniform(100, 600)
          ring.append((centre.0 + radius * cos(angle), centre.1 + radius * sin(angle)))
        }
        vertices += ring
        parts.append("((" + (ring + [ring[0]]).map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "))")
      }
      let shape = try Geometry(wkt: "MULTIPOLYGON(\(parts.joined(separator: ", ")))")
      let scope = Envelope(minX: 4_899_000, minY: 2_099_000, maxX: 4_903_000, maxY: 2_101_500)
      var boxes: [Envelope] = []
      for _ in 0..<300 {
        let x = uniform(scope.minX, scope.maxX - 60)
        let y = uniform(scope.minY, scope.maxY - 60)
        boxes.append(Envelope(minX: x, minY: y, maxX: x + uniform(1, 60), maxY: y + uniform(1, 60)))
      }
      // Boxes with a corner exactly on a vertex of the shape.
      for (x, y) in vertices.prefix(40) {
        boxes.append(Envelope(minX: x, minY: y, maxX: x + 10, maxY: y + 10))
        boxes.append(Envelope(minX: x - 10, minY: y - 10, maxX: x, maxY: y))
      }
      settled += try Self.checkAgainstGEOS(shape: shape, boxes: boxes, scope: scope, cell: uniform(5, 40))
      checked += boxes.count
    }
    #expect(settled > checked / 2, "only \(settled) of \(checked) settled")
  }

  @Test("affectations with rasters and plain-Swift clipping equal GEOS alone, pair by pair")
  func affectationsUnchanged() throws {
    var random = SplitMix64(seed: 11)
    func uniform(_ low: Double, _ high: Double) -> Double {
      low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }
    // A jittered grid of 40 × 40 parcels of about 25 m, and shapes of every kind over it.
    var parcels: [Geometry] = []
    let corners = (0...40).map { i in
      (0...40).map { j in (Double(i) * 25 + uniform(-5, 5), Double(j) * 25 + uniform(-5, 5)) }
    }
    for i in 0..<40 {
      for j in 0..<40 {
        parcels.append(
          try SelfOverlapsTests.polygon([
            corners[i][j], corners[i + 1][j], corners[i + 1][j + 1], corners[i][j + 1],
          ]))
      }
    }
    let context = try GeometryContext()
    var shapes: [Geometry] = [
      try context.read(try Geometry(wkt: "LINESTRING(-10 -10, 400 300, 1010 990)")).buffer(15).geometry(),
      try context.read(try Geometry(wkt: "POINT(500 500)")).buffer(220).geometry(),
      try Geometry(
        wkt:
          "POLYGON((100 100, 900 100, 900 900, 100 900, 100 100), (300 300, 300 700, 700 700, 700 300, 300 300))"
      ),
      // Edges along parcel corners' grid lines.
      try SelfOverlapsTests.rectangle(0, 0, 250, 250),
    ]
    shapes.append(
      try SelfOverlapsTests.polygon(
        (0..<50).map { k in
          let angle = Double(k) / 50 * 2 * Double.pi
          let radius = k % 2 == 0 ? 450.0 : 120.0
          return (500 + radius * cos(angle), 500 + radius * sin(angle))
        }))
    let levels: [Int?] = [1, 2, 3, nil, 1]
    let envelopes = try parcels.map { try context.read($0).envelope() }
    let fast = try Affectations.compute(
      parcels: parcels, envelopes: envelopes, shapes: shapes, levels: levels,
      thresholds: AffectationThresholds(),
      keepGeometry: true)
    let plain = try Affectations.compute(
      parcels: parcels, shapes: shapes, levels: levels, thresholds: AffectationThresholds(),
      keepGeometry: true)
    #expect(fast.count == plain.count)
    #expect(fast.count > 500)
    for (a, b) in zip(fast, plain) {
      #expect(a.parcel == b.parcel)
      #expect(a.pieces.map(\.shape) == b.pieces.map(\.shape))
      #expect(a.pieces.map(\.covered) == b.pieces.map(\.covered))
      for (x, y) in zip(a.pieces, b.pieces) {
        #expect(abs(x.area - y.area) <= 1e-9 * max(1, y.area))
        // The same piece, whichever way it was computed.
        let fastPiece = try context.read(try #require(x.geometry))
        let plainPiece = try context.read(try #require(y.geometry))
        #expect(try fastPiece.isValid())
        #expect(try fastPiece.difference(plainPiece).area() + plainPiece.difference(fastPiece).area() <= 1e-6)
      }
      #expect(abs(a.restrictedArea - b.restrictedArea) <= 1e-9 * max(1, b.restrictedArea))
      #expect(a.prevailingLevel == b.prevailingLevel)
    }
  }

  @Test("clipping by a convex parcel: exact pieces, and GEOS asked where Sutherland–Hodgman would join parts")
  func clipping() throws {
    let context = try GeometryContext()
    let parcel = try SelfOverlapsTests.rectangle(0, 0, 10, 10)
    let clip = try #require(PlanarRings(parcel))
    #expect(clip.isConvex)
    func clipped(_ wkt: String) throws -> PlanarRings.Clipped {
      try #require(PlanarRings(try Geometry(wkt: wkt))).clipped(by: clip)
    }
    // A triangle over a corner: one exact piece.
    guard case .piece(let area, let geometry) = try clipped("POLYGON((5 5, 20 5, 5 20, 5 5))") else {
      Issue.record("no piece")
      return
    }
    let expected = try context.read(try Geometry(wkt: "POLYGON((5 5, 10 5, 10 10, 5 10, 5 5))"))
    #expect(abs(area - 25) < 1e-9)
    let piece = try context.read(geometry)
    #expect(try piece.difference(expected).area() + expected.difference(piece).area() < 1e-9)
    // A U whose arms both enter the parcel: two pieces, which Sutherland–Hodgman joins along
    // the parcel's edge: not simple, so unsure.
    #expect(try clipped("POLYGON((2 5, 4 5, 4 -5, 6 -5, 6 5, 8 5, 8 -10, 2 -10, 2 5))").isUnsure)
    // A hole meeting the parcel: unsure. A hole far away: ignored.
    #expect(
      try clipped("POLYGON((-20 -20, 30 -20, 30 30, -20 30, -20 -20), (2 2, 2 4, 4 4, 4 2, 2 2))").isUnsure)
    guard
      case .piece(let whole, _) = try clipped(
        "POLYGON((-20 -20, 30 -20, 30 30, -20 30, -20 -20), (20 20, 20 25, 25 25, 25 20, 20 20))")
    else {
      Issue.record("no piece")
      return
    }
    #expect(abs(whole - 100) < 1e-9)
    // Touching along an edge, and far away: nothing.
    #expect(try clipped("POLYGON((10 0, 20 0, 20 10, 10 10, 10 0))").isEmpty)
    #expect(try clipped("POLYGON((50 50, 60 50, 60 60, 50 50))").isEmpty)
    // Two parts entering the parcel: a MultiPolygon of two.
    guard
      case .piece(let two, let parts) = try clipped(
        "MULTIPOLYGON(((-5 1, 3 1, 3 3, -5 3, -5 1)), ((7 7, 15 7, 15 9, 7 9, 7 7)))")
    else {
      Issue.record("no piece")
      return
    }
    #expect(abs(two - 12) < 1e-9)
    #expect(try context.read(parts).partCount() == 2)
  }

  @Test("areas from the rings equal GEOS's: holes, parts, CTM12 coordinates")
  func ringAreas() throws {
    let context = try GeometryContext()
    for wkt in [
      "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))",
      "MULTIPOLYGON(((4900000 2100000, 4900030.5 2100000.25, 4900031 2100020, 4900000 2100021, 4900000 2100000)),"
        + " ((4900100 2100100, 4900110 2100100, 4900110 2100110, 4900100 2100100)))",
    ] {
      let geometry = try Geometry(wkt: wkt)
      let rings = try #require(PlanarRings(geometry))
      let exact = try context.read(geometry).area()
      #expect(abs(rings.area - exact) <= 1e-9 * exact, "\(rings.area) vs \(exact)")
    }
  }

  @Test("every piece clipped in Swift is valid and is GEOS's intersection: random stars over a jittered grid")
  func clippingAgainstGEOS() throws {
    var random = SplitMix64(seed: 23)
    func uniform(_ low: Double, _ high: Double) -> Double {
      low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }
    // Parcels of about 25 m at CTM12's millions of metres, where rounding bites.
    let (x0, y0) = (4_900_000.0, 2_100_000.0)
    let corners = (0...30).map { i in
      (0...30).map { j in (x0 + Double(i) * 25 + uniform(-5, 5), y0 + Double(j) * 25 + uniform(-5, 5)) }
    }
    let context = try GeometryContext()
    var parcels: [(Geometry, PlanarRings, NativeGeometry)] = []
    for i in 0..<30 {
      for j in 0..<30 {
        let parcel = try SelfOverlapsTests.polygon([
          corners[i][j], corners[i + 1][j], corners[i + 1][j + 1], corners[i][j + 1],
        ])
        let rings = try #require(PlanarRings(parcel))
        if rings.isConvex { parcels.append((parcel, rings, try context.read(parcel))) }
      }
    }
    var settled = 0
    var unsure = 0
    var stars = 0
    for _ in 0..<12 {
      // A star with spikes of every width, some of its vertices on the parcels' corners.
      let count = Int(uniform(20, 120))
      var star: [(Double, Double)] = []
      for k in 0..<count {
        let angle = Double(k) / Double(count) * 2 * Double.pi
        let radius = uniform(40, 370)
        let (x, y) = (375 + radius * cos(angle), 375 + radius * sin(angle))
        if k % 5 == 3 {
          // Snapped to the nearest parcel corner.
          star.append(corners[Int((x / 25).rounded())][Int((y / 25).rounded())])
        } else {
          star.append((x0 + x, y0 + y))
        }
      }
      let shape = try SelfOverlapsTests.polygon(star)
      let native = try context.read(shape)
      guard try native.isValid() else { continue }
      stars += 1
      let rings = try #require(PlanarRings(shape))
      for (_, clip, parcel) in parcels {
        switch rings.clipped(by: clip) {
        case .unsure:
          unsure += 1
        case .empty:
          #expect(try parcel.intersection(with: native).area() < 1e-6)
        case .piece(let area, let geometry):
          settled += 1
          let piece = try context.read(geometry)
          let exact = try parcel.intersection(with: native)
          let reason = try piece.validityReason()
          #expect(try piece.isValid(), "\(reason)")
          // Both round at CTM12's millions of metres: a few 1e-9 m² apart.
          let exactArea = try exact.area()
          #expect(abs(area - exactArea) <= 1e-7 + 1e-9 * area, "\(area) vs \(exactArea)")
          #expect(try piece.difference(exact).area() + exact.difference(piece).area() <= 1e-6)
        }
      }
    }
    #expect(stars >= 4, "only \(stars) valid stars")
    #expect(settled > unsure, "\(settled) settled, \(unsure) left to GEOS")
  }
}

extension PlanarRings.Clipped {
  var isUnsure: Bool { if case .unsure = self { true } else { false } }
  var isEmpty: Bool { if case .empty = self { true } else { false } }
}
