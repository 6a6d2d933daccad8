import Foundation
import Geo
import NodoTestSupport
import Testing

@Suite(
  "GDAL vector source on real files",
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct VectorSourceTests {
  static let ramsar = RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")

  @Test("the Ramsar wetlands stream 12 features with their accents intact")
  func ramsarStreams() throws {
    let source = try VectorSource(path: Self.ramsar)
    #expect(source.driverName == "ESRI Shapefile")
    let info = try source.layerInfo(0)
    #expect(info.featureCount == 12)
    #expect(info.crs?.epsg == 4686)
    #expect(info.family == .polygon)
    #expect(info.encoding == EncodingInfo(name: "UTF-8", source: "cpg"))
    let nombre = try #require(info.fields.firstIndex { $0.name.lowercased() == "nombre" })
    var names: [String] = []
    var withGeometry = 0
    try source.forEachFeature(inLayer: 0) { feature in
      if case .string(let name) = feature.values[nombre] { names.append(name) }
      if let wkb = feature.wkb, (try? Geometry(wkb: wkb)) != nil { withGeometry += 1 }
    }
    #expect(names.count == 12)
    #expect(withGeometry == 12)
    // Spanish names with accents, decoded (no mojibake, no replacement characters).
    #expect(names.contains { $0.contains("ó") || $0.contains("á") || $0.contains("í") })
    #expect(!names.contains { $0.contains("\u{FFFD}") || $0.contains("Ã") })
  }

  @Test("a shapefile inside a zip opens through /vsizip/")
  func zipped() throws {
    let scratch = try Scratch()
    let zip = scratch.path("ramsar.zip")
    // Build the archive with Python's standard zipfile module, members in a sub-folder.
    let members = try FileManager.default.contentsOfDirectory(atPath: Self.ramsar)
    try scratch.python(
      """
      import sys, zipfile
      with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
          for path in sys.argv[3:]:
              z.write(sys.argv[2] + '/' + path, 'entrega/humedales/' + path)
      """, [zip, Self.ramsar] + members)

    let datasets = try VectorSource.datasets(at: zip)
    #expect(datasets == ["/vsizip/\(zip)/entrega/humedales/HUMEDALES_RAMSAR.shp"])
    let source = try VectorSource(path: datasets[0])
    #expect(try source.layerInfo(0).featureCount == 12)
    var count = 0
    try source.forEachFeature(inLayer: 0) { _ in count += 1 }
    #expect(count == 12)
  }

  @Test("the truncated zip gives a clear error, not a crash")
  func truncated() throws {
    let path = RealData.path("col_otl_ambiental/_broken/runap_latest_TRUNCATED.zip")
    #expect {
      _ = try VectorSource.datasets(at: path)
    } throws: { error in
      guard case GeoError.gdal(_, let message) = error else { return false }
      return message.contains("damaged or truncated")
    }
    // Opening it directly through /vsizip/ fails with an error too.
    #expect(throws: GeoError.self) { _ = try VectorSource(path: "/vsizip/" + path) }
  }

  @Test("a missing file says so")
  func missing() throws {
    #expect {
      _ = try VectorSource.datasets(at: "/nonexistent/parcels.shp")
    } throws: { error in
      (error as? GeoError)?.message.contains("no such file") == true
    }
  }

  @Test("GeoPackages list their layers; mixed CRSs are reported per layer")
  func geopackage() throws {
    let source = try VectorSource(path: RealData.path("ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg"))
    #expect(source.driverName == "GPKG")
    let index = try source.layerIndex(named: "lc_terreno")
    let info = try source.layerInfo(index)
    #expect(info.featureCount == 52)
    #expect(info.crs?.epsg == 9377)
    #expect(info.encoding.source == "format")
    var droppedZ = 0
    try source.forEachFeature(inLayer: index) { feature in
      if feature.droppedZM { droppedZ += 1 }
    }
    #expect(droppedZ == 52)
  }
}
