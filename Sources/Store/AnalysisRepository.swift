import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A published layer version an analysis reads.
public struct PublishedLayer: Sendable, Equatable {
  public var layerID: Int64
  public var slug: String
  public var kind: LayerKind
  public var title: String?
  public var determinantType: String?
  public var authority: String?
  public var legalAct: String?
  public var cutoffDate: String?
  /// The determinant layer this one holds the sustracciones of.
  public var sustraccionOf: Int64?
  public var versionID: Int64
  public var versionNumber: Int
}

/// A stored feature, geometry as WKB (EPSG:9377).
public struct StoredFeature: Sendable {
  public var fid: Int64
  public var npn: String?
  /// The attributes as a JSON object text.
  public var attributesJSON: String
  public var wkb: [UInt8]
}

/// A polygon given as a run's scope: GeoJSON geometries (their union) in `srid`.
public struct Zone: Sendable, Equatable {
  public var geoJSON: [String]
  public var srid: Int32

  public init(geoJSON: [String], srid: Int32 = 4326) {
    self.geoJSON = geoJSON
    self.srid = srid
  }
}

/// A parcel as the overlay needs it: fid, NPN, WKB (its box is read from the WKB by the caller:
/// four more aggregates cost PostgreSQL twice the rest of the query).
public struct ParcelRow: Sendable {
  public var fid: Int64
  public var npn: String?
  public var wkb: [UInt8]
}

/// One row of a COPY into a result table: the values in column order, nil for NULL.
public typealias CopyRow = [String?]

/// The results of one run, as COPY rows for each table (geometry as hex EWKB).
public struct AnalysisRows: Sendable {
  public var inputs: [(versionID: Int64, role: String)] = []
  public var shapes: [CopyRow] = []
  public var faces: [CopyRow] = []
  public var conflicts: [CopyRow] = []
  public var affectations: [CopyRow] = []
  public var summaries: [CopyRow] = []
  public init() {}
}

/// A municipality whose latest results no longer match the published layers.
public struct StaleMunicipality: Sendable, Equatable, Codable {
  public var divipola: String
  public var runID: Int64
  /// Layer slugs whose published version is not the one the run used, or new layers whose
  /// extent meets the scope.
  public var layers: [String]
}

/// A run as stored.
public struct AnalysisRunRecord: Sendable, Codable, Equatable {
  public var id: Int64
  public var divipola: String
  public var status: String
  public var parametersJSON: String
  public var countsJSON: String
  public var timingsJSON: String
  public var summaryJSON: String
  public var softwareVersion: String
  public var error: String?
  public var startedAt: Date
  public var finishedAt: Date?
}

/// Every statement of the conflict engine.
public enum AnalysisRepository {
  /// The municipality's boundary from the newest published `boundary` layer holding it.
  public static func scope(
    divipola: String, zone: Zone? = nil, client: PostgresClient, logger: Logger
  ) async throws
    -> (versionID: Int64, wkb: [UInt8])?
  {
    let rows = try await client.query(
      """
      WITH b AS (
        SELECT v.id, ST_Union(f.geom) AS g
        FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id
        WHERE l.kind = 'boundary' AND v.status = 'published' AND f.divipola = \(divipola)
        GROUP BY v.id ORDER BY v.id DESC LIMIT 1
      ), z AS (
        SELECT ST_MakeValid(ST_Union(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(t), \(zone?.srid ?? 4326)), 9377))) AS g
        FROM unnest(\(zone?.geoJSON ?? [])::text[]) t
      )
      SELECT b.id, ST_AsBinary(ST_Multi(CASE WHEN z.g IS NULL THEN b.g
                                             ELSE ST_CollectionExtract(ST_Intersection(b.g, z.g), 3) END))
      FROM b, z
      """, logger: logger)
    for try await (id, buffer) in rows.decode((Int64, ByteBuffer).self) {
      return (id, Array(buffer.readableBytesView))
    }
    return nil
  }

