import Geo
import Overlay
import Testing

/// Golden cases computed by hand.
@Suite("Overlay golden cases")
struct OverlayTests {
  static func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) throws -> Geometry {
    try Geometry(wkt: "POLYGON((\(x0) \(y0), \(x1) \(y0), \(x1) \(y1), \(x0) \(y1), \(x0) \(y0)))")
  }

  /// A = (0,0)-(10,10), B = (5,0)-(15,10), C = (5,5)-(15,15).
  static func threeSquares() throws -> [Geometry] {
    [try square(0, 0, 10, 10), try square(5, 0, 15, 10), try square(5, 5, 15, 15)]
  }

  static func areasByMembers(_ faces: [Face]) -> [[Int]: Double] {
    var out: [[Int]: Double] = [:]
    for face in faces { out[face.members, default: 0] += face.area }
    return out
  }

  @Test("three overlapping squares give the six faces worked out by hand")
  func threeSquaresFaces() throws {
    let faces = try Faces.build(try Self.threeSquares())
    #expect(faces.count == 6)
    let expected: [[Int]: Double] = [[0]: 50, [0, 1]: 25, [0, 1, 2]: 25, [1]: 25, [1, 2]: 25, [2]: 50]
    #expect(Self.areasByMembers(faces) == expected)
    #expect(faces.allSatisfy { !$0.isSliver })
    #expect(faces.map(\.members) == [[0], [0, 1], [0, 1, 2], [1], [1, 2], [2]])
  }

  @Test("tiles cut faces but keep every member set's area")
  func tiledFaces() throws {
    let tiles: [Envelope?] = [
      Envelope(minX: 0, minY: 0, maxX: 7, maxY: 15), Envelope(minX: 7, minY: 0, maxX: 15, maxY: 15),
    ]
    let faces = try Faces.build(try Self.threeSquares(), tiles: tiles)
    let areas = Self.areasByMembers(faces)
    let expected: [[Int]: Double] = [[0]: 50, [0, 1]: 25, [0, 1, 2]: 25, [1]: 25, [1, 2]: 25, [2]: 50]
    for (members, area) in expected { #expect(abs(areas[members]! - area) < 1e-9, "\(members)") }
    #expect(faces.count > 6)
  }

  @Test("input order does not change the faces")
  func shuffled() throws {
    let shapes = try Self.threeSquares()
    let forward = try Faces.build(shapes)
    let backward = try Faces.build(shapes.reversed())
    // Member indices refer to the input order: map them back before comparing.
    let remapped = backward.map { face -> [Int] in face.members.map { 2 - $0 }.sorted() }
    #expect(Set(forward.map(\.members)) == Set(remapped))
    #expect(forward.map(\.area).reduce(0, +) == backward.map(\.area).reduce(0, +))
  }

  @Test("a boundary digitised twice makes a sliver, flagged, and the union area is unchanged")
  func sliver() throws {
    let faces = try Faces.build([try Self.square(0, 0, 10, 10), try Self.square(9.95, 0, 20, 10)])
    let shared = faces.filter { $0.members == [0, 1] }
    #expect(shared.count == 1)
    #expect(shared.allSatisfy { $0.isSliver })
    #expect(abs(faces.map(\.area).reduce(0, +) - 200) < 1e-9)
    let wide = try Faces.build([try Self.square(0, 0, 10, 10), try Self.square(8, 0, 20, 10)])
    #expect(wide.filter { $0.members == [0, 1] }.allSatisfy { !$0.isSliver })
  }

  @Test("a sustracción hole is removed, and removing it twice changes nothing")
  func sustraccion() throws {
    let reserve = try Self.square(0, 0, 100, 100)
    let hole = try Self.square(40, 40, 60, 60)
    let cut = try Preparation.prepare(
      [RawShape(geometry: reserve, buffer: nil, subtract: [0])], sustracciones: [hole], scope: nil)
    guard case .ready(let geometry, let area) = cut[0] else {
      Issue.record("reserve vanished")
      return
    }
    #expect(abs(area - 9_600) < 1e-9)
    let again = try Preparation.prepare(
      [RawShape(geometry: geometry, buffer: nil, subtract: [0])], sustracciones: [hole], scope: nil)
    guard case .ready(_, let areaAgain) = again[0] else {
      Issue.record("reserve vanished")
      return
    }
    #expect(abs(areaAgain - 9_600) < 1e-9)
  }

  @Test("a line determinant is buffered by its rule and clipped to the scope")
  func bufferedLine() throws {
    let river = try Geometry(wkt: "LINESTRING(0 0, 100 0)")
    let scope = try Self.square(0, -50, 100, 50)
    let out = try Preparation.prepare(
      [
        RawShape(geometry: river, buffer: 30, subtract: []),
        RawShape(geometry: river, buffer: nil, subtract: []),
      ], sustracciones: [], scope: scope)
    guard case .ready(_, let area) = out[0] else {
      Issue.record("buffer missing")
      return
    }
    #expect(abs(area - 6_000) < 1e-6)
    #expect(out[1] == .noBuffer)
  }

  @Test("a parcel 40 % inside a level-2 determinant")
  func parcelForty() throws {
    let parcel = try Self.square(0, 0, 100, 100)
    let appa = try Self.square(60, 0, 200, 100)
    let resguardo = try Self.square(-50, -50, 150, 150)
    let result = try Affectations.compute(
      parcels: [parcel], shapes: [appa, resguardo], levels: [2, nil], thresholds: AffectationThresholds(),
      keepGeometry: true)
    #expect(result.count == 1)
    let first = result[0]
    #expect(first.parcelArea == 10_000)
    #expect(first.pieces.map(\.shape) == [0, 1])
    #expect(abs(first.pieces[0].area - 4_000) < 1e-9)
    #expect(first.pieces[1].covered)
    #expect(abs(first.restrictedArea - 4_000) < 1e-9)
    #expect(abs(first.freeArea - 6_000) < 1e-9)
    #expect(first.prevailingLevel == 2)
  }

  @Test("stacked levels: the area of each prevailing level, and slivers dropped")
  func stackedLevels() throws {
    let parcel = try Self.square(0, 0, 100, 100)
    let levelThree = try Self.square(0, 0, 100, 70)  // 7,000 m²
    let levelOne = try Self.square(0, 50, 100, 100)  // 5,000 m², over 2,000 of the level 3
    let noise = try Self.square(99.99, 0, 120, 100)  // 1 m² strip
    let result = try Affectations.compute(
      parcels: [parcel], shapes: [levelThree, levelOne, noise], levels: [3, 1, 4],
      thresholds: AffectationThresholds(minArea: 2, minPercent: 0.01), keepGeometry: false)[0]
    #expect(result.dropped == 1)
    #expect(result.pieces.map(\.shape) == [0, 1])
    #expect(abs(result.restrictedArea - 10_000) < 1e-6)
    #expect(abs(result.areaByLevel[1]! - 5_000) < 1e-6)
    #expect(abs(result.areaByLevel[3]! - 5_000) < 1e-6)
    #expect(result.prevailingLevel == 1)
  }
}
