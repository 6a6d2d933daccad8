import Analysis
import Catalog
import Foundation
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

/// A municipality drawn by hand, whose answer is worked out on paper (local metres):
///
/// - boundary (0,0)–(1000,1000), DIVIPOLA 25999;
/// - A: forest reserve (type 1, level 1 lit. b) (0,0)–(400,400), with a sustracción (0,300)–(100,400);
/// - B: páramo (type 2, level 1 lit. c) (200,0)–(600,400);
/// - C: protected archaeological area (1203, level 3) (200,200)–(600,600);
/// - a river (type 5) along x = 700, buffered 30 m by its rule;
/// - APPA (type 10, level 2) (800,0)–(1000,200);
/// - POT: urban unit (0,0)–(300,300);
/// - parcels P1 (740,0)–(840,100), 40 % inside the APPA, and P2 (0,0)–(100,100), inside A.
@Suite("Conflict engine: hand-made golden case", .serialized)
struct GoldenTests {
  static func npn(_ terreno: Int) -> String {
    "25999" + "00" + "01" + "00" + "00" + "0001" + String(format: "%04d", terreno) + "0" + "00" + "00"
      + "0000"
  }

  func load(_ fixture: AnalysisFixture, _ scratch: Scratch) async throws {
    func file(_ name: String, _ features: [(String, String)]) throws -> String {
      try scratch.write(
        name + ".geojson", HandMade.collection(features.map { (properties: $0.0, geometry: $0.1) }))
    }
    let loads: [(String, String, LayerKind, String?, [(String, String)], String?)] = [
      (
        "limite", "limite", .boundary, nil, [("{\"divipola\": \"25999\"}", HandMade.box(0, 0, 1000, 1000))],
        nil
      ),
      (
        "a", "reserva-a", .determinant, "1", [("{\"nombre\": \"Reserva A\"}", HandMade.box(0, 0, 400, 400))],
        nil
      ),
      (
        "a_sus", "reserva-a-sustracciones", .determinant, "1",
        [("{\"nombre\": \"Sustracción A\"}", HandMade.box(0, 300, 100, 400))], "reserva-a"
      ),
      (
        "b", "paramo-b", .determinant, "2", [("{\"nombre\": \"Páramo B\"}", HandMade.box(200, 0, 600, 400))],
        nil
      ),
      (
        "c", "arqueologia-c", .determinant, "1203",
        [("{\"nombre\": \"Área C\"}", HandMade.box(200, 200, 600, 600))], nil
      ),
      (
        "rio", "rio", .determinant, "5",
        [("{\"nombre\": \"Río\"}", HandMade.line([(700, -100), (700, 1100)]))], nil
      ),
      (
        "appa", "appa", .determinant, "10", [("{\"nombre\": \"APPA\"}", HandMade.box(800, 0, 1000, 200))], nil
      ),
      (
        "pot", "pot", .pot, nil,
        [
          (
            "{\"unidad\": \"ZU-1\", \"clase\": \"urbano\", \"categoria\": \"\", \"usos\": \"vivienda\"}",
            HandMade.box(0, 0, 300, 300)
          )
        ], nil
      ),
      (
        "predios", "predios", .cadastral, nil,
        [
          ("{\"npn\": \"\(Self.npn(1))\"}", HandMade.box(740, 0, 840, 100)),
          ("{\"npn\": \"\(Self.npn(2))\"}", HandMade.box(0, 0, 100, 100)),
        ], nil
      ),
    ]
    for (name, layer, kind, type, features, sustraccionOf) in loads {
      try await fixture.ingest(
        IngestOptions(
          paths: [try file(name, features)], layer: layer, kind: kind, type: type, divipola: "25999",
          mappings: kind == .boundary ? [("divipola", "divipola")] : [], publish: true,
          sustraccionOf: sustraccionOf))
    }
  }

