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
