import Geo
import Testing

@Suite("PROJ transformer")
struct PROJTests {
  // Expected values computed once with PROJ 9.1.1:
  //   echo "4.6097 -74.0817" | cs2cs -d 4 EPSG:4686 EPSG:9377   → 2067458.0184 4880061.5591
  //   echo "2012345.6789 4890123.4567" | cs2cs -d 9 EPSG:9377 EPSG:4686 → 4.111118172 -73.990310220
  // (cs2cs uses the CRSs' declared axis order: lat/lon and northing/easting.)

  @Test("EPSG:4686 to EPSG:9377 matches cs2cs to 1 mm, lon/lat in, easting/northing out")
  func forward() throws {
    let transformer = try Transformer(fromEPSG: 4686, toEPSG: 9377)
    let (x, y) = try transformer.transform(x: -74.0817, y: 4.6097)
    #expect(abs(x - 4_880_061.5591) < 0.001)
    #expect(abs(y - 2_067_458.0184) < 0.001)
  }

  @Test(
    "a copy transforms exactly as a transformer made afresh, with several candidate operations too, on threads of its own"
  )
  func copies() async throws {
    // Points across Colombia: EPSG:4218 (Bogotá 1975) has 17 operations to EPSG:9377, each for
    // its own area, chosen per point.
    let lon = [-77.28, -75.57, -74.08, -72.51, -70.0, -76.52, -81.7]
    let lat = [1.21, 6.25, 4.61, 7.89, 4.0, 3.44, 12.58]
    for source in ["EPSG:4686", "EPSG:4326", "EPSG:4218", "EPSG:3116"] {
      let original = try Transformer(from: source, to: "EPSG:9377")
      var (x0, y0) = (lon, lat)
      if source == "EPSG:3116" {
        try Transformer(from: "EPSG:4686", to: source).transform(x: &x0, y: &y0)
      }
      let input = (x0, y0)
      var fresh = input
      try Transformer(from: source, to: "EPSG:9377").transform(x: &fresh.0, y: &fresh.1)
      let copies = try (0..<2).map { _ in try #require(original.copy()) }
      let results = try await withThrowingTaskGroup(of: [Double].self) { group in
        for copy in copies {
          nonisolated(unsafe) let copy = copy
          group.addTask {
            var (x, y) = input
            for _ in 0..<50 { (x, y) = input; try copy.transform(x: &x, y: &y) }
            return x + y
          }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(results.count == 2)
      for result in results { #expect(result == fresh.0 + fresh.1, "\(source)") }
      #expect(copies[0].source == source && copies[0].target == "EPSG:9377")
    }
  }

  @Test("EPSG:9377 back to EPSG:4686 matches cs2cs")
  func inverse() throws {
    let transformer = try Transformer(fromEPSG: 9377, toEPSG: 4686)
    let (lon, lat) = try transformer.transform(x: 4_890_123.4567, y: 2_012_345.6789)
    // 1e-8 degree ≈ 1 mm.
    #expect(abs(lon - -73.990310220) < 1e-8)
    #expect(abs(lat - 4.111118172) < 1e-8)
  }

  @Test("batch transform of coordinate arrays and of a geometry agree")
  func batch() throws {
    let transformer = try Transformer(fromEPSG: 4686, toEPSG: 9377)
    var xs = [-74.0817, -75.0, -73.0]
    var ys = [4.6097, 6.25, 4.0]
    try transformer.transform(x: &xs, y: &ys)
    #expect(abs(xs[0] - 4_880_061.5591) < 0.001)
    // The natural origin maps to the false easting/northing.
    #expect(abs(xs[2] - 5_000_000) < 0.001)
    #expect(abs(ys[2] - 2_000_000) < 0.001)

    let context = try GeometryContext()
    let point = try context.read(wkt: "POINT (-74.0817 4.6097)")
    let projected = try transformer.transform(point)
    let envelope = try projected.envelope()
    #expect(abs(envelope.minX - 4_880_061.5591) < 0.001)
    #expect(abs(envelope.minY - 2_067_458.0184) < 0.001)
  }

  @Test("an unknown CRS is an error with PROJ's message")
  func unknown() throws {
    #expect(throws: GeoError.self) { try Transformer(from: "EPSG:999999", to: "EPSG:9377") }
  }

  @Test("a point PROJ cannot project is an error, not infinity")
  func outOfDomain() throws {
    let transformer = try Transformer(fromEPSG: 4326, toEPSG: 3857)
    #expect(throws: GeoError.self) { _ = try transformer.transform(x: 0, y: 95) }
  }
}