  @Test("faces, resolutions, POT conflicts and affectations equal the hand-worked answer")
  func golden() async throws {
    let fixture = try await AnalysisFixture.make("golden")
    let scratch = try Scratch()
    try await load(fixture, scratch)
    let summary = try await fixture.analyze("25999")
    #expect(summary.faces == 8)
    #expect(summary.confluences == 3)
    #expect(summary.resolutions == ["prevalece": 1, "requiere_coordinacion": 2])
    #expect(summary.confluencesByLevelPair == ["1-1": 2, "1-3": 2])
    #expect(summary.conflicts == 3)
    #expect(abs(summary.conflictAreaByQuality["prohibido"]! - 90_000) < 1e-6)
    #expect(summary.parcels == 2 && summary.affectedParcels == 2)

    let run = summary.runID
    let faces = try await fixture.texts(
      """
      SELECT (SELECT string_agg(s.name, '+' ORDER BY s.name) FROM analysis_shape s
              WHERE s.run_id = f.run_id AND s.shape_id = ANY(f.members))
        || '|' || f.resolution || '|' || coalesce(f.prevailing_level::text, '-') || '|'
        || coalesce(f.prevailing_literal, '-') || '|' || round(f.area_m2::numeric, 6)::text
      FROM confluence_face f WHERE f.run_id = \(run) ORDER BY 1
      """)
    #expect(
      faces == [
        "APPA|unico|2|-|40000.000000",
        "Páramo B+Reserva A+Área C|requiere_coordinacion|1|-|40000.000000",
        "Páramo B+Reserva A|requiere_coordinacion|1|-|40000.000000",
        "Páramo B+Área C|prevalece|1|c|40000.000000",
        "Páramo B|unico|1|c|40000.000000",
        "Reserva A|unico|1|b|70000.000000",
        "Río|unico|1|c|60000.000000",
        "Área C|unico|3|-|80000.000000",
      ])
    let fundamento = try await fixture.texts(
      "SELECT fundamento FROM confluence_face WHERE run_id = \(run) AND resolution = 'prevalece'")
    #expect(
      fundamento.first?.hasPrefix("Ley 2294 de 2023, art. 32, nivel 1 (literal c): prevalece Páramo B")
        == true)

    let affectations = try await fixture.texts(
      """
      SELECT a.npn || '|' || s.name || '|' || round(a.area_m2::numeric, 6) || '|' || round(a.pct_parcel::numeric, 6)
        || '|' || round(a.pct_determinant::numeric, 6)
      FROM affectation a JOIN analysis_shape s USING (run_id, shape_id) WHERE a.run_id = \(run) ORDER BY 1
      """)
    #expect(
      affectations == [
        "\(Self.npn(1))|APPA|4000.000000|40.000000|10.000000",
        "\(Self.npn(2))|Reserva A|10000.000000|100.000000|6.666667",
      ])
    let totals = try await fixture.texts(
      """
      SELECT npn || '|' || round(restricted_m2::numeric, 6) || '|' || round(free_m2::numeric, 6) || '|'
        || prevailing_level FROM parcel_summary WHERE run_id = \(run) ORDER BY npn
      """)
    #expect(totals == ["\(Self.npn(1))|4000.000000|6000.000000|2", "\(Self.npn(2))|10000.000000|0.000000|1"])
    let conflicts = try await fixture.texts(
      "SELECT quality || '|' || level || '|' || unidad FROM pot_conflict WHERE run_id = \(run) GROUP BY 1 ORDER BY 1"
    )
    #expect(conflicts == ["prohibido|1|ZU-1"])

    // Provenance: the exact versions read.
    let roles = try await fixture.texts(
      "SELECT role || ':' || count(*) FROM analysis_input WHERE run_id = \(run) GROUP BY role ORDER BY role")
    #expect(roles == ["boundary:1", "cadastral:1", "determinant:5", "pot:1", "sustraccion:1"])

    // The same inputs again give the same rows.
    let again = try await fixture.analyze("25999")
    func fingerprint(_ id: Int64) async throws -> [String] {
      try await fixture.texts(
        """
        SELECT md5(string_agg(face_id || members::text || resolution || area_m2::text || md5(ST_AsBinary(geom)),
                              ',' ORDER BY face_id)) FROM confluence_face WHERE run_id = \(id)
        UNION ALL
        SELECT md5(string_agg(parcel_fid || ':' || shape_id || ':' || area_m2::text, ',' ORDER BY parcel_fid, shape_id))
        FROM affectation WHERE run_id = \(id)
        UNION ALL
        SELECT md5(string_agg(conflict_id || ':' || area_m2::text, ',' ORDER BY conflict_id)) FROM pot_conflict
        WHERE run_id = \(id)
        """)
    }
    #expect(try await fingerprint(run) == (try await fingerprint(again.runID)))

    // Deleting a run deletes its result rows, and only its own; a layer version a run read
    // cannot be deleted while the run exists.
    func resultRows(_ id: Int64) async throws -> Double {
      try await fixture.number(
        """
        SELECT ((SELECT count(*) FROM analysis_shape WHERE run_id = \(id))
          + (SELECT count(*) FROM confluence_face WHERE run_id = \(id))
          + (SELECT count(*) FROM pot_conflict WHERE run_id = \(id))
          + (SELECT count(*) FROM affectation WHERE run_id = \(id))
          + (SELECT count(*) FROM parcel_summary WHERE run_id = \(id)))::float8
        """)
    }
    let kept = try await resultRows(run)
    let copied = try await resultRows(again.runID)
    #expect(kept > 10 && copied == kept)
    _ = try await fixture.texts(
      "WITH d AS (DELETE FROM analysis_run WHERE id = \(again.runID) RETURNING id) SELECT id::text FROM d")
    #expect(try await resultRows(again.runID) == 0)
    #expect(try await resultRows(run) == kept)
    await #expect(throws: (any Error).self) {
      try await fixture.texts(
        """
        DELETE FROM layer_version WHERE id = (SELECT version_id FROM analysis_input WHERE run_id = \(run)
          AND role = 'cadastral') RETURNING id::text
        """)
    }
    #expect(
      try await fixture.number("SELECT count(*)::float8 FROM analysis_input WHERE run_id = \(run)") == 9)

    // A new published version of C makes the results stale; re-running clears it.
    #expect(try await fixture.stale().isEmpty)
    try await fixture.ingest(
      IngestOptions(
        paths: [
          try scratch.write(
            "c2.geojson",
            HandMade.collection([
              (properties: "{\"nombre\": \"Área C\"}", geometry: HandMade.box(200, 200, 650, 650))
            ]))
        ], layer: "arqueologia-c", kind: .determinant, type: "1203", publish: true))
    let stale = try await fixture.stale()
    #expect(stale.map(\.divipola) == ["25999"])
    #expect(stale.first?.layers == ["arqueologia-c"])
    _ = try await fixture.analyze("25999")
    #expect(try await fixture.stale().isEmpty)
  }

  @Test("a zone of the municipality: only what lies in it, kept apart from the municipality's results")
  func zone() async throws {
    let fixture = try await AnalysisFixture.make("zone")
    let scratch = try Scratch()
    try await load(fixture, scratch)
    let whole = try await fixture.analyze("25999")
    // The left half (x ≤ 500): A minus its sustracción, B and C cut at x = 500; not the river,
    // the APPA or P1; P2 inside A.
    let half = try await fixture.analyze(
      "25999", zone: Zone(geoJSON: [HandMade.box(0, 0, 500, 1000)], srid: 9377))
    #expect(half.zone && !whole.zone)
    #expect(abs(half.scopeArea - 500_000) < 1e-6)
    #expect(half.parcels == 1 && half.affectedParcels == 1)
    let facesArea = try await fixture.number(
      "SELECT sum(area_m2) FROM confluence_face WHERE run_id = \(half.runID)")
    // A' 150,000 ∪ B' (200..500 × 0..400) ∪ C' (200..500 × 200..600): 150,000 + 100 × 400 + 300 × 200.
    #expect(abs(facesArea - 250_000) < 1e-6)
    let beyond = try await fixture.number(
      """
      SELECT count(*)::float8 FROM confluence_face
      WHERE run_id = \(half.runID) AND ST_XMax(geom) > \(HandMade.x0 + 500 + 1e-6)
      """)
    #expect(beyond == 0)
    // The municipality's results stay those of the whole run, and nothing is stale.
    #expect(try await fixture.latestRunID("25999") == whole.runID)
    #expect(try await fixture.stale().isEmpty)
    // A zone outside the municipality is refused.
    await #expect(throws: AnalysisError.zoneOutside("25999")) {
      try await fixture.analyze("25999", zone: Zone(geoJSON: [HandMade.box(2000, 0, 2500, 500)], srid: 9377))
    }
  }

  @Test("a municipality without a published boundary is refused with a clear message")
  func noBoundary() async throws {
    let fixture = try await AnalysisFixture.make("noboundary")
    await #expect(throws: AnalysisError.noBoundary("05001")) { try await fixture.analyze("05001") }
    await #expect(throws: AnalysisError.invalidDivipola("5001")) { try await fixture.analyze("5001") }
    #expect(AnalysisError.noBoundary("05001").message(.es).contains("límite municipal"))
    let runs = try await fixture.number("SELECT count(*)::float8 FROM analysis_run")
    #expect(runs == 0)
  }
}
