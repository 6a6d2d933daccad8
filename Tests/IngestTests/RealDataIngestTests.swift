import Catalog
import Foundation
import Geo
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

@Suite(
  "Ingest of real layers", .serialized,
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct RealDataIngestTests {
  /// Loads `path` with ogr2ogr, untouched, into a scratch table, for an independent area.
  func ogr2ogrArea(
    _ fixture: IngestFixture, path: String, layer: String? = nil, sourceSRS: String? = nil, table: String
  ) async throws
    -> Double
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ogr2ogr")
    var arguments = [
      "-f", "PostgreSQL", "PG:\(fixture.url.libpqString)", path, "-nln", table,
      "-lco", "GEOMETRY_NAME=geom", "-nlt", "PROMOTE_TO_MULTI", "-overwrite",
    ]
    if let layer { arguments.append(layer) }
    if let sourceSRS { arguments += ["-s_srs", sourceSRS, "-t_srs", sourceSRS] }
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return try await fixture.one(
      PostgresQuery(
        unsafeSQL:
          "SELECT sum(ST_Area(ST_MakeValid(ST_Transform(geom, 9377), 'method=structure'))) FROM \(table)"),
      as: Double.self) ?? -1
  }

  func storedStats(
    _ fixture: IngestFixture, layer: String
  ) async throws -> (
    count: Int, srid: Int, invalid: Int, area: Double
  ) {
    let logger = fixture.logger
    return try await Database.withDatabase(fixture.url, logger: logger) { database in
      let rows = try await database.client.query(
        """
        SELECT count(*), coalesce(min(ST_SRID(geom)), -1), count(*) FILTER (WHERE NOT ST_IsValid(geom)),
               coalesce(sum(ST_Area(geom)), 0)
        FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id
        WHERE l.slug = \(layer)
        """, logger: logger)
      for try await (count, srid, invalid, area) in rows.decode((Int, Int, Int, Double).self) {
        return (count, srid, invalid, area)
      }
      return (-1, -1, -1, -1)
    }
  }

  @Test("Ramsar wetlands: 12 features in 9377, accents intact, area equal to ogr2ogr + PostGIS")
  func ramsar() async throws {
    let fixture = try await IngestFixture.make("ramsar")
    let path = RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")
    let report = try await fixture.ingest(
      IngestOptions(paths: [path], layer: "ramsar", kind: .determinant, type: "2", publish: true))
    #expect(report.featuresWritten == 12)
    #expect(report.status == "published")
    #expect(report.sources.first?.encoding == .init(name: "UTF-8", source: "cpg"))
    let stats = try await storedStats(fixture, layer: "ramsar")
    #expect(stats.count == 12 && stats.srid == 9377 && stats.invalid == 0)
    let names =
      try await fixture.one(
        "SELECT string_agg(attributes->>'nombre', '|') FROM feature", as: String.self) ?? ""
    #expect(names.contains("ó") || names.contains("í") || names.contains("á"))
    #expect(!names.contains("Ã"))
    let expected = try await ogr2ogrArea(fixture, path: path, table: "scratch_ramsar")
    #expect(abs(stats.area - expected) / expected < 1e-6, "ours \(stats.area) vs \(expected)")
    // Every partition, the loaded version's too, stores geometries uncompressed out of line
    // (STORAGE EXTERNAL, 'e'): the wetlands' coordinates did not compress.
    let storage = try await fixture.one(
      """
      SELECT string_agg(DISTINCT a.attstorage::text, '') FROM pg_inherits i
      JOIN pg_attribute a ON a.attrelid = i.inhrelid AND a.attname = 'geom'
      WHERE i.inhparent = 'feature'::regclass
      """, as: String.self)
    #expect(storage == "e")
    // The same file again is a no-op that says so.
    let again = try await fixture.ingest(
      IngestOptions(paths: [path], layer: "ramsar", kind: .determinant, type: "2", publish: true))
    #expect(again.unchangedFromVersion == 1)
    #expect(try await fixture.one("SELECT count(*) FROM layer_version", as: Int.self) == 1)
  }

  @Test("the 57 national reserves load as one layer, --map unifying IDPNN, AP_ID and APID")
  func reserves() async throws {
    let fixture = try await IngestFixture.make("rfpn")
    let root = RealData.path("col_otl_ambiental/rfpn_reservas")
    let folders = try FileManager.default.contentsOfDirectory(atPath: root).sorted().map { root + "/" + $0 }
    #expect(folders.count == 57)
    let report = try await fixture.ingest(
      IngestOptions(
        paths: folders, layer: "rfpn", kind: .determinant, type: "1",
        mappings: [("id", "IDPNN"), ("id", "AP_ID"), ("id", "APID")], publish: true))
    #expect(report.featuresRead == 57)
    #expect(report.featuresWritten == 57)
    #expect(Set(report.sources.compactMap(\.crs.epsg)) == [9377, 4686, 3116])
    let stats = try await storedStats(fixture, layer: "rfpn")
    #expect(stats.count == 57 && stats.srid == 9377 && stats.invalid == 0)
    let withID = try await fixture.one(
      "SELECT count(*) FROM feature WHERE attributes::jsonb ? 'id'", as: Int.self)
    #expect(withID == 57)
  }

  @Test("LADM-COL lc_terreno of La Palma: 52 parcels, the copies and the two overlaps found")
  func ladmParcels() async throws {
    let fixture = try await IngestFixture.make("ladm")
    let path = RealData.path("ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg")
    let report = try await fixture.ingest(
      IngestOptions(
        paths: [path], layer: "la-palma", kind: .cadastral, divipola: "25394", sourceLayer: "lc_terreno"))
    #expect(report.featuresWritten == 52)
    #expect(report.zOrMDropped == 52)
    let overlaps = try #require(report.findings.first { $0.code == "parcel_overlap" })
    // Three identical copies make three overlapping pairs; plus the 904 m² and 528 m² pairs.
    #expect(overlaps.count == 5)
    #expect(overlaps.examples.contains { $0.contains("903.9 m²") })
    #expect(overlaps.examples.contains { $0.contains("528.0 m²") })
    let stats = try await storedStats(fixture, layer: "la-palma")
    #expect(stats.count == 52 && stats.srid == 9377 && stats.invalid == 0)
    let expected = try await ogr2ogrArea(fixture, path: path, layer: "lc_terreno", table: "scratch_terreno")
    #expect(abs(stats.area - expected) / expected < 1e-6, "ours \(stats.area) vs \(expected)")
  }

  @Test(
    "a --source-layer the GeoPackage lacks is refused, naming the layers with geometry it has, though the file was loaded"
  )
  func ladmMissingSourceLayer() async throws {
    let fixture = try await IngestFixture.make("ladm-missing")
    let path = RealData.path("ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg")
    // The same file in the layer already: its hash matches, which must not pass for "unchanged".
    _ = try await fixture.ingest(
      IngestOptions(
        paths: [path], layer: "la-palma", kind: .cadastral, divipola: "25394", sourceLayer: "lc_terreno"))
    let options = IngestOptions(
      paths: [path], layer: "la-palma", kind: .cadastral, divipola: "25394", sourceLayer: "lc_terrenos")
    do {
      _ = try await fixture.ingest(options)
      Issue.record("a missing source layer was loaded")
    } catch IngestError.sourceLayerNotFound(_, let layer, let available) {
      #expect(layer == "lc_terrenos")
      #expect(available.contains("lc_terreno") && available.contains("gc_terreno"))
      // Tables without geometry are not offered.
      #expect(!available.contains("col_uebaunit") && !available.contains("extinteresado"))
    }
  }

  @Test(
    "R3001 tile by tile from a local file (a layer too large to keep in memory) finds the same pairs and areas"
  )
  func ladmParcelsTiled() async throws {
    let fixture = try await IngestFixture.make("ladm-tiled")
    let path = RealData.path("ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg")
    let options = IngestOptions(
      paths: [path], layer: "la-palma", kind: .cadastral, divipola: "25394", sourceLayer: "lc_terreno")
    let kept = try #require(try await fixture.ingest(options).findings.first { $0.code == "parcel_overlap" })
    // Ten shapes kept: the 52 parcels go to a local file, checked in tiles of two; the file
    // is gone after the load.
    var again = options
    again.layer = "la-palma-tiled"
    func spills() throws -> Set<String> {
      Set(
        try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
          .filter { $0.hasPrefix("nodo-ingest-") })
    }
    let before = try spills()
    let tiled = try #require(
      try await fixture.ingest(again, shapesKept: 10).findings.first { $0.code == "parcel_overlap" })
    #expect(try spills() == before)
    #expect(tiled.count == 5)
    #expect(tiled.examples == kept.examples)
    #expect(tiled.detail == kept.detail)
  }

  @Test("the mixed-CRS quality_validations GeoPackage loads layer by layer")
  func mixedCRS() async throws {
    let fixture = try await IngestFixture.make("mixed")
    let path = RealData.path("ladm_col_asistente/quality_validations.gpkg")
    let source = try VectorSource(path: path)
    let layers = try (0..<source.layerCount).map { try source.layerInfo($0) }
      .filter { $0.hasGeometry && ($0.featureCount ?? 0) > 0 }
    #expect(!layers.isEmpty)
    var epsgs = Set<Int>()
    for layer in layers {
      let report = try await fixture.ingest(
        IngestOptions(
          paths: [path], layer: "qv-\(layer.index)", kind: .determinant, type: "7", sourceLayer: layer.name,
          allowOutsideColombia: true))
      #expect(report.featuresWritten + report.featuresDropped == layer.featureCount, "\(layer.name)")
      if let epsg = report.sources.first?.crs.epsg { epsgs.insert(epsg) }
    }
    #expect(epsgs.count >= 2, "layers in several CRSs: \(epsgs)")
    #expect(
      try await fixture.one(
        "SELECT count(*) FROM feature WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 9377", as: Int.self) == 0
    )
  }

  @Test("the 1,122 MGN municipalities load as a boundary layer keyed by DIVIPOLA")
  func municipalities() async throws {
    let fixture = try await IngestFixture.make("mgn")
    let path = RealData.path("colombia_mgn2018_geojson/co_2018_MGN_MPIO_POLITICO.geojson")
    let report = try await fixture.ingest(
      IngestOptions(
        paths: [path], layer: "mgn", kind: .boundary, mappings: [("divipola", "MPIO_CCNCT")], publish: true))
    #expect(report.featuresWritten == 1122)
    #expect(report.findings.isEmpty)
    let stats = try await storedStats(fixture, layer: "mgn")
    #expect(stats.count == 1122 && stats.srid == 9377 && stats.invalid == 0)
    #expect(try await fixture.one("SELECT count(DISTINCT divipola) FROM feature", as: Int.self) == 1122)
    #expect(try await fixture.one("SELECT count(*) FROM feature WHERE divipola = '11001'", as: Int.self) == 1)
    let expected = try await ogr2ogrArea(fixture, path: path, table: "scratch_mgn")
    #expect(abs(stats.area - expected) / expected < 1e-6, "ours \(stats.area) vs \(expected)")
  }

  @Test("Cambridge parcels: 13,116 read, the 37 invalid repaired, the empty one listed")
  func cambridge() async throws {
    let fixture = try await IngestFixture.make("cambridge")
    let path = RealData.path("cambridge_ma/ASSESSING_ParcelsFY2014.topojson")
    let report = try await fixture.ingest(
      IngestOptions(
        paths: [path], layer: "cambridge", kind: .determinant, type: "7", crs: "EPSG:4326",
        allowOutsideColombia: true))
    #expect(report.featuresRead == 13116)
    #expect(report.featuresRepaired == 37)
    #expect(report.featuresDropped == 1)
    #expect(report.dropped.first?.reason == "empty_geometry")
    let stats = try await storedStats(fixture, layer: "cambridge")
    #expect(stats.count == 13115 && stats.srid == 9377 && stats.invalid == 0)
    // The processors' own sums: the area and box the report gives are those of the stored rows,
    // and what make-valid produced was found valid without asking PostgreSQL.
    #expect(!report.findings.contains { $0.code == "invalid_after_repair" })
    let area = try #require(report.totalArea)
    #expect(abs(area - stats.area) / stats.area < 1e-9, "report \(area) vs stored \(stats.area)")
    let box = try #require(
      try await fixture.one(
        """
        SELECT array[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)] FROM (SELECT ST_Extent(geom) AS b FROM feature) t
        """, as: [Double].self))
    let extent = try #require(report.extent)
    // ST_Extent reads the boxes PostGIS keeps in single precision: within a metre.
    #expect(
      zip([extent.minX, extent.minY, extent.maxX, extent.maxY], box).allSatisfy { abs($0 - $1) < 1 },
      "report \(extent) vs stored \(box)")
    let expected = try await ogr2ogrArea(
      fixture, path: path, sourceSRS: "EPSG:4326", table: "scratch_cambridge")
    #expect(abs(stats.area - expected) / expected < 1e-6, "ours \(stats.area) vs \(expected)")
  }

  /// The other environmental layers: (folder or file, features).
  static let environmental: [(String, Int)] = [
    ("col_otl_ambiental/ramsar_zonificacion/Zonificacion_sitio_RAMSAR.geojson", 180),
    ("col_otl_ambiental/rfpp_cuenca_alta_rio_bogota", 1),
    ("col_otl_ambiental/rfpp_cuenca_alta_rio_bogota_sustracciones", 26),
    ("col_otl_ambiental/rfpn_sustracciones", 27),
    ("col_otl_ambiental/ley2_sustracciones_temporales", 84),
    ("col_otl_ambiental/comp_sustr_reservas/COMP_SUSTR_RESERVAS_20240815", 49),
    ("col_otl_ambiental/rfpn_bosque_oriental_bogota_zonificacion/RES1766_2016", 17),
    ("col_otl_ambiental/rfpn_quebrada_honda_zonificacion", 254),
  ]

  @Test(
    "every other environmental layer loads: counts, SRID 9377, all valid, area equal to ogr2ogr + PostGIS")
  func environmentalLayers() async throws {
    let fixture = try await IngestFixture.make("ambiental")
    for (index, (relative, count)) in Self.environmental.enumerated() {
      let path = RealData.path(relative)
      let layer = "ambiental-\(index)"
      let report = try await fixture.ingest(
        IngestOptions(paths: [path], layer: layer, kind: .determinant, type: "1"))
      #expect(report.featuresRead == count, "\(relative)")
      #expect(report.featuresWritten + report.featuresDropped == count, "\(relative)")
      let stats = try await storedStats(fixture, layer: layer)
      #expect(stats.srid == 9377 && stats.invalid == 0, "\(relative)")
      let expected = try await ogr2ogrArea(fixture, path: path, table: "scratch_ambiental_\(index)")
      #expect(abs(stats.area - expected) / expected < 1e-6, "\(relative): ours \(stats.area) vs \(expected)")
    }
  }

  @Test("the zip whose member names are Latin-1 bytes loads, with the names decoded")
  func latinMemberNames() async throws {
    let fixture = try await IngestFixture.make("latin1zip")
    let path = RealData.path("col_otl_ambiental/rfpn_quebrada_honda_zonificacion_latin1_names.zip")
    let report = try await fixture.ingest(
      IngestOptions(paths: [path], layer: "qh", kind: .determinant, type: "1"))
    #expect(report.featuresRead == 254)
    #expect(report.sources.first?.layer == "Zonificación_de_Manejo")
    #expect(report.sources.first?.crs.epsg == 3116)
  }
}
