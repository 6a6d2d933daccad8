import Geo
import Testing

@Suite("GEOS wrappers")
struct GEOSTests {
  @Test("WKB round trip keeps the geometry exactly")
  func wkbRoundTrip() throws {
    let context = try GeometryContext()
    let polygon = try context.read(wkt: "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))")
    let value = try polygon.geometry()
    let again = try context.read(value)
    #expect(try again.equalsExact(polygon))
    #expect(try again.area() == 96)
    #expect(try again.geometry() == value)
    // A value built from the bytes validates them.
    #expect(try Geometry(wkb: value.wkb) == value)
  }

  @Test("make-valid turns a bow-tie into two triangles of the right area")
  func bowTie() throws {
    let context = try GeometryContext()
    let bowTie = try context.read(wkt: "POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))")
    #expect(try !bowTie.isValid())
    let (fixed, repair) = try bowTie.repaired()
    #expect(try fixed.isValid())
    #expect(try fixed.type() == .multiPolygon)
    #expect(try fixed.partCount() == 2)
    // Each triangle: base 10, height 5.
    #expect(try fixed.part(0).area() == 25)
    #expect(try fixed.part(1).area() == 25)
    #expect(try fixed.area() == 50)
    #expect(repair.changed)
    #expect(repair.reason?.contains("Self-intersection") == true)
  }

  @Test("a valid polygon is kept and promoted to multi")
  func validKept() throws {
    let context = try GeometryContext()
    let square = try context.read(wkt: "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))")
    let (fixed, repair) = try square.repaired()
    #expect(!repair.changed)
    #expect(try fixed.type() == .multiPolygon)
    #expect(try fixed.area() == 1)
  }

  @Test("a GEOS error message reaches the thrown error")
  func errorMessage() throws {
    let context = try GeometryContext()
    #expect {
      _ = try context.read(wkt: "POLYGON ((0 0, 1 1))")
    } throws: { error in
      guard case GeoError.geos(let function, let message) = error else { return false }
      return function == "GEOSWKTReader_read_r" && message.contains("IllegalArgumentException")
    }
    // Truncated WKB: the reader's own message, not a crash.
    let good = try context.read(wkt: "POINT (1 2)").geometry().wkb
    #expect {
      _ = try Geometry(wkb: Array(good.prefix(9)))
    } throws: { error in
      guard case GeoError.geos(_, let message) = error else { return false }
      return !message.isEmpty && message != "failed without a message"
    }
  }

  @Test("intersection, difference, union and unary union")
  func overlay() throws {
    let context = try GeometryContext()
    let a = try context.read(wkt: "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))")
    let b = try context.read(wkt: "POLYGON ((2 2, 6 2, 6 6, 2 6, 2 2))")
    #expect(try a.intersection(with: b).area() == 4)
    #expect(try a.difference(b).area() == 12)
    #expect(try a.union(with: b).area() == 28)
    let both = try context.collection(.multiPolygon, of: [a, b])
    #expect(try both.unaryUnion().area() == 28)
    #expect(try a.envelope() == Envelope(minX: 0, minY: 0, maxX: 4, maxY: 4))
  }

  @Test("prepared predicates and the STRtree")
  func preparedAndIndex() throws {
    let context = try GeometryContext()
    let big = try PreparedGeometry(context.read(wkt: "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"))
    #expect(try big.contains(context.read(wkt: "POINT (5 5)")))
    #expect(try !big.intersects(context.read(wkt: "POINT (15 5)")))
    #expect(try big.covers(context.read(wkt: "POINT (10 5)")))

    let index = try SpatialIndex(context: context)
    for id in 0..<100 {
      let x = Double(id % 10) * 10
      let y = Double(id / 10) * 10
      try index.insert(Envelope(minX: x, minY: y, maxX: x + 5, maxY: y + 5), id: id)
    }
    #expect(try index.query(Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1)) == [0])
    #expect(try index.query(Envelope(minX: 4, minY: 4, maxX: 11, maxY: 6)) == [0, 1])
    #expect(try index.query(Envelope(minX: 200, minY: 200, maxX: 300, maxY: 300)).isEmpty)
  }

  @Test("polygonize noded linework")
  func polygonize() throws {
    let context = try GeometryContext()
    let a = try context.read(wkt: "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))")
    let b = try context.read(wkt: "POLYGON ((2 2, 6 2, 6 6, 2 6, 2 2))")
    let lines = try context.collection(.multiLineString, of: [a.boundary(), b.boundary()])
    let noded = try lines.noded()
    let faces = try context.polygonize([noded])
    #expect(try faces.partCount() == 3)
    #expect(try faces.area() == 28)
  }

  @Test("hex EWKB carries the SRID for PostGIS")
  func hexEWKB() throws {
    let point = try Geometry(wkt: "POINT (1 2)")
    let hex = point.hexEWKB(srid: 9377)
    // little endian, type 1 with the SRID flag (0x20000001), SRID 9377 = 0x24A1.
    #expect(hex.hasPrefix("0101000020A1240000"))
    #expect(hex.count == (point.wkb.count + 4) * 2)
  }
}
