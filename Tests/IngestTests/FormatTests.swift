import Catalog
import Foundation
import Geo
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

/// FileGDB (folder and zipped) and KML, made from the Ramsar shapefile with ogr2ogr.
@Suite(
  "Ingest of FileGDB and KML", .serialized,
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct FormatTests {
  static let ramsar = RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")

  func ogr2ogr(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ogr2ogr")
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "ogr2ogr \(arguments.joined(separator: " "))")
  }

  @Test("a FileGDB folder, the same zipped, and a KML load the 12 wetlands")
  func fileGDBAndKML() async throws {
    let fixture = try await IngestFixture.make("formats")
    let scratch = try Scratch()
    let gdb = scratch.path("humedales.gdb")
    try ogr2ogr(["-f", "OpenFileGDB", gdb, Self.ramsar, "-nln", "humedales"])
    let kml = scratch.path("humedales.kml")
    try ogr2ogr(["-f", "KML", kml, Self.ramsar])
    try scratch.python(
      """
      import os, sys, zipfile
      with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
          for name in os.listdir(sys.argv[2]):
              z.write(os.path.join(sys.argv[2], name), 'entrega/humedales.gdb/' + name)
      """, [scratch.path("gdb.zip"), gdb])

    for (index, path) in [gdb, scratch.path("gdb.zip"), kml].enumerated() {
      let report = try await fixture.ingest(
        IngestOptions(paths: [path], layer: "formato-\(index)", kind: .determinant, type: "2"))
      #expect(report.featuresWritten == 12, "\(path)")
      #expect(report.sources.first?.crs.epsg != nil, "\(path)")
    }
    let names = try await fixture.one(
      "SELECT count(DISTINCT attributes->>'nombre') FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'formato-0'",
      as: Int.self)
    #expect(names == 12)
  }
}

@Suite("Ingest of point layers")
struct PointLayerTests {
  @Test("a layer of one point loads; its version's extent is a (degenerate) box")
  func singlePoint() async throws {
    let fixture = try await IngestFixture.make("point")
    let scratch = try Scratch()
    let path = try scratch.write(
      "bic.geojson",
      #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"nombre":"Casa de la Cultura"},"geometry":{"type":"Point","coordinates":[-74.08,4.6]}}]}"#
    )
    let report = try await fixture.ingest(
      IngestOptions(paths: [path], layer: "bic", kind: .determinant, type: "1202", publish: true))
    #expect(report.featuresWritten == 1)
    #expect(report.geometryFamily == "point")
    #expect(
      try await fixture.one("SELECT GeometryType(extent) FROM layer_version", as: String.self) == "POLYGON")
  }
}

@Suite("Codes that must be unique per layer")
struct UniqueCodeTests {
  /// Squares side by side at CTM12 coordinates, with the given properties (JSON objects).
  static func squares(_ properties: [String]) -> String {
    let features = properties.enumerated().map { k, props in
      let x = 4_843_800 + 100 * k
      return
        #"{"type":"Feature","properties":\#(props),"geometry":{"type":"Polygon","coordinates":[[[\#(x),2143100],[\#(x + 100),2143100],[\#(x + 100),2143200],[\#(x),2143200],[\#(x),2143100]]]}}"#
    }
    return
      #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9377"}},"features":["#
      + features.joined(separator: ",") + "]}"
  }