  /// Published layers of `kinds` whose extent meets the scope (all of them for cadastral and
  /// POT layers scoped to `divipola`).
  public static func publishedLayers(
    kinds: [LayerKind], scope: [UInt8], client: PostgresClient, logger: Logger
  ) async throws -> [PublishedLayer] {
    let kindNames = kinds.map(\.rawValue)
    let rows = try await client.query(
      """
      SELECT l.id, l.slug, l.kind::text, l.title, l.determinant_type, l.authority, l.legal_act,
             l.cutoff_date::text, l.sustraccion_of, v.id, v.number
      FROM layer l JOIN layer_version v ON v.layer_id = l.id AND v.status = 'published'
      WHERE l.kind::text = ANY(\(kindNames))
        AND (v.extent IS NULL OR ST_Intersects(v.extent, ST_GeomFromWKB(\(ByteBuffer(bytes: scope)), 9377)))
      ORDER BY l.id
      """, logger: logger)
    var out: [PublishedLayer] = []
    for try await row in rows.decode(
      (
        Int64, String, String, String?, String?, String?, String?, String?, Int64?, Int64, Int
      ).self)
    {
      out.append(
        PublishedLayer(
          layerID: row.0, slug: row.1, kind: LayerKind(rawValue: row.2) ?? .determinant, title: row.3,
          determinantType: row.4, authority: row.5, legalAct: row.6, cutoffDate: row.7, sustraccionOf: row.8,
          versionID: row.9, versionNumber: row.10))
    }
    return out
  }

  /// The version's features that meet the scope, in fid order. With `divipola`, features
  /// carrying another municipality's code are left out.
  public static func features(
    versionID: Int64, scope: [UInt8], divipola: String? = nil, client: PostgresClient, logger: Logger
  ) async throws -> [StoredFeature] {
    let rows = try await client.query(
      """
      WITH s AS (SELECT ST_GeomFromWKB(\(ByteBuffer(bytes: scope)), 9377) AS g)
      SELECT f.fid, f.npn, f.attributes::text, ST_AsBinary(f.geom)
      FROM feature f, s
      WHERE f.version_id = \(versionID) AND f.geom && s.g AND ST_Intersects(f.geom, s.g)
        AND (\(divipola)::text IS NULL OR f.divipola IS NULL OR f.divipola = \(divipola))
      ORDER BY f.fid
      """, logger: logger)
    var out: [StoredFeature] = []
    for try await (fid, npn, attributes, buffer) in rows.decode((Int64, String?, String, ByteBuffer).self) {
      out.append(
        StoredFeature(fid: fid, npn: npn, attributesJSON: attributes, wkb: Array(buffer.readableBytesView)))
    }
    return out
  }

