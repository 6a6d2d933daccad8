import Fixtures
import Foundation
import Geo
import Testing

@testable import Overlay

/// R3001: overlapping members of one layer, with the plain-Swift dismissal of touching pairs
/// checked against GEOS on every pair.
@Suite("Self overlaps (R3001)")
struct SelfOverlapsTests {
  static func polygon(_ points: [(Double, Double)]) throws -> Geometry {
    let ring = (points + [points[0]]).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    return try Geometry(wkt: "POLYGON((\(ring)))")
  }

  static func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) throws -> Geometry {
    try polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
  }

  static func overlaps(_ geometries: [Geometry], minimumArea: Double = 0) throws -> [[Int]: Double] {
    let context = try GeometryContext()
    let envelopes = try geometries.map { try context.read($0).envelope() }
    let index = try SelfOverlaps.Index(envelopes: envelopes) { geometries[$0] }
    var out: [[Int]: Double] = [:]
    for run in index.spatialRuns(size: 3) {
      for pair in try SelfOverlaps.find(
        members: run, index: index, minimumArea: minimumArea, geometry: { geometries[$0] })
      {
        out[[pair.first, pair.second]] = pair.area
      }
    }
    return out
  }

  /// Every pair by GEOS, with no shortcut.
  static func bruteForce(_ geometries: [Geometry], minimumArea: Double = 0) throws -> [[Int]: Double] {
    let context = try GeometryContext()
    let natives = try geometries.map { try context.read($0) }
    var out: [[Int]: Double] = [:]
    for i in natives.indices {
      for j in natives.indices where j > i {
        let area = try natives[i].intersection(with: natives[j]).area()
        if area > minimumArea { out[[i, j]] = area }
      }
    }
    return out
  }

  @Test("neighbours sharing edges, T-junctions included, do not overlap")
  func touching() throws {
    let layer = [
      try Self.rectangle(0, 0, 10, 10), try Self.rectangle(10, 0, 20, 5), try Self.rectangle(10, 5, 20, 10),
      try Self.rectangle(0, 10, 20, 12),
    ]
    #expect(try Self.overlaps(layer).isEmpty)
    let rings = layer.map { PlanarRings($0)! }
    #expect(rings[0].interiorsDisjoint(rings[1]) && rings[1].interiorsDisjoint(rings[0]))
    #expect(rings[0].interiorsDisjoint(rings[3]) && rings[2].interiorsDisjoint(rings[3]))
  }

  @Test(
    "an edge line separating two convex polygons dismisses the pair; the overlap it lets pass stays in its bound"
  )
  func separatingEdges() throws {
    // Neighbours at CTM12 coordinates sharing an edge, one with an extra vertex on it.
    let (x0, y0) = (4_830_000.0, 2_120_000.0)
    let left = PlanarRings(try Self.polygon([(x0, y0), (x0 + 30, y0), (x0 + 30, y0 + 20), (x0, y0 + 20)]))!
    let right = PlanarRings(
      try Self.polygon([
        (x0 + 30, y0), (x0 + 55, y0 + 3), (x0 + 50, y0 + 20), (x0 + 30, y0 + 20), (x0 + 30, y0 + 7),
      ]))!
    #expect(left.isConvex && right.isConvex)
    #expect(left.separates(right, slack: 1e-6) && right.separates(left, slack: 1e-6))
    // Random convex polygons: whenever an edge separates them, GEOS's intersection is within
    // slack × the box diagonal; pairs that really overlap are never dismissed.
    var generator = SplitMix64(seed: 11)
    let context = try GeometryContext()
    var shapes: [(rings: PlanarRings, native: NativeGeometry)] = []
    for _ in 0..<120 {
      let (cx, cy) = (x0 + generator.uniform(0, 300), y0 + generator.uniform(0, 300))
      let radius = generator.uniform(5, 60)
      let sides = Int(generator.uniform(3, 9))
      let turn = generator.uniform(0, 2 * Double.pi)
      let points = (0..<sides).map { k -> (Double, Double) in
        let angle = turn + Double(k) / Double(sides) * 2 * Double.pi
        return (cx + radius * cos(angle), cy + radius * sin(angle))
      }
      let geometry = try Self.polygon(points)
      shapes.append((PlanarRings(geometry)!, try context.read(geometry)))
    }
    var separated = 0
    var overlapping = 0
    for i in shapes.indices {
      for j in shapes.indices where j != i {
        let (a, b) = (shapes[i].rings, shapes[j].rings)
        let slack = 0.01
        let area = try shapes[i].native.intersection(with: shapes[j].native).area()
        if a.separates(b, slack: slack) {
          separated += 1
          let diagonal = ((a.maxX - a.minX) * (a.maxX - a.minX) + (a.maxY - a.minY) * (a.maxY - a.minY))
            .squareRoot()
          #expect(area <= slack * diagonal + 1e-9, "pair \(i), \(j): \(area) m²")
        } else if area > 1 {
          overlapping += 1
        }
      }
    }
    #expect(separated > 1_000 && overlapping > 100)
  }

  @Test("copies, crossings, sub-shapes and partial overlaps are found with their areas")
  func overlapping() throws {
    let layer = [
      try Self.rectangle(0, 0, 10, 10),  // 0
      try Self.rectangle(0, 0, 10, 10),  // 1: a copy of 0
      try Self.polygon([(0, 0), (10, 0), (10, 10)]),  // 2: half of 0 on three of its corners
      try Self.rectangle(30, 4, 40, 6),  // 3
      try Self.rectangle(34, 0, 36, 10),  // 4: crosses 3 with no vertex inside it
      try Self.rectangle(9, 20, 19, 30),  // 5
      try Self.rectangle(0, 20, 10, 30),  // 6: 1 m wide overlap with 5
    ]
    let found = try Self.overlaps(layer)
    let expected: [[Int]: Double] = [[0, 1]: 100, [0, 2]: 50, [1, 2]: 50, [3, 4]: 4, [5, 6]: 10]
    #expect(found == expected)
    #expect(try Self.overlaps(layer, minimumArea: 20) == [[0, 1]: 100, [0, 2]: 50, [1, 2]: 50])
    let rings = layer.map { PlanarRings($0)! }
    #expect(!rings[0].interiorsDisjoint(rings[1]))
    #expect(!rings[3].interiorsDisjoint(rings[4]))
    #expect(!rings[2].interiorsDisjoint(rings[0]))
    // Clipping by a convex polygon keeps the area inside it, for either polygon clipped.
    #expect(rings[0].isConvex && rings[2].isConvex)
    #expect(abs(rings[0].clippedArea(by: rings[2]) - 50) < 1e-9)
    #expect(abs(rings[5].clippedArea(by: rings[6]) - 10) < 1e-9)
    #expect(abs(rings[3].clippedArea(by: rings[4]) - 4) < 1e-9)
    let notch = PlanarRings(try Self.polygon([(0, 0), (10, 0), (10, 10), (5, 5), (0, 10)]))!
    #expect(!notch.isConvex)
    #expect(abs(notch.clippedArea(by: rings[0]) - 75) < 1e-9)
  }

  @Test("a polygon's box read from its WKB is GEOS's; other types are left to GEOS")
  func boxFromWKB() throws {
    let context = try GeometryContext()
    let geometries = [
      try Self.rectangle(-3.5, 2, 10, 10.25),
      try Geometry(
        wkt: "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 7 5, 7 9, 5 5), (5.5 5.5, 6 5.5, 6 6, 5.5 5.5)))"),
    ]
    for geometry in geometries {
      #expect(Envelope(polygonWKB: geometry) == (try context.read(geometry).envelope()))
    }
    // Big-endian (XDR) WKB reads the same: POLYGON((1 2, 4 2, 4 7, 1 2)).
    var xdr: [UInt8] = [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 4]
    for value in [1.0, 2, 4, 2, 4, 7, 1, 2] {
      xdr += withUnsafeBytes(of: value.bitPattern.bigEndian, Array.init)
    }
    #expect(Envelope(polygonWKB: try Geometry(wkb: xdr)) == Envelope(minX: 1, minY: 2, maxX: 4, maxY: 7))
    #expect(Envelope(polygonWKB: try Geometry(wkt: "POINT(1 2)")) == nil)
    #expect(Envelope(polygonWKB: try Geometry(wkt: "POLYGON EMPTY")) == nil)
  }

  @Test(
    "one convex ring found in place in the WKB where PlanarRings finds it, turning the same way, separating the same pairs"
  )
  func convexRingsInPlace() throws {
    var generator = SplitMix64(seed: 23)
    var shapes: [Geometry] = []
    for k in 0..<300 {
      let (cx, cy) = (4_830_000 + generator.uniform(0, 200), 2_120_000 + generator.uniform(0, 200))
      let sides = Int(generator.uniform(3, 9))
      let turn = generator.uniform(0, 2 * Double.pi)
      // Every third polygon has a vertex pulled in (often no longer convex); half are clockwise.
      var points = (0..<sides).map { i -> (Double, Double) in
        let angle = turn + Double(i) / Double(sides) * 2 * Double.pi
        let radius = (k % 3 == 0 && i == 1 ? 0.3 : 1) * generator.uniform(20, 40)
        return (cx + radius * cos(angle), cy + radius * sin(angle))
      }
      if k % 2 == 0 { points.reverse() }
      let ring = (points + [points[0]]).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
      switch k % 5 {
      case 0: shapes.append(try Geometry(wkt: "MULTIPOLYGON(((\(ring))))"))
      case 1:
        // Two parts, or a hole: never one ring.
        shapes.append(try Geometry(wkt: "MULTIPOLYGON(((\(ring))),((0 0, 1 0, 1 1, 0 0)))"))
        shapes.append(
          try Geometry(
            wkt:
              "POLYGON((\(cx - 100) \(cy - 100), \(cx + 100) \(cy - 100), \(cx + 100) \(cy + 100), \(cx - 100) \(cy - 100)), (\(ring)))"
          ))
      default: shapes.append(try Geometry(wkt: "POLYGON((\(ring)))"))
      }
    }
    // A big-endian square: left to PlanarRings.
    var bigEndian: [UInt8] = [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 5]
    for (x, y) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)] {
      bigEndian += withUnsafeBytes(of: x.bitPattern.bigEndian, Array.init)
      bigEndian += withUnsafeBytes(of: y.bitPattern.bigEndian, Array.init)
    }
    #expect(PlanarRings(try Geometry(wkb: bigEndian))?.isConvex == true)
    #expect(ConvexRing(bigEndian) == nil)

    let rings = shapes.map { PlanarRings($0)! }
    let found = shapes.map { ConvexRing($0.wkb) }
    var convex = 0
    for k in shapes.indices {
      #expect((found[k] != nil) == rings[k].isConvex, "shape \(k)")
      if let ring = found[k] {
        convex += 1
        #expect(ring.count == rings[k].vertexCount)
        #expect(ring.turn * Self.signedArea(rings[k]) > 0, "shape \(k)")
      }
    }
    #expect(convex > 100 && convex < shapes.count - 50)
    var separated = 0
    for i in shapes.indices {
      for j in shapes.indices where j != i {
        guard let a = found[i], let b = found[j] else { continue }
        for slack in [0.0, 0.5] {
          let expected = rings[i].separates(rings[j], slack: slack)
          #expect(a.separates(shapes[i].wkb, b, shapes[j].wkb, slack: slack) == expected, "pair \(i), \(j)")
          if expected { separated += 1 }
        }
      }
    }
    #expect(separated > 1_000)
  }

  /// Twice the signed area of a one-ring polygon: > 0 counter-clockwise.
  static func signedArea(_ rings: PlanarRings) -> Double {
    var sum = 0.0
    for i in 0..<(rings.vertexCount - 1) {
      sum += rings.xs[i] * rings.ys[i + 1] - rings.xs[i + 1] * rings.ys[i]
    }
    return sum
  }

  @Test("a jittered coverage with injected overlaps: the same pairs and areas as GEOS on every pair")
  func agreesWithGEOS() throws {
    var generator = SplitMix64(seed: 7)
    let side = 12
    // Grid vertices moved at random: the cells form a coverage with exactly shared vertices.
    var xs = [[Double]](repeating: [Double](repeating: 0, count: side + 1), count: side + 1)
    var ys = xs
    for r in 0...side {
      for c in 0...side {
        let inner = r > 0 && r < side && c > 0 && c < side
        xs[r][c] = Double(c) * 100 + (inner ? generator.uniform(-30, 30) : 0)
        ys[r][c] = Double(r) * 100 + (inner ? generator.uniform(-30, 30) : 0)
      }
    }
    var layer: [Geometry] = []
    for r in 0..<side {
      for c in 0..<side {
        // Split some edges with an extra vertex on them (a T-junction for one neighbour only).
        var ring = [(xs[r][c], ys[r][c])]
        if c % 3 == 0 {
          ring.append(((xs[r][c] + xs[r][c + 1]) / 2, (ys[r][c] + ys[r][c + 1]) / 2))
        }
        ring += [
          (xs[r][c + 1], ys[r][c + 1]), (xs[r + 1][c + 1], ys[r + 1][c + 1]), (xs[r + 1][c], ys[r + 1][c]),
        ]
        layer.append(try Self.polygon(ring))
      }
    }
    // Overlaps: random rectangles, a copy, and a cell shifted by a fraction of a metre.
    for _ in 0..<15 {
      let x = generator.uniform(0, 1_100)
      let y = generator.uniform(0, 1_100)
      layer.append(try Self.rectangle(x, y, x + generator.uniform(5, 150), y + generator.uniform(5, 150)))
    }
    layer.append(layer[40])
    layer.append(try Self.rectangle(500.4, 500.4, 560, 560))
    // Members with many vertices, taken piece by piece: a 1,500-gon over some cells, and a
    // strip touching the grid's right side along a 1,000-vertex edge.
    layer.append(
      try Self.polygon(
        (0..<1_500).map {
          let angle = Double($0) / 1_500 * 2 * Double.pi
          return (620 + 170 * cos(angle), 610 + 170 * sin(angle))
        }))
    layer.append(
      try Self.polygon(
        [(1_400, 0), (1_400, 1_200)] + (0...1_000).map { (1_200, 1_200 - Double($0) * 1.2) }))
    let ours = try Self.overlaps(layer, minimumArea: 1)
    let theirs = try Self.bruteForce(layer, minimumArea: 1)
    #expect(ours.count == theirs.count)
    #expect(Set(ours.keys) == Set(theirs.keys))
    for (pair, area) in theirs {
      #expect(abs((ours[pair] ?? 0) - area) < 1e-6 * max(area, 1), "pair \(pair)")
    }
    #expect(ours.count > 15)
  }
}

@Suite("Envelope grid")
struct EnvelopeGridTests {
  @Test("queries find every box meeting the query once, in order, whether boxes span one cell, many or most")
  func queriesMatchBruteForce() {
    var generator = SystemRandomNumberGenerator()
    func box(_ size: Double) -> Envelope {
      let x = Double.random(in: 0...1_000, using: &generator)
      let y = Double.random(in: 0...1_000, using: &generator)
      return Envelope(
        minX: x, minY: y, maxX: x + Double.random(in: 0...size, using: &generator),
        maxY: y + Double.random(in: 0...size, using: &generator))
    }
    // Mostly parcels, some boxes across many cells, a few across most of the grid ("wide").
    let boxes = (0..<3_000).map { k in box(k % 100 == 0 ? 900 : k % 10 == 0 ? 120 : 15) }
    let grid = EnvelopeGrid(boxes)
    var found: [Int] = []
    for query in boxes.prefix(500) + (0..<200).map({ _ in box(300) }) {
      grid.query(query, into: &found)
      let expected = boxes.indices.filter { boxes[$0].intersects(query) }
      #expect(found == expected)
      #expect(grid.query(query) == expected)
    }
  }
}
