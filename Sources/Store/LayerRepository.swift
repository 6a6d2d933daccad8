import Foundation
import Geo
import Logging
import NIOCore
import PostgresNIO

/// The kind of a layer (DESIGN §4).
public enum LayerKind: String, Sendable, Codable, CaseIterable {
  case cadastral, pot, determinant, condicionante, boundary
}

/// A layer as stored.
public struct LayerRecord: Sendable, Codable, Equatable {
  public var id: Int64
  public var slug: String
  public var kind: LayerKind
  public var divipola: String?
  public var determinantType: String?
  public var publishedVersion: Int?
}

/// A version as stored.
public struct VersionRecord: Sendable, Codable, Equatable {
  public var id: Int64
  public var number: Int
  public var status: String
  public var sourceName: String
  public var sha256: String
  public var featuresWritten: Int?
  public var createdAt: Date
}

/// What is known about a layer before loading into it.
public struct NewLayer: Sendable {
  public var slug: String
  public var kind: LayerKind
  public var divipola: String?
  public var determinantType: String?
  public var sustraccionOf: String?

  public init(
    slug: String, kind: LayerKind, divipola: String? = nil, determinantType: String? = nil,
    sustraccionOf: String? = nil
  ) {
    self.slug = slug
    self.kind = kind
    self.divipola = divipola
    self.determinantType = determinantType
    self.sustraccionOf = sustraccionOf
  }
}

/// One row for `COPY feature`, appended to `out` in COPY's text format: the columns of
/// `LayerRepository.copyColumns`, in order. `attributes` writes the JSON object (already
/// escaped for COPY), `geometry` the hex EWKB.
public struct FeatureRowWriter: Sendable {
  public var versionID: Int64

  public init(versionID: Int64) { self.versionID = versionID }

  public func append(
    fid: Int64, sourceFID: Int64, divipola: String?, npn: String?, to out: inout [UInt8],
    attributes: (inout [UInt8]) -> Void, geometry: (inout [UInt8]) -> Void
  ) {
    CopyText.append(versionID, to: &out)
    out.append(CopyText.tab)
    CopyText.append(fid, to: &out)
    out.append(CopyText.tab)
    CopyText.append(sourceFID, to: &out)
    out.append(CopyText.tab)
    CopyText.append(divipola, to: &out)
    out.append(CopyText.tab)
    CopyText.append(npn, to: &out)
    out.append(CopyText.tab)
    attributes(&out)
    out.append(CopyText.tab)
    geometry(&out)
    out.append(CopyText.newline)
  }
}

/// Errors a caller can explain to a person.
public enum LayerError: Error, Equatable, Sendable {
  case layerNotFound(String)
  case kindMismatch(slug: String, existing: LayerKind, requested: LayerKind)
  case sustraccionTargetNotFound(String)
  case versionNotFound(slug: String, number: Int)
  case nothingToRollBack(String)
}