  /// A parcel layer's features in the municipality: features carrying its DIVIPOLA code are
  /// taken without a spatial test; those without a code when they meet the scope. For a `zone`,
  /// only the parcels that meet it. Read over `parts` connections at once (by fid modulo).
  public static func parcels(
    versionID: Int64, scope: [UInt8], divipola: String, zone: Bool = false, parts: Int = 2,
    client: PostgresClient, logger: Logger
  ) async throws -> [ParcelRow] {
    let parts = max(1, parts)
    let scopeBuffer = ByteBuffer(bytes: scope)
    // Rows of 2,000 parcels each, packed in one bytea (fid, NPN length and bytes, WKB length
    // and bytes): decoding a row per parcel, or arrays, costs more than reading them.
    return try await withThrowingTaskGroup(of: [ParcelRow].self) { group in
      for part in 0..<parts {
        // Each part is one connection's work: PostgreSQL's own parallel workers on top would
        // only crowd the cores (and order inside a block does not matter: parcels are sorted
        // once read).
        group.addTask {
          try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL max_parallel_workers_per_gather = 0", logger: logger)
            let rows = try await connection.query(
              """
              SELECT string_agg(int8send(fid) || int4send(coalesce(octet_length(npn), -1))
                                || coalesce(convert_to(npn, 'UTF8'), ''::bytea) || int4send(octet_length(wkb)) || wkb,
                                ''::bytea)
              FROM (SELECT f.fid, f.npn, ST_AsBinary(f.geom) AS wkb FROM feature f
                    WHERE f.version_id = \(versionID) AND f.fid % \(parts) = \(part)
                      AND (f.divipola = \(divipola) AND NOT \(zone)
                           OR ((f.divipola IS NULL OR \(zone))
                               AND ST_Intersects(f.geom, ST_GeomFromWKB(\(scopeBuffer), 9377))))) p
              GROUP BY fid / \(2_000 * parts)
              """, logger: logger)
            var out: [ParcelRow] = []
            for try await block in rows.decode(ByteBuffer.self) {
              var reader = block
              while reader.readableBytes > 0 {
                guard let fid = reader.readInteger(as: Int64.self),
                  let npnLength = reader.readInteger(as: Int32.self)
                else { throw StoreError.malformedResult("parcel block ends inside a row header") }
                let npn = npnLength > 0 ? reader.readString(length: Int(npnLength)) : nil
                guard let wkbLength = reader.readInteger(as: Int32.self),
                  let wkb = reader.readBytes(length: Int(wkbLength))
                else { throw StoreError.malformedResult("parcel block ends inside a geometry") }
                // Nothing keeps the block alive: at a million parcels it would double the memory.
                out.append(ParcelRow(fid: fid, npn: npn, wkb: wkb))
              }
            }
            return out
          }
        }
      }
      var all: [ParcelRow] = []
      for try await part in group { all += part }
      return all.sorted { $0.fid < $1.fid }
    }
  }

  /// Starts a run (committed at once, so it is visible while it works).
  public static func createRun(
    divipola: String, zone: Bool = false, parametersJSON: String, softwareVersion: String,
    client: PostgresClient, logger: Logger
  ) async throws -> Int64 {
    let rows = try await client.query(
      """
      INSERT INTO analysis_run (divipola, zone, parameters, software_version)
      VALUES (\(divipola), \(zone), \(parametersJSON)::jsonb, \(softwareVersion)) RETURNING id
      """, logger: logger)
    for try await id in rows.decode(Int64.self) { return id }
    throw StoreError.noRowReturned("INSERT INTO analysis_run")
  }

  public static func failRun(
    _ runID: Int64, error: String, client: PostgresClient, logger: Logger
  ) async throws {
    try await client.query(
      "UPDATE analysis_run SET status = 'failed', error = \(error), finished_at = now() WHERE id = \(runID)",
      logger: logger)
  }

  /// Writes every result row and marks the run succeeded, in one transaction: a run is either
  /// complete or has no rows.
  public static func saveResults(
    runID: Int64, scope: [UInt8], rows: AnalysisRows, countsJSON: String, timingsJSON: String,
    summaryJSON: String, client: PostgresClient, logger: Logger
  ) async throws {
    try await client.withTransaction(logger: logger) { connection in
      for (versionID, role) in rows.inputs {
        try await connection.query(
          """
          INSERT INTO analysis_input (run_id, version_id, role) VALUES (\(runID), \(versionID), \(role))
          ON CONFLICT DO NOTHING
          """, logger: logger)
      }
      let run = String(runID)
      try await copy(
        "analysis_shape",
        [
          "run_id", "shape_id", "layer_id", "version_id", "fid", "type_code", "level", "literal", "ethnic",
          "name",
          "authority", "legal_act", "cutoff_date", "legal_basis", "area_m2", "geom",
        ],
        run: run, rows: rows.shapes, on: connection, logger: logger)
      try await copy(
        "confluence_face",
        [
          "run_id", "face_id", "members", "ranked_count", "prevailing_level", "prevailing_literal",
          "resolution",
          "concertacion_etnica", "sliver", "area_m2", "fundamento", "geom",
        ],
        run: run, rows: rows.faces, on: connection, logger: logger)
      try await copy(
        "pot_conflict",
        [
          "run_id", "conflict_id", "pot_version_id", "pot_fid", "unidad", "clase", "categoria", "face_id",
          "shapes", "level", "quality", "reason", "fundamento", "area_m2", "geom",
        ],
        run: run, rows: rows.conflicts, on: connection, logger: logger)
      try await copy(
        "affectation",
        [
          "run_id", "parcel_version_id", "parcel_fid", "npn", "shape_id", "area_m2", "pct_parcel",
          "pct_determinant", "covered", "geom",
        ],
        run: run, rows: rows.affectations, on: connection, logger: logger)
      try await copy(
        "parcel_summary",
        [
          "run_id", "parcel_version_id", "parcel_fid", "npn", "area_m2", "restricted_m2", "free_m2",
          "prevailing_level", "affectations", "slivers_dropped",
        ],
        run: run, rows: rows.summaries, on: connection, logger: logger)
      try await connection.query(
        """
        UPDATE analysis_run SET status = 'succeeded', finished_at = now(),
          scope = ST_Multi(ST_GeomFromWKB(\(ByteBuffer(bytes: scope)), 9377)),
          counts = \(countsJSON)::jsonb, timings = \(timingsJSON)::jsonb, summary = \(summaryJSON)::jsonb
        WHERE id = \(runID)
        """, logger: logger)
    }
  }

  /// `COPY table (columns) FROM STDIN`, the run id first in every row.
  static func copy(
    _ table: String, _ columns: [String], run: String, rows: [CopyRow], on connection: PostgresConnection,
    logger: Logger
  ) async throws {
    guard !rows.isEmpty else { return }
    try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
      var start = 0
      while start < rows.count {
        let end = min(start + 2_000, rows.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity((end - start) * 256)
        for row in rows[start..<end] {
          bytes.append(contentsOf: run.utf8)
          for value in row {
            bytes.append(CopyText.tab)
            CopyText.append(value, to: &bytes)
          }
          bytes.append(CopyText.newline)
        }
        try await writer.write(ByteBuffer(bytes: bytes))
        start = end
      }
    }
  }

  /// The newest succeeded run of each municipality whose inputs changed since: an input
  /// version no longer published, or a published determinant, condicionante, POT or cadastral
  /// version the run did not read whose extent meets the run's scope.
  public static func staleMunicipalities(
    client: PostgresClient, logger: Logger
  ) async throws
    -> [StaleMunicipality]
  {
    let rows = try await client.query(
      """
      WITH latest AS (
        SELECT DISTINCT ON (divipola) id, divipola, scope FROM analysis_run
        WHERE status = 'succeeded' AND NOT zone ORDER BY divipola, id DESC
      ), changed AS (
        SELECT r.divipola, r.id, l.slug
        FROM latest r JOIN analysis_input i ON i.run_id = r.id
        JOIN layer_version v ON v.id = i.version_id JOIN layer l ON l.id = v.layer_id
        WHERE v.status <> 'published'
        UNION
        SELECT r.divipola, r.id, l.slug
        FROM latest r JOIN layer_version v ON v.status = 'published' JOIN layer l ON l.id = v.layer_id
        WHERE l.kind IN ('determinant', 'condicionante', 'pot', 'cadastral', 'boundary')
          AND v.extent IS NOT NULL AND ST_Intersects(v.extent, r.scope)
          AND NOT EXISTS (SELECT 1 FROM analysis_input i WHERE i.run_id = r.id AND i.version_id = v.id)
      )
      SELECT divipola::text, id, array_agg(DISTINCT slug ORDER BY slug) FROM changed
      GROUP BY divipola, id ORDER BY divipola
      """, logger: logger)
    var out: [StaleMunicipality] = []
    for try await (divipola, id, slugs) in rows.decode((String, Int64, [String]).self) {
      out.append(StaleMunicipality(divipola: divipola, runID: id, layers: slugs))
    }
    return out
  }

  /// A run by id, or the newest succeeded one of a municipality.
  public static func run(
    id: Int64? = nil, divipola: String? = nil, client: PostgresClient, logger: Logger
  ) async throws -> AnalysisRunRecord? {
    let rows = try await client.query(
      """
      SELECT id, divipola::text, status, parameters::text, counts::text, timings::text, summary::text,
             software_version, error, started_at, finished_at
      FROM analysis_run
      WHERE (\(id)::bigint IS NULL OR id = \(id))
        AND (\(divipola)::text IS NULL OR (divipola = \(divipola) AND status = 'succeeded' AND NOT zone))
      ORDER BY id DESC LIMIT 1
      """, logger: logger)
    for try await row in rows.decode(
      (Int64, String, String, String, String, String, String, String, String?, Date, Date?).self)
    {
      return AnalysisRunRecord(
        id: row.0, divipola: row.1, status: row.2, parametersJSON: row.3, countsJSON: row.4,
        timingsJSON: row.5,
        summaryJSON: row.6, softwareVersion: row.7, error: row.8, startedAt: row.9, finishedAt: row.10)
    }
    return nil
  }
}

