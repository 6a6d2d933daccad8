import Logging
import PostgresNIO
import Synchronization

/// Copies of the published layer versions with each feature's GeoJSON geometry in CRS84
/// prepared (tables `feature_crs84_v<version>`), and which of them reads may use. A copy is
/// made in one transaction: a table of that name exists complete or not at all.
///
/// Reprojecting to CRS84 and writing GeoJSON were two fifths of PostgreSQL's work on a page of
/// 100 parcels in a box (pgbench, 8 clients, 100,000 parcels: 3,450–4,120 pages/s from the
/// partition, 5,050–5,950 from a copy). Prepared at load, they would cost every load about
/// 15 % more (100,000 parcels: 1.05 → 1.20 s); so the server prepares them afterwards, in the
/// background (``refresh(client:logger:)``), and reads fall back to the partition until a copy
/// exists, or when it has gone (``forget(_:)``).
public final class CRS84Copies: Sendable {
  private let ready = Mutex<Set<Int64>>([])

  public init() {}

  /// The table of `version`'s copy.
  public static func table(_ version: Int64) -> String { "feature_crs84_v\(version)" }

  /// Whether reads of `version` may use its copy.
  public func isReady(_ version: Int64) -> Bool { ready.withLock { $0.contains(version) } }

  /// Stops reads of `version` from using its copy (one found missing: another server dropped it).
  public func forget(_ version: Int64) { _ = ready.withLock { $0.remove(version) } }

  /// What one refresh did.
  public struct Refresh: Sendable {
    /// Versions whose copies were built.
    public var built: [Int64] = []
    /// Versions whose copies were dropped (no longer published, or deleted).
    public var dropped: [Int64] = []
    /// Versions whose copies could not be built this time, with why (tried again next time;
    /// the others are built all the same).
    public var failed: [Int64: String] = [:]
  }

  /// Drops the copies of versions no longer published (or deleted), learns which published
  /// versions have one, then builds the missing ones, one at a time, each usable as soon as
  /// it is made.
  @discardableResult
  public func refresh(client: PostgresClient, logger: Logger) async throws -> Refresh {
    var outcome = Refresh()
    let stale = try await client.query(
      Self.tables(
        where: """
          NOT EXISTS (SELECT 1 FROM layer_version v
                      WHERE v.id = substr(c.relname, 16)::bigint AND v.status = 'published')
          """), logger: logger
    ).collect()
    for row in stale {
      let (name, version) = try row.decode((String, Int64).self)
      // Reads here stop first; the drop waits for those in flight.
      forget(version)
      try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(name)"), logger: logger)
      outcome.dropped.append(version)
    }
    var copied = Set<Int64>()
    var pending: [Int64] = []
    let versions = try await client.query(
      "SELECT v.id, \(unescaped: Self.exists("v.id")) FROM layer_version v WHERE v.status = 'published' ORDER BY v.id",
      logger: logger)
    for try await (version, exists) in versions.decode((Int64, Bool).self) {
      if exists { copied.insert(version) } else { pending.append(version) }
    }
    ready.withLock { $0 = copied }
    for version in pending {
      do {
        if try await Self.build(version, client: client, logger: logger) {
          _ = ready.withLock { $0.insert(version) }
          outcome.built.append(version)
        }
      } catch let error where !(error is CancellationError) && !Task.isCancelled {
        outcome.failed[version] = String(reflecting: error)
      }
    }
    return outcome
  }

  /// Drops every copy (a server told not to keep them gives their disk back); returns the
  /// versions whose copies were dropped. Reads here stop using them first.
  @discardableResult
  public func dropAll(client: PostgresClient, logger: Logger) async throws -> [Int64] {
    ready.withLock { $0.removeAll() }
    return try await client.withTransaction(logger: logger) { connection in
      let rows = try await connection.query(Self.tables(where: "true"), logger: logger).collect()
      var dropped: [Int64] = []
      for row in rows {
        let (name, version) = try row.decode((String, Int64).self)
        try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(name)"), logger: logger)
        dropped.append(version)
      }
      return dropped
    }
  }

  /// Builds `version`'s copy in one transaction; false when the version is no longer
  /// published, another server is building it or has built it.
  static func build(_ version: Int64, client: PostgresClient, logger: Logger) async throws -> Bool {
    try await client.withTransaction(logger: logger) { connection in
      // One builder per version however many servers share the database.
      let locked = try await connection.query(
        "SELECT pg_try_advisory_xact_lock(\(Self.lockSpace), \(Int32(truncatingIfNeeded: version)))",
        logger: logger
      ).collect().first?.decode(Bool.self)
      guard locked == true else { return false }
      // The version stays (FOR KEY SHARE holds off its deletion), is still the published one,
      // and has no copy yet (another server may have built it since this one looked).
      let wanted = try await connection.query(
        """
        SELECT 1 FROM layer_version v WHERE v.id = \(version) AND v.status = 'published'
          AND NOT \(unescaped: Self.exists("v.id")) FOR KEY SHARE OF v
        """, logger: logger
      ).collect()
      guard !wanted.isEmpty else { return false }
      let name = Self.table(version)
      let partition = LayerRepository.partition(version)
      // The rows in fid order with their GeoJSON written as the partition's reads write it,
      // their key, the spatial index and the statistics the plans of a box need (the same
      // sample as the partition's).
      let geojson = FeatureQueries.geometryJSON("geom", srid: 4326, flip: false)
      let statements = [
        """
        CREATE TABLE \(name) (fid bigint NOT NULL, attributes json NOT NULL,
          geom geometry(Geometry, 9377) NOT NULL, geojson text NOT NULL)
        """,
        "ALTER TABLE \(name) ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN geojson SET STORAGE EXTERNAL",
        """
        INSERT INTO \(name) SELECT fid, attributes, geom, \(geojson)
        FROM \(partition) WHERE version_id = \(version) ORDER BY fid
        """,
        "ALTER TABLE \(name) ADD PRIMARY KEY (fid)",
        "CREATE INDEX \(name)_geom_idx ON \(name) USING gist (geom)",
        "SET LOCAL default_statistics_target = 30",
        "ANALYZE \(name) (fid, geom)",
      ]
      for statement in statements {
        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
      }
      return true
    }
  }

  /// Whether the copy of the version `version` (an SQL expression) exists, as SQL: a table,
  /// in the current schema, as `tables` finds them.
  static func exists(_ version: String) -> String {
    """
    EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            WHERE c.relkind = 'r' AND c.relname = 'feature_crs84_v' || \(version))
    """
  }

  /// `name, version` of the copies' tables (in the current schema) meeting `condition` (SQL
  /// over `c`, their `pg_class` row), in version order.
  static func tables(where condition: String) -> PostgresQuery {
    PostgresQuery(
      unsafeSQL: """
        SELECT c.relname, substr(c.relname, 16)::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
        WHERE c.relkind = 'r' AND c.relname ~ '^feature_crs84_v[0-9]+$' AND \(condition)
        ORDER BY 2
        """)
  }

  /// The first key of the advisory locks of the copies' builders ("crs8").
  static let lockSpace: Int32 = 0x6372_7338
}