/// Every statement about layers, versions and features. Functions take a connection so they
/// compose inside one transaction.
public enum LayerRepository {
  /// Serialises loads into one layer for the rest of the transaction
  /// (`pg_advisory_xact_lock` on the slug).
  public static func lockLayer(
    _ slug: String, on connection: PostgresConnection, logger: Logger
  )
    async throws
  {
    try await connection.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('nodo-layer:' || \(slug), 0))", logger: logger)
  }

  /// The layer `existing` (what `find` said of the slug in the same transaction, with the
  /// layer locked), or a new one when there is none; refuses a different kind for an
  /// existing slug.
  public static func ensureLayer(
    _ layer: NewLayer, existing: LayerRecord?, on connection: PostgresConnection, logger: Logger
  )
    async throws -> LayerRecord
  {
    var sustraccionID: Int64?
    if let target = layer.sustraccionOf {
      guard let record = try await find(target, on: connection, logger: logger) else {
        throw LayerError.sustraccionTargetNotFound(target)
      }
      sustraccionID = record.id
    }
    if let existing {
      guard existing.kind == layer.kind else {
        throw LayerError.kindMismatch(slug: layer.slug, existing: existing.kind, requested: layer.kind)
      }
      return existing
    }
    let rows = try await connection.query(
      """
      INSERT INTO layer (slug, kind, divipola, determinant_type, sustraccion_of)
      VALUES (\(layer.slug), \(layer.kind.rawValue)::layer_kind, \(layer.divipola), \(layer.determinantType), \(sustraccionID))
      RETURNING id
      """, logger: logger)
    for try await id in rows.decode(Int64.self) {
      return LayerRecord(
        id: id, slug: layer.slug, kind: layer.kind, divipola: layer.divipola,
        determinantType: layer.determinantType, publishedVersion: nil)
    }
    throw LayerError.layerNotFound(layer.slug)
  }

  public static func find(
    _ slug: String, on connection: PostgresConnection, logger: Logger
  )
    async throws -> LayerRecord?
  {
    let rows = try await connection.query(
      """
      SELECT l.id, l.slug, l.kind::text, l.divipola, l.determinant_type,
             (SELECT number FROM layer_version v WHERE v.layer_id = l.id AND v.status = 'published')
      FROM layer l WHERE l.slug = \(slug)
      """, logger: logger)
    for try await (id, slug, kind, divipola, type, published) in rows.decode(
      (Int64, String, String, String?, String?, Int?).self)
    {
      return LayerRecord(
        id: id, slug: slug, kind: LayerKind(rawValue: kind) ?? .determinant, divipola: divipola,
        determinantType: type, publishedVersion: published)
    }
    return nil
  }

  /// The version of the layer that already holds a source with this hash, if any.
  public static func versionWithHash(
    layerID: Int64, sha256: String, on connection: PostgresConnection, logger: Logger
  ) async throws -> Int? {
    let rows = try await connection.query(
      """
      SELECT number FROM layer_version
      WHERE layer_id = \(layerID) AND source_sha256 = \(sha256) AND status <> 'failed'
      ORDER BY number DESC LIMIT 1
      """, logger: logger)
    for try await number in rows.decode(Int.self) { return number }
    return nil
  }

  /// Inserts a staging version numbered after the last one.
  public static func createVersion(
    layerID: Int64, sourceName: String, sha256: String, createdBy: String,
    on connection: PostgresConnection, logger: Logger
  ) async throws -> (id: Int64, number: Int) {
    let rows = try await connection.query(
      """
      INSERT INTO layer_version (layer_id, number, source_name, source_sha256, created_by)
      SELECT \(layerID), coalesce(max(number), 0) + 1, \(sourceName), \(sha256), \(createdBy)
      FROM layer_version WHERE layer_id = \(layerID)
      RETURNING id, number
      """, logger: logger)
    for try await (id, number) in rows.decode((Int64, Int).self) { return (id, number) }
    throw LayerError.layerNotFound(String(layerID))
  }

  /// The name of a version's partition of `feature` (from an integer: safe as an identifier).
  static func partition(_ versionID: Int64) -> String { "feature_v\(versionID)" }

  /// Creates the version's future partition: same columns and storage, no indexes yet.
  public static func createPartition(
    versionID: Int64, on connection: PostgresConnection, logger: Logger
  )
    async throws
  {
    let name = partition(versionID)
    // With the parent's storage (geometries uncompressed, out of line: migration 012) and the
    // check that lets ATTACH PARTITION skip scanning the rows, in one statement.
    try await connection.query(
      """
      CREATE TABLE \(unescaped: name) (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
        CONSTRAINT \(unescaped: name)_version CHECK (version_id = \(unescaped: String(versionID))))
      """,
      logger: logger)
  }

  /// Builds the partition's indexes in bulk, attaches it to `feature` (the indexes match the
  /// parent's, so none is built twice) and refreshes its statistics. Only a boundary layer's
  /// partition gets an index on the DIVIPOLA code (the municipality looked up by its code);
  /// in other layers one municipality's rows share one code, or the code is not searched.
  public static func attachPartition(
    versionID: Int64, rows: Int, indexDivipola: Bool, on connection: PostgresConnection, logger: Logger
  )
    async throws
  {
    let name = partition(versionID)
    let id = String(versionID)
    let divipola =
      indexDivipola
      ? ["CREATE INDEX \(name)_divipola_idx ON \(name) (divipola) WHERE divipola IS NOT NULL"] : []
    // Parallel workers cost more than they save on smaller tables: starting them took the
    // primary key and NPN index of 100,000 parcels from about 60 to 85 ms each on two cores.
    let serial = rows < 500_000 ? ["SET LOCAL max_parallel_maintenance_workers = 0"] : []
    let statements =
      serial + [
        "ALTER TABLE \(name) ADD PRIMARY KEY (version_id, fid)",
        "CREATE INDEX \(name)_geom_idx ON \(name) USING gist (geom)",
        "CREATE INDEX \(name)_npn_idx ON \(name) (npn) WHERE npn IS NOT NULL",
      ] + divipola + [
        "ALTER TABLE feature ATTACH PARTITION \(name) FOR VALUES IN (\(id))",
        // Not the attributes: sampling jsonb costs a third of the ANALYZE and no plan uses it.
        // A sample of 9,000 rows instead of 30,000: the geometry histogram, most of the cost,
        // still places a box's rows well enough to choose between the spatial index and the
        // fid order, and a third of the sample took the ANALYZE of 100k parcels from 178 to
        // about 55 ms. The loaded partition is never written again, so autovacuum leaves it.
        // Until the load's transaction ends, which runs no other ANALYZE.
        "SET LOCAL default_statistics_target = 30",
        "ANALYZE \(name) (version_id, fid, source_fid, divipola, npn, geom)",
      ]
    // In one round trip instead of nine (LADM-COL's lc_terreno, 52 parcels, eight alternating
    // loads: from the COPY's end to the statistics, median 10 → 8.5 ms).
    let body = statements.map { "EXECUTE '\($0.replacingOccurrences(of: "'", with: "''"))';" }
      .joined(separator: " ")
    try await connection.query(PostgresQuery(unsafeSQL: "DO $$ BEGIN \(body) END $$"), logger: logger)
  }

  /// The columns `FeatureRowWriter` writes, in order.
  public static let copyColumns = [
    "version_id", "fid", "source_fid", "divipola", "npn", "attributes", "geom",
  ]

  /// Streams rows into the version's partition with `COPY ... FROM STDIN` (text format).
  /// `next` returns the next rows, written by `FeatureRowWriter`, nil at the end.
  public static func copyFeatures(
    versionID: Int64, on connection: PostgresConnection, logger: Logger,
    next: () async throws -> ByteBuffer?
  ) async throws {
    try await connection.copyFrom(table: partition(versionID), columns: copyColumns, logger: logger) {
      writer in
      while let rows = try await next() {
        try await writer.write(rows)
      }
    }
  }

  /// Records the outcome of a load on its version: counts, extent (EPSG:9377; a box, even for a
  /// single point), family, the report.
  public static func finishVersion(
    versionID: Int64, encoding: String, sourceCRS: String, sourceEPSG: Int?, crsConfidence: Int,
    family: String, read: Int, written: Int, repaired: Int, dropped: Int, extent: Envelope?,
    reportJSON: String,
    on connection: PostgresConnection, logger: Logger
  ) async throws {
    try await connection.query(
      """
      UPDATE layer_version SET
        encoding = \(encoding), source_crs = \(sourceCRS), source_epsg = \(sourceEPSG),
        crs_confidence = \(crsConfidence), geometry_family = \(family),
        features_read = \(read), features_written = \(written), features_repaired = \(repaired),
        features_dropped = \(dropped), report = \(reportJSON)::jsonb,
        extent = ST_MakeEnvelope(\(extent?.minX), \(extent?.minY), \(extent?.maxX), \(extent?.maxY), 9377)
      WHERE id = \(versionID)
      """, logger: logger)
  }

  /// Flips `versionID` to published and the layer's previous published version to superseded,
  /// in the caller's transaction.
  public static func publish(
    layerID: Int64, versionID: Int64, on connection: PostgresConnection, logger: Logger
  ) async throws {
    try await connection.query(
      """
      UPDATE layer_version SET status = 'superseded'
      WHERE layer_id = \(layerID) AND status = 'published' AND id <> \(versionID)
      """, logger: logger)
    try await connection.query(
      "UPDATE layer_version SET status = 'published', published_at = now() WHERE id = \(versionID)",
      logger: logger)
  }

  /// The id of version `number` of the layer.
  public static func versionID(
    layerID: Int64, number: Int, on connection: PostgresConnection, logger: Logger
  ) async throws -> Int64? {
    let rows = try await connection.query(
      "SELECT id FROM layer_version WHERE layer_id = \(layerID) AND number = \(number)", logger: logger)
    for try await id in rows.decode(Int64.self) { return id }
    return nil
  }

  /// Publishes the newest superseded version before the published one, and marks the
  /// published one superseded. Returns (from, to) version numbers.
  public static func rollback(
    slug: String, on connection: PostgresConnection, logger: Logger
  )
    async throws -> (from: Int, to: Int)
  {
    guard let layer = try await find(slug, on: connection, logger: logger) else {
      throw LayerError.layerNotFound(slug)
    }
    guard let current = layer.publishedVersion else { throw LayerError.nothingToRollBack(slug) }
    let rows = try await connection.query(
      """
      SELECT id, number FROM layer_version
      WHERE layer_id = \(layer.id) AND status = 'superseded' AND number < \(current)
      ORDER BY number DESC LIMIT 1
      """, logger: logger)
    for try await (id, number) in rows.decode((Int64, Int).self) {
      try await publish(layerID: layer.id, versionID: id, on: connection, logger: logger)
      return (current, number)
    }
    throw LayerError.nothingToRollBack(slug)
  }

  /// All versions of a layer, newest first.
  public static func versions(
    slug: String, on connection: PostgresConnection, logger: Logger
  )
    async throws -> [VersionRecord]
  {
    let rows = try await connection.query(
      """
      SELECT v.id, v.number, v.status::text, v.source_name, v.source_sha256, v.features_written, v.created_at
      FROM layer_version v JOIN layer l ON l.id = v.layer_id
      WHERE l.slug = \(slug) ORDER BY v.number DESC
      """, logger: logger)
    var out: [VersionRecord] = []
    for try await (id, number, status, source, sha, written, created) in rows.decode(
      (Int64, Int, String, String, String, Int?, Date).self)
    {
      out.append(
        VersionRecord(
          id: id, number: number, status: status, sourceName: source, sha256: sha,
          featuresWritten: written, createdAt: created))
    }
    return out
  }

  /// All layers with their published version.
  public static func layers(
    on connection: PostgresConnection, logger: Logger
  ) async throws
    -> [LayerRecord]
  {
    let rows = try await connection.query(
      """
      SELECT l.id, l.slug, l.kind::text, l.divipola, l.determinant_type,
             (SELECT number FROM layer_version v WHERE v.layer_id = l.id AND v.status = 'published')
      FROM layer l ORDER BY l.slug
      """, logger: logger)
    var out: [LayerRecord] = []
    for try await (id, slug, kind, divipola, type, published) in rows.decode(
      (Int64, String, String, String?, String?, Int?).self)
    {
      out.append(
        LayerRecord(
          id: id, slug: slug, kind: LayerKind(rawValue: kind) ?? .determinant, divipola: divipola,
          determinantType: type, publishedVersion: published))
    }
    return out
  }
}