// MARK: Reads for the API

/// One row of a parcel's "cruce".
public struct AffectationRecord: Sendable, Codable, Equatable {
  public var runID: Int64
  public var npn: String?
  public var parcelFID: Int64
  public var layer: String
  public var determinant: String?
  public var typeCode: String
  public var level: Int?
  public var literal: String?
  public var authority: String?
  public var legalAct: String?
  public var cutoffDate: String?
  public var legalBasis: String?
  public var areaM2: Double
  public var pctParcel: Double
  public var pctDeterminant: Double
  /// GeoJSON of the piece in `srid` (nil when not asked for).
  public var geometry: String?
}

/// A parcel's totals in a run.
public struct ParcelTotals: Sendable, Codable, Equatable {
  public var runID: Int64
  public var divipola: String
  public var npn: String?
  public var parcelFID: Int64
  public var areaM2: Double
  public var restrictedM2: Double
  public var freeM2: Double
  public var prevailingLevel: Int?
  public var slivers: Int
  public var sliverRule: String
  /// GeoJSON of the parcel (nil when not asked for).
  public var geometry: String?
}

extension AnalysisRepository {
  /// The newest succeeded run that holds the parcel, its totals and its affectations. `npn` is a
  /// valid número predial: its first five digits are its municipality's code, which is how a
  /// run chose its parcels (a valid NPN's parcel carries that code).
  public static func parcelReport(
    npn: String, geometrySRID: Int32?, client: PostgresClient, logger: Logger
  ) async throws -> (ParcelTotals, [AffectationRecord])? {
    let srid = geometrySRID ?? 4326
    let want = geometrySRID != nil
    // The cadastral versions the municipality's runs read, named as constants below so that
    // PostgreSQL plans only their partitions: joined to the runs' versions, the lookup was
    // planned over every partition of `feature`, and the route slowed as layers were loaded.
    let versions = try await client.query(
      """
      SELECT DISTINCT i.version_id FROM analysis_run r
      JOIN analysis_input i ON i.run_id = r.id AND i.role = 'cadastral'
      WHERE r.status = 'succeeded' AND NOT r.zone AND r.divipola = \(String(npn.prefix(5)))
      """, logger: logger
    ).decode(Int64.self).reduce(into: [Int64]()) { $0.append($1) }
    guard !versions.isEmpty else { return nil }
    let only = versions.map(String.init).joined(separator: ",")
    let found = try await client.query(
      """
      SELECT r.id, r.divipola::text, f.fid, f.version_id, ST_Area(f.geom),
             coalesce(p.restricted_m2, 0), coalesce(p.free_m2, ST_Area(f.geom)), p.prevailing_level,
             coalesce(p.slivers_dropped, 0),
             (r.parameters->'affectation'->>'minArea') || ' m² / ' || (r.parameters->'affectation'->>'minPercent') || ' %',
             CASE WHEN \(want) THEN ST_AsGeoJSON(ST_Transform(f.geom, \(srid)), 7, 0) END
      FROM analysis_run r
      JOIN analysis_input i ON i.run_id = r.id AND i.role = 'cadastral'
      JOIN feature f ON f.version_id = i.version_id AND f.npn = \(npn) AND f.version_id IN (\(unescaped: only))
      LEFT JOIN parcel_summary p ON p.run_id = r.id AND p.parcel_version_id = f.version_id AND p.parcel_fid = f.fid
      WHERE r.status = 'succeeded' AND NOT r.zone
      ORDER BY r.id DESC LIMIT 1
      """, logger: logger)
    var totals: ParcelTotals?
    var versionID: Int64 = 0
    for try await row in found.decode(
      (Int64, String, Int64, Int64, Double, Double, Double, Int?, Int, String?, String?).self)
    {
      versionID = row.3
      totals = ParcelTotals(
        runID: row.0, divipola: row.1, npn: npn, parcelFID: row.2, areaM2: row.4, restrictedM2: row.5,
        freeM2: row.6, prevailingLevel: row.7, slivers: row.8, sliverRule: row.9 ?? "", geometry: row.10)
    }
    guard let totals else { return nil }
    let rows = try await client.query(
      """
      SELECT l.slug, s.name, s.type_code, s.level, s.literal, s.authority, s.legal_act, s.cutoff_date, s.legal_basis,
             a.area_m2, a.pct_parcel, a.pct_determinant,
             CASE WHEN \(want) THEN ST_AsGeoJSON(ST_Transform(a.geom, \(srid)), 7, 0) END
      FROM affectation a JOIN analysis_shape s ON s.run_id = a.run_id AND s.shape_id = a.shape_id
      JOIN layer l ON l.id = s.layer_id
      WHERE a.run_id = \(totals.runID) AND a.parcel_version_id = \(versionID) AND a.parcel_fid = \(totals.parcelFID)
      ORDER BY s.level NULLS LAST, a.area_m2 DESC, s.shape_id
      """, logger: logger)
    var out: [AffectationRecord] = []
    for try await row in rows.decode(
      (
        String, String?, String, Int?, String?, String?, String?, String?, String?, Double, Double, Double,
        String?
      )
      .self)
    {
      out.append(
        AffectationRecord(
          runID: totals.runID, npn: npn, parcelFID: totals.parcelFID, layer: row.0, determinant: row.1,
          typeCode: row.2, level: row.3, literal: row.4, authority: row.5, legalAct: row.6, cutoffDate: row.7,
          legalBasis: row.8, areaM2: row.9, pctParcel: row.10, pctDeterminant: row.11, geometry: row.12))
    }
    return (totals, out)
  }

  /// A run's inputs: layer slug, version number, role.
  public static func inputs(
    runID: Int64, client: PostgresClient, logger: Logger
  ) async throws
    -> [(layer: String, version: Int, role: String)]
  {
    let rows = try await client.query(
      """
      SELECT l.slug, v.number, i.role FROM analysis_input i JOIN layer_version v ON v.id = i.version_id
      JOIN layer l ON l.id = v.layer_id WHERE i.run_id = \(runID) ORDER BY i.role, l.slug
      """, logger: logger)
    var out: [(String, Int, String)] = []
    for try await row in rows.decode((String, Int, String).self) { out.append(row) }
    return out
  }
}