  @Test(
    "duplicate NPNs and DIVIPOLA codes are listed with their fids, the same from the load as from the stored version"
  )
  func duplicates() async throws {
    let fixture = try await IngestFixture.make("unique")
    let scratch = try Scratch()
    let parcels = try scratch.write(
      "predios.geojson",
      Self.squares([
        #"{"npn":"253940001000000010002000000000"}"#, #"{"npn":"253940001000000010001000000000"}"#,
        #"{"npn":"253940001000000010002000000000"}"#, #"{"npn":"253940001000000010003000000000"}"#,
        #"{"npn":"253940001000000010001000000000"}"#, #"{"npn":"253940001000000010002000000000"}"#,
      ]))
    let municipalities = try scratch.write(
      "mpios.geojson",
      Self.squares([
        #"{"MPIO_CCNCT":"25394"}"#, #"{"MPIO_CCNCT":"25001"}"#, #"{"MPIO_CCNCT":"25394"}"#,
      ]))
    // Kept in memory (the default), and read back from the store (fewer kept than written).
    for (kept, suffix) in [(250_000, "memory"), (1, "stored")] {
      let cadastral = try await fixture.ingest(
        IngestOptions(paths: [parcels], layer: "predios-\(suffix)", kind: .cadastral, divipola: "25394"),
        shapesKept: kept)
      let npn = cadastral.findings.first { $0.code == "npn_duplicate" }
      #expect(npn?.count == 2, "\(suffix)")
      #expect(
        npn?.examples == ["253940001000000010001000000000: 2/5", "253940001000000010002000000000: 1/3/6"],
        "\(suffix)")
      let boundary = try await fixture.ingest(
        IngestOptions(
          paths: [municipalities], layer: "mpios-\(suffix)", kind: .boundary,
          mappings: [(target: "divipola", source: "MPIO_CCNCT")]),
        shapesKept: kept)
      let divipola = boundary.findings.first { $0.code == "divipola_duplicate" }
      #expect(divipola?.count == 1 && divipola?.examples == ["25394: 1/3"], "\(suffix)")
    }
  }
}

@Suite("Properties served for a feature")
struct ServedPropertiesTests {
  /// A fixture holding one layer loaded from squares with `properties` (GeoJSON objects).
  static func loaded(
    _ name: String, _ properties: [String], options: (String) -> IngestOptions
  ) async throws -> IngestFixture {
    let fixture = try await IngestFixture.make(name)
    let scratch = try Scratch()
    let path = try scratch.write("\(name).geojson", UniqueCodeTests.squares(properties))
    _ = try await fixture.ingest(options(path))
    return fixture
  }

  @Test(
    "the NPN and DIVIPOLA code the ingest extracted are stored among the attributes, in place of columns named alike, each key once"
  )
  func codesAmongAttributes() async throws {
    let fixture = try await Self.loaded(
      "served",
      [
        #"{"npn":" 253940001000000010001000000000 ","divipola":"99999","npn_alt":null}"#,
        #"{"npn":"25394000100000001000200000000A"}"#, #"{"matricula":"50C-1"}"#,
      ]
    ) { IngestOptions(paths: [$0], layer: "predios", kind: .cadastral, divipola: "25001") }
    // In the source's column order as GDAL reads the GeoJSON.
    let served = try await fixture.one(
      "SELECT string_agg(attributes::text, '|' ORDER BY fid) FROM feature", as: String.self)
    #expect(
      served
        == #"{"matricula":null,"npn":"253940001000000010001000000000","divipola":"25394","npn_alt":null}"#
        + #"|{"matricula":null,"npn":"25394000100000001000200000000A","divipola":"25001","npn_alt":null}"#
        + #"|{"matricula":"50C-1","npn":null,"divipola":"25001","npn_alt":null}"#
    )
  }
}

extension ServedPropertiesTests {
  @Test(
    "attribute text with quotes, backslashes, tabs, newlines, control characters and accents is stored as it came"
  )
  func escapedText() async throws {
    let nasty = "Vereda \"La Ñ\"\\Sur\t(cañada)\nlínea 2\r\u{1}fin 🌿"
    let encoded = String(
      decoding: try JSONSerialization.data(withJSONObject: [nasty], options: []), as: UTF8.self
    )
    .dropFirst().dropLast()
    let fixture = try await Self.loaded("escapes", [#"{"nombre":\#(encoded),"clave\\tab\t":"x"}"#]) {
      IngestOptions(paths: [$0], layer: "reserva", kind: .determinant, type: "2")
    }
    #expect(try await fixture.one("SELECT attributes->>'nombre' FROM feature", as: String.self) == nasty)
    #expect(
      try await fixture.one("SELECT attributes->>E'clave\\\\tab\\t' FROM feature", as: String.self) == "x")
  }
}
