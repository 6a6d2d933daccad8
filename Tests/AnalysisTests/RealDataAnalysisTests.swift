import Analysis
import Fixtures
import Foundation
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

/// Oracles on real layers: our faces and affectations against PostGIS on the same shapes.
@Suite(
  "Conflict engine on real layers", .serialized,
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct RealDataAnalysisTests {
  func loadBoundaries(_ fixture: AnalysisFixture) async throws {
    try await fixture.ingest(
      IngestOptions(
        paths: [RealData.path("colombia_mgn2018_geojson/co_2018_MGN_MPIO_POLITICO.geojson")], layer: "mgn",
        kind: .boundary, mappings: [("divipola", "MPIO_CCNCT")], publish: true))
  }

  @Test(
    "Bogotá: reserves minus sustracciones and Ramsar wetlands; faces add up to the union, pairs to PostGIS")
  func bogota() async throws {
    let fixture = try await AnalysisFixture.make("bogota")
    try await loadBoundaries(fixture)
    let root = RealData.path("col_otl_ambiental/rfpn_reservas")
    let reserves = try FileManager.default.contentsOfDirectory(atPath: root).sorted().map { root + "/" + $0 }
    let loads: [IngestOptions] = [
      IngestOptions(
        paths: reserves, layer: "rfpn", kind: .determinant, type: "1",
        mappings: [("id", "IDPNN"), ("id", "AP_ID"), ("id", "APID")], publish: true),
      IngestOptions(
        paths: [RealData.path("col_otl_ambiental/rfpn_sustracciones")], layer: "rfpn-sustracciones",
        kind: .determinant, type: "1", publish: true, sustraccionOf: "rfpn"),
      IngestOptions(
        paths: [RealData.path("col_otl_ambiental/rfpp_cuenca_alta_rio_bogota")], layer: "rfpp-bogota",
        kind: .determinant, type: "1", mappings: [("nombre", "rfpp")], publish: true),
      IngestOptions(
        paths: [RealData.path("col_otl_ambiental/rfpp_cuenca_alta_rio_bogota_sustracciones")],
        layer: "rfpp-bogota-sustracciones", kind: .determinant, type: "1", publish: true,
        sustraccionOf: "rfpp-bogota"),
      IngestOptions(
        paths: [RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")], layer: "ramsar",
        kind: .determinant, type: "2", publish: true),
    ]
    for options in loads { try await fixture.ingest(options) }
    let summary = try await fixture.analyze("11001")
    let run = summary.runID
    #expect(summary.shapes >= 2)
    #expect(summary.faces > summary.shapes)

    // The faces partition the union of the determinants.
    let faceSum = try await fixture.number("SELECT sum(area_m2) FROM confluence_face WHERE run_id = \(run)")
    let union = try await fixture.number(
      "SELECT ST_Area(ST_Union(geom)) FROM analysis_shape WHERE run_id = \(run)")
    #expect(abs(faceSum - union) / union < 1e-6, "faces \(faceSum) vs union \(union)")

    // Each pair's overlap equals PostGIS's ST_Area(ST_Intersection(a, b)).
    let pairs = try await fixture.texts(
      """
      WITH pg AS (
        SELECT a.shape_id AS a, b.shape_id AS b, ST_Area(ST_Intersection(a.geom, b.geom)) AS area
        FROM analysis_shape a JOIN analysis_shape b
          ON a.run_id = b.run_id AND a.shape_id < b.shape_id AND ST_Intersects(a.geom, b.geom)
        WHERE a.run_id = \(run)
      ), ours AS (
        SELECT pg.a, pg.b, pg.area,
          (SELECT coalesce(sum(f.area_m2), 0) FROM confluence_face f
           WHERE f.run_id = \(run) AND f.members @> ARRAY[pg.a, pg.b]) AS faces
        FROM pg
      )
      SELECT a || '-' || b || ' postgis ' || area || ' faces ' || faces FROM ours
      WHERE abs(area - faces) > greatest(1e-6 * area, 1e-6)
      """)
    #expect(pairs.isEmpty, "pairs that differ: \(pairs)")
    let pairCount = try await fixture.number(
      """
      SELECT count(*)::float8 FROM analysis_shape a JOIN analysis_shape b
        ON a.run_id = b.run_id AND a.shape_id < b.shape_id AND ST_Intersects(a.geom, b.geom)
      WHERE a.run_id = \(run)
      """)
    #expect(pairCount >= 1)

    // Bosque Oriental and the Cuenca Alta del Río Bogotá share ~22 km of boundary digitised
    // twice: their overlap is slivers, none a confluence.
    let shared = try await fixture.texts(
      """
      SELECT f.sliver::text FROM confluence_face f
      JOIN analysis_shape o ON o.run_id = f.run_id AND o.shape_id = ANY(f.members)
      JOIN analysis_shape c ON c.run_id = f.run_id AND c.shape_id = ANY(f.members)
      JOIN layer lo ON lo.id = o.layer_id JOIN layer lc ON lc.id = c.layer_id
      WHERE f.run_id = \(run) AND lo.slug = 'rfpn' AND o.name ILIKE '%oriental%' AND lc.slug = 'rfpp-bogota'
      """)
    #expect(!shared.isEmpty)
    #expect(shared.allSatisfy { $0 == "true" }, "a confluence between the two reserves: \(shared)")
    #expect(summary.slivers >= shared.count)
  }

  @Test("La Palma's LADM-COL parcels: every affectation area equals PostGIS's intersection")
  func laPalma() async throws {
    let fixture = try await AnalysisFixture.make("lapalma")
    try await loadBoundaries(fixture)
    try await fixture.ingest(
      IngestOptions(
        paths: [RealData.path("ladm_col_asistente/test_ladm_col_queries_v1_1.gpkg")], layer: "la-palma",
        kind: .cadastral, divipola: "25394", sourceLayer: "lc_terreno", publish: true))
    // Two determinants drawn over the parcels: a páramo disc and an APPA over the west half.
    let shapes = try await fixture.texts(
      """
      WITH e AS (SELECT ST_Extent(geom)::geometry AS box FROM feature f JOIN layer_version v ON v.id = f.version_id
                 JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'la-palma')
      SELECT ST_AsGeoJSON(ST_Buffer(ST_Centroid(box), (ST_XMax(box) - ST_XMin(box)) * 0.3)) FROM e
      UNION ALL
      SELECT ST_AsGeoJSON(ST_MakeEnvelope(ST_XMin(box) - 10, ST_YMin(box) - 10,
                                          (ST_XMin(box) + ST_XMax(box)) / 2, ST_YMax(box) + 10, 9377)) FROM e
      """)
    let scratch = try Scratch()
    for (name, type, geometry) in [("paramo", "2", shapes[0]), ("appa", "10", shapes[1])] {
      let path = try scratch.write(
        name + ".geojson",
        HandMade.collection([(properties: "{\"nombre\": \"\(name)\"}", geometry: geometry)]))
      try await fixture.ingest(
        IngestOptions(paths: [path], layer: name, kind: .determinant, type: type, publish: true))
    }
    let summary = try await fixture.analyze("25394")
    #expect(summary.parcels == 52)
    #expect(summary.affectations > 10)
    let run = summary.runID
    let differing = try await fixture.texts(
      """
      SELECT a.parcel_fid || '/' || a.shape_id || ': ' || a.area_m2 || ' vs ' || ST_Area(ST_Intersection(f.geom, s.geom))
      FROM affectation a
      JOIN feature f ON f.version_id = a.parcel_version_id AND f.fid = a.parcel_fid
      JOIN analysis_shape s ON s.run_id = a.run_id AND s.shape_id = a.shape_id
      WHERE a.run_id = \(run)
        AND abs(a.area_m2 - ST_Area(ST_Intersection(f.geom, s.geom))) > 1e-6 * a.area_m2
      """)
    #expect(differing.isEmpty, "\(differing)")
    // Nothing PostGIS finds above the thresholds is missing.
    let missing = try await fixture.number(
      """
      SELECT count(*)::float8 FROM feature f JOIN analysis_shape s ON s.run_id = \(run) AND ST_Intersects(f.geom, s.geom)
      WHERE f.version_id = (SELECT version_id FROM analysis_input WHERE run_id = \(run) AND role = 'cadastral')
        AND ST_Area(ST_Intersection(f.geom, s.geom)) >= 1.0
        AND ST_Area(ST_Intersection(f.geom, s.geom)) / ST_Area(f.geom) * 100 >= 0.01
        AND NOT EXISTS (SELECT 1 FROM affectation a WHERE a.run_id = \(run) AND a.parcel_fid = f.fid
                        AND a.shape_id = s.shape_id)
      """)
    #expect(missing == 0)
  }

  @Test("the demo municipality: same results whatever order the layers were loaded in")
  func demoOrder() async throws {
    let folder = RealData.projectRoot.appendingPathComponent("fixtures")
    func load(_ fixture: AnalysisFixture, reversed: Bool) async throws {
      var loads = Fixtures.MunicipalityGenerator.loads()
      // Reverse, but a reserve must come before its sustracciones.
      if reversed {
        loads.reverse()
        if let s = loads.firstIndex(where: { $0.sustraccionOf != nil }),
          let r = loads.firstIndex(where: { $0.layer == loads[s].sustraccionOf })
        {
          loads.swapAt(s, r)
        }
      }
      for load in loads {
        try await fixture.ingest(
          IngestOptions(
            paths: [folder.appendingPathComponent(load.file).path], layer: load.layer,
            kind: LayerKind(rawValue: load.kind)!, type: load.type, divipola: "25999",
            mappings: load.mappings,
            publish: true, sustraccionOf: load.sustraccionOf))
      }
    }
    let first = try await AnalysisFixture.make("demo1")
    let second = try await AnalysisFixture.make("demo2")
    try await load(first, reversed: false)
    try await load(second, reversed: true)
    let a = try await first.analyze("25999")
    let b = try await second.analyze("25999")
    #expect(a.faces == b.faces && a.confluences == b.confluences && a.conflicts == b.conflicts)
    #expect(a.resolutions["requiere_coordinacion", default: 0] > 0)
    #expect(a.concertacionEtnica > 0)
    #expect(a.conflicts > 0)
    // Faces described by layer and fid rather than ids, which differ between databases.
    func faces(_ fixture: AnalysisFixture, _ run: Int64) async throws -> [String] {
      try await fixture.texts(
        """
        SELECT (SELECT string_agg(l.slug || '#' || s.fid, '+' ORDER BY l.slug, s.fid) FROM analysis_shape s
                JOIN layer l ON l.id = s.layer_id WHERE s.run_id = f.run_id AND s.shape_id = ANY(f.members))
          || '|' || f.resolution || '|' || round(f.area_m2::numeric, 4) FROM confluence_face f
        WHERE f.run_id = \(run) ORDER BY 1
        """)
    }
    #expect(try await faces(first, a.runID) == (try await faces(second, b.runID)))
  }
}
