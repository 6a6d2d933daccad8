import Foundation
import Geo
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Where a collection's features come from.
public enum CollectionSource: Sendable, Equatable {
  /// A layer's version (the published one when listed; an older one when a cursor pins it).
  case layer(versionID: Int64)
  case faces(runID: Int64)
  case conflicts(runID: Int64)
  case affectations(runID: Int64)
}

extension CollectionSource {
  /// An analysis result of `kind` (`faces`, `conflicts`, `affectations`) of a run.
  public static func analysis(_ kind: String, runID: Int64) -> CollectionSource? {
    switch kind {
    case "faces": .faces(runID: runID)
    case "conflicts": .conflicts(runID: runID)
    case "affectations": .affectations(runID: runID)
    default: nil
    }
  }
}

/// A collection of the OGC API.
public struct CollectionInfo: Sendable, Equatable {
  public var id: String
  /// `cadastral`, `pot`, `determinant`, `condicionante`, `boundary`, or `faces`, `conflicts`,
  /// `affectations` for analysis results.
  public var kind: String
  public var title: String?
  public var divipola: String?
  public var determinantType: String?
  public var geometryFamily: String?
  public var source: CollectionSource
  /// Version number (layers) or run id (analysis results).
  public var revision: Int64
  /// In CRS84: min lon, min lat, max lon, max lat.
  public var extent: [Double]?
}

/// The filters of an items request, already checked.
public struct ItemsQuery: Sendable {
  public var limit: Int
  /// Keyset cursor: features with a larger id.
  public var after: Int64?
  /// One feature by id (items/{id}).
  public var id: Int64?
  /// In `bboxSRID`, x/y order (lon/lat for 4326).
  public var bbox: [Double]?
  public var bboxSRID: Int32
  /// 4326 or 9377.
  public var outputSRID: Int32
  /// Axis order of the output CRS is y/x (EPSG:4326 lat/lon, EPSG:9377 northing/easting).
  public var flipAxes: Bool
  /// Only these properties.
  public var properties: [String]?
  /// A boolean SQL expression over `t.props` (jsonb) and `t.geom`, with its binds from `$n`
  /// numbered after the query's own.
  public var filter: SQLFilter?

  public init(
    limit: Int, after: Int64? = nil, id: Int64? = nil, bbox: [Double]? = nil, bboxSRID: Int32 = 4326,
    outputSRID: Int32 = 4326, flipAxes: Bool = false, properties: [String]? = nil, filter: SQLFilter? = nil
  ) {
    self.limit = limit
    self.after = after
    self.id = id
    self.bbox = bbox
    self.bboxSRID = bboxSRID
    self.outputSRID = outputSRID
    self.flipAxes = flipAxes
    self.properties = properties
    self.filter = filter
  }
}

/// A SQL boolean expression with placeholders `{0}`, `{1}`… for its values.
public struct SQLFilter: Sendable, Equatable {
  public var sql: String
  public var values: [FilterValue]
  public init(sql: String, values: [FilterValue]) {
    self.sql = sql
    self.values = values
  }
}

public enum FilterValue: Sendable, Equatable {
  case text(String)
  case number(Double)
  case texts([String])
  case numbers([Double])
}

/// One feature of a page: its id and its GeoJSON text.
public struct FeatureText: Sendable {
  public var id: Int64
  public var json: String
}

/// Every statement of the features API.
public enum FeatureQueries {
  /// Published layers, then the latest analysis results of each municipality.
  public static func collections(client: PostgresClient, logger: Logger) async throws -> [CollectionInfo] {
    try await layerCollections(slug: nil, client: client, logger: logger)
      + analysisCollections(divipola: nil, client: client, logger: logger)
  }

  /// One collection by id, without listing the others (the hot path of every items request).
  public static func collection(
    id: String, client: PostgresClient, logger: Logger
  ) async throws -> CollectionInfo? {
    let parts = id.split(separator: "-")
    if parts.count == 3, parts[0] == "analysis", parts[1].count == 5, parts[1].allSatisfy(\.isNumber),
      analysisKinds.contains(String(parts[2]))
    {
      return try await analysisCollections(divipola: String(parts[1]), client: client, logger: logger)
        .first { $0.id == id }
    }
    return try await layerCollections(slug: id, client: client, logger: logger).first
  }

  /// The kinds of analysis results served as collections.
  static let analysisKinds = ["faces", "conflicts", "affectations"]

  /// Published layers (all of them, or the one with `slug`).
  static func layerCollections(
    slug: String?, client: PostgresClient, logger: Logger
  ) async throws
    -> [CollectionInfo]
  {
    // Every items request looks its collection up: prepared, it is parsed and planned once
    // per connection.
    let rows = try await client.execute(LayerCollections(slug: slug), logger: logger)
    var out: [CollectionInfo] = []
    for try await row in rows {
      out.append(
        CollectionInfo(
          id: row.0, kind: row.1, title: row.2, divipola: row.3, determinantType: row.4,
          geometryFamily: row.5, source: .layer(versionID: row.6), revision: Int64(row.7),
          extent: extent(row.8, row.9, row.10, row.11)))
    }
    return out
  }

  /// The faces, conflicts and affectations of the latest succeeded run of each municipality
  /// (or of `divipola`).
  static func analysisCollections(
    divipola: String?, client: PostgresClient, logger: Logger
  ) async throws
    -> [CollectionInfo]
  {
    let rows = try await client.query(
      """
      SELECT id, divipola::text, ST_XMin(e.g), ST_YMin(e.g), ST_XMax(e.g), ST_YMax(e.g)
      FROM (SELECT DISTINCT ON (divipola) id, divipola, scope FROM analysis_run
            WHERE status = 'succeeded' AND NOT zone AND (\(divipola)::text IS NULL OR divipola = \(divipola))
            ORDER BY divipola, id DESC) r
      LEFT JOIN LATERAL (SELECT ST_Transform(ST_Envelope(r.scope), 4326) AS g) e ON true
      ORDER BY divipola
      """, logger: logger)
    var out: [CollectionInfo] = []
    for try await (run, code, a, b, c, d) in rows.decode(
      (Int64, String, Double?, Double?, Double?, Double?).self)
    {
      for kind in analysisKinds {
        out.append(
          CollectionInfo(
            id: "analysis-\(code)-\(kind)", kind: kind, title: nil, divipola: code, determinantType: nil,
            geometryFamily: "polygon", source: CollectionSource.analysis(kind, runID: run)!, revision: run,
            extent: extent(a, b, c, d)))
      }
    }
    return out
  }

  static func extent(_ a: Double?, _ b: Double?, _ c: Double?, _ d: Double?) -> [Double]? {
    guard let a, let b, let c, let d else { return nil }
    return [a, b, c, d]
  }

  /// Whether a version belongs to the layer (a cursor may pin an older version).
  public static func versionBelongs(
    versionID: Int64, slug: String, client: PostgresClient, logger: Logger
  ) async throws -> Bool {
    let rows = try await client.query(
      """
      SELECT 1 FROM layer_version v JOIN layer l ON l.id = v.layer_id
      WHERE v.id = \(versionID) AND l.slug = \(slug)
      """, logger: logger)
    for try await _ in rows { return true }
    return false
  }

  /// The subquery `t (id, geom, props)` of a source. A layer's `props` are `json` (stored as
  /// the ingest wrote them, served without printing) unless `jsonb`, for what inspects them.
  static func sourceSQL(_ source: CollectionSource, jsonb: Bool = false) -> String {
    switch source {
    case .layer(let version):
      return layerRows(version, table: "feature", jsonb: jsonb)
    case .faces(let run):
      return """
        SELECT c.face_id::bigint AS id, c.geom, jsonb_build_object(
          'resolution', c.resolution, 'prevailing_level', c.prevailing_level,
          'prevailing_literal', c.prevailing_literal, 'concertacion_etnica', c.concertacion_etnica,
          'sliver', c.sliver, 'determinant_count', cardinality(c.members), 'ranked_count', c.ranked_count,
          'area_m2', c.area_m2, 'fundamento', c.fundamento,
          'determinants', (SELECT jsonb_agg(jsonb_build_object('layer', l.slug, 'fid', s.fid, 'type', s.type_code,
                             'level', s.level, 'literal', s.literal, 'name', s.name, 'authority', s.authority)
                             ORDER BY s.shape_id)
                           FROM analysis_shape s JOIN layer l ON l.id = s.layer_id
                           WHERE s.run_id = c.run_id AND s.shape_id = ANY(c.members))) AS props
        FROM confluence_face c WHERE c.run_id = \(run)
        """
    case .conflicts(let run):
      return """
        SELECT c.conflict_id::bigint AS id, c.geom, jsonb_build_object(
          'unidad', c.unidad, 'clase', c.clase, 'categoria', c.categoria, 'quality', c.quality,
          'level', c.level, 'reason', c.reason, 'fundamento', c.fundamento, 'area_m2', c.area_m2,
          'face_id', c.face_id, 'pot_fid', c.pot_fid,
          'determinants', (SELECT jsonb_agg(jsonb_build_object('layer', l.slug, 'fid', s.fid, 'type', s.type_code,
                             'level', s.level, 'name', s.name) ORDER BY s.shape_id)
                           FROM analysis_shape s JOIN layer l ON l.id = s.layer_id
                           WHERE s.run_id = c.run_id AND s.shape_id = ANY(c.shapes))) AS props
        FROM pot_conflict c WHERE c.run_id = \(run)
        """
    case .affectations(let run):
      return """
        SELECT a.parcel_fid * 1000000 + a.shape_id AS id, a.geom, jsonb_build_object(
          'npn', a.npn, 'parcel_fid', a.parcel_fid, 'layer', l.slug, 'determinant', s.name, 'type', s.type_code,
          'level', s.level, 'literal', s.literal, 'authority', s.authority, 'legal_act', s.legal_act,
          'cutoff_date', s.cutoff_date, 'legal_basis', s.legal_basis, 'area_m2', a.area_m2,
          'area_ha', a.area_m2 / 10000, 'pct_parcel', a.pct_parcel, 'pct_determinant', a.pct_determinant) AS props
        FROM affectation a JOIN analysis_shape s ON s.run_id = a.run_id AND s.shape_id = a.shape_id
        JOIN layer l ON l.id = s.layer_id
        WHERE a.run_id = \(run) AND a.geom IS NOT NULL
        """
    }
  }

  /// A layer version's rows as `id, geom, props` (`attributes` holds the NPN and DIVIPOLA code
  /// the ingest extracted, under those names), read from `table`: the partitioned `feature` or
  /// the version's own partition. `props` is `json`, or `jsonb` when asked (a filter's
  /// operators), converted once per row.
  static func layerRows(_ version: Int64, table: String, jsonb: Bool = false) -> String {
    """
    SELECT f.fid AS id, f.geom, f.attributes\(jsonb ? "::jsonb" : "") AS props
    FROM \(table) f WHERE f.version_id = \(version)
    """
  }

  /// A GeoJSON Feature as text, built by PostgreSQL from a row `t` of a source (`id`, `geom`,
  /// `props`): the geometry in `srid` (`geometryJSON`), `properties` an SQL expression over `t`.
  ///
  /// With `prepared`, `t` has the geometry's GeoJSON in CRS84 (`geojson`, a ``CRS84Copies``
  /// row, written by the same `geometryJSON`), used for that output.
  static func featureJSON(srid: Int32, flip: Bool, properties: String, prepared: Bool = false) -> String {
    let json =
      prepared && srid == 4326 && !flip ? "t.geojson" : geometryJSON("t.geom", srid: srid, flip: flip)
    return """
      '{"type":"Feature","id":' || t.id || ',"geometry":' || \(json)
      || ',"properties":' || (\(properties))::text || '}'
      """
  }

  /// The GeoJSON text of `geometry` (an SQL expression of an EPSG:9377 geometry) in `srid`: y/x
  /// when `flip`, millimetres in EPSG:9377, 7 decimals in degrees; `null` for none.
  static func geometryJSON(_ geometry: String, srid: Int32, flip: Bool) -> String {
    var geometry = srid == 9377 ? geometry : "ST_Transform(\(geometry), \(srid))"
    if flip { geometry = "ST_FlipCoordinates(\(geometry))" }
    return "coalesce(ST_AsGeoJSON(\(geometry), \(srid == 9377 ? 3 : 7), 0), 'null')"
  }

  /// Rows of `t` meeting a box (`box` and `inner` SQL expressions of EPSG:9377 geometries,
  /// `BoxPolygon`'s): a feature whose box lies inside `inner` meets it without GEOS
  /// (`ST_Intersects` was 40 % of a box page: every candidate converted for GEOS); only those
  /// across its edge are tested. A CASE, not an OR: PostgreSQL turned the OR into two bitmap
  /// index scans. The edge test is `ST_DWithin(…, 0)`, PostGIS's own distance with an early
  /// exit, which answers as `ST_Intersects` does without building GEOS geometries (half the
  /// cost of a page's test; the same features on 3,000 random boxes and 4,000 boxes cornered
  /// on parcels' vertices over 100,000 parcels).
  static func inBox(_ box: String, inner: String) -> String {
    "t.geom && \(box) AND \(meetsBox(box, inner: inner))"
  }

  /// Whether a row `t` whose box overlaps `box` meets it (`inBox`'s exact part).
  static func meetsBox(_ box: String, inner: String) -> String {
    "CASE WHEN t.geom @ \(inner) THEN true ELSE ST_DWithin(t.geom, \(box), 0) END"
  }

  /// Only the properties named in `names` (an SQL text[] expression) of a row `t` (`props`
  /// json or jsonb).
  static func selectedProperties(_ names: String) -> String {
    "coalesce((SELECT jsonb_object_agg(k, v) FROM jsonb_each(t.props::jsonb) AS e(k, v) WHERE k = ANY(\(names)::text[])), '{}'::jsonb)"
  }

  /// Rows of an items statement, in id order.
  public typealias FeatureRows = AsyncThrowingMapSequence<PostgresRowSequence, ItemRow>

  /// The page's features as GeoJSON text, built by PostgreSQL, in id order, in chunks of
  /// `chunkSize` (`ItemRow`): `limit` features, and whether there is a next page. Rows stream.
  /// Every row, and one row without a feature when nothing matches, says whether a layer source's
  /// version was still the published one in the statement's snapshot: a caller that took the
  /// version from a cache learns in the same round trip that it must look again.
  ///
  /// A layer version's hot requests read its copy (``CRS84Copies``) once `copies` says it is
  /// ready; a copy found gone is forgotten and the version's partition read instead.
  public static func items(
    _ source: CollectionSource, _ query: ItemsQuery, client: PostgresClient, copies: CRS84Copies? = nil,
    logger: Logger
  ) async throws -> FeatureRows {
    // A layer's feature by id, its plain pages and its pages in a small box are the hot
    // requests: they run as prepared statements, parsed and planned once per connection and
    // version. Parsing and planning this SELECT costs PostgreSQL three times its execution.
    // Pages in a larger box stay one-shot: the best plan depends on the box (a small one reads
    // the spatial index and sorts, a large one walks the ids), which a cached plan cannot follow.
    if case .layer(let version) = source, query.filter == nil,
      query.bbox == nil || (query.id == nil && LayerStatement.isSmallBox(query))
    {
      var shape = LayerStatement.Shape(version: version, query)
      if let copies, copies.isReady(version) {
        shape.copy = true
        do {
          return try await prepared(shape, query, client: client, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
          // undefined_table: another server dropped the copy (its version no longer published).
          copies.forget(version)
          shape.copy = false
        }
      }
      return try await prepared(shape, query, client: client, logger: logger)
    }
    return try await dynamicItems(source, query, client: client, logger: logger).map { try ItemRow($0) }
  }

  /// A layer version's feature by id, plain page or page in a small box, as `shape` says.
  private static func prepared(
    _ shape: LayerStatement.Shape, _ query: ItemsQuery, client: PostgresClient, logger: Logger
  ) async throws -> FeatureRows {
    try await LayerStatement.$shape.withValue(shape) {
      if let id = query.id {
        return try await client.execute(
          LayerFeatureByID(id: id, properties: query.properties), logger: logger)
      }
      return try await client.execute(
        LayerFeatures(
          after: query.after ?? Int64.min, limit: Int64(query.limit + 1), properties: query.properties,
          box: try query.bbox.map { try BoxPolygon($0, srid: query.bboxSRID) }),
        logger: logger)
    }
  }

  /// Features per row of an items statement. A row costs the server more than its bytes
  /// (postgres-nio's row handling, a task switch): one per feature was most of the server's CPU
  /// on a page in a box.
  static let chunkSize = 100

  /// Whether a page of `query` comes in one row (`checked`'s `single`).
  static func fitsOneRow(_ query: ItemsQuery) -> Bool { query.limit <= chunkSize }

  /// `SELECT current, count, last, more, json`: the features of `page` (a `SELECT t.id,
  /// <json> … ORDER BY t.id LIMIT <limit>`, `limit` one more than the page's size) gathered
  /// in chunks, in id order: `json` their GeoJSON joined by commas, `count` how many, `last`
  /// the last id, `more` whether the row past the page was read (in a chunk of its own or the
  /// last). Without `limit`, `page` has at most one row, passed through as `current, id,
  /// json` (a feature by id: two columns fewer to decode). One row of nulls but
  /// `current` when nothing matches; `current` tells whether a layer version is still
  /// published (always true for analysis results, which are never cached).
  ///
  /// `single` when the page holds at most `chunkSize` features: one plain aggregate over the
  /// page, without the numbering window, the grouping and its sort, and the lateral join
  /// (a fifth of a box page's statement), with a sixth column, `drop`: the bytes that end
  /// `json` and belong to the row past the page (its feature and the comma before it), which
  /// the reader cuts off. The aggregates take the rows in the order the page's `ORDER BY …
  /// LIMIT` gives them: a plain aggregate over one subquery has no other input order.
  static func checked(
    _ source: CollectionSource, _ page: String, limit: String?, single: Bool = false
  ) -> String {
    let current =
      if case .layer(let version) = source {
        "(SELECT v.status = 'published' FROM layer_version v WHERE v.id = \(version))"
      } else {
        "true"
      }
    guard let limit else {
      return
        "SELECT c.current, f.id, f.json FROM (SELECT \(current) AS current) c LEFT JOIN LATERAL (\(page)) f ON true"
    }
    if single {
      return """
        SELECT \(current) AS current, least(count(*), \(limit) - 1) AS count,
          (array_agg(q.id))[least(count(*), \(limit) - 1)] AS last, count(*) >= \(limit) AS more,
          string_agg(q.json, ',') AS json, (array_agg(octet_length(q.json)))[\(limit)] + 1 AS drop
        FROM (\(page)) q
        """
    }
    return """
      SELECT c.current, f.count, f.last, f.more, f.json FROM (SELECT \(current) AS current) c
      LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE p.n < \(limit)) AS count, max(p.id) FILTER (WHERE p.n < \(limit)) AS last,
          bool_or(p.n >= \(limit)) AS more,
          string_agg(p.json, ',' ORDER BY p.n) FILTER (WHERE p.n < \(limit)) AS json
        FROM (SELECT row_number() OVER (ORDER BY q.id) AS n, q.id, q.json FROM (\(page)) q) p
        GROUP BY (p.n - 1) / \(chunkSize) ORDER BY (p.n - 1) / \(chunkSize)
      ) f ON true
      """
  }

  private static func dynamicItems(
    _ source: CollectionSource, _ query: ItemsQuery, client: PostgresClient, logger: Logger
  ) async throws -> PostgresRowSequence {
    var binds = PostgresBindings()
    var conditions: [String] = []
    var next = 1
    func placeholder() -> String {
      defer { next += 1 }
      return "$\(next)"
    }
    if let id = query.id {
      conditions.append("t.id = \(placeholder())")
      binds.append(id)
    }
    if let after = query.after {
      conditions.append("t.id > \(placeholder())")
      binds.append(after)
    }
    if let box = query.bbox, box.count == 4 {
      // Written into the statement as casts of parameters, not subqueries: planned with the
      // box's value, PostgreSQL chooses between the spatial index and the fid order.
      let polygon = try BoxPolygon(box, srid: query.bboxSRID)
      let (outer, inner) = (placeholder(), placeholder())
      binds.append(polygon.polygon)
      binds.append(polygon.inner)
      conditions.append(inBox("\(outer)::geometry", inner: "\(inner)::geometry"))
    }
    if let filter = query.filter {
      var sql = filter.sql
      let placeholders = filter.values.map { _ in placeholder() }
      // Highest index first, so "{1}" never matches inside "{10}".
      for index in filter.values.indices.reversed() {
        sql = sql.replacingOccurrences(of: "{\(index)}", with: placeholders[index])
      }
      for value in filter.values {
        switch value {
        case .text(let text): binds.append(text)
        case .number(let number): binds.append(number)
        case .texts(let texts): binds.append(texts)
        case .numbers(let numbers): binds.append(numbers)
        }
      }
      conditions.append("(\(sql))")
    }
    var properties = "t.props"
    if let wanted = query.properties {
      let p = placeholder()
      binds.append(wanted)
      properties = selectedProperties(p)
    }
    let limit = placeholder()
    binds.append(query.limit + 1)
    let sql = checked(
      source,
      """
      SELECT t.id, \(featureJSON(srid: query.outputSRID, flip: query.flipAxes, properties: properties)) AS json
      FROM (\(sourceSQL(source, jsonb: query.filter != nil))) t
      \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
      ORDER BY t.id LIMIT \(limit)
      """, limit: "\(limit)::int8", single: fitsOneRow(query))
    return try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
  }
}

extension FeatureQueries {
  /// One Web Mercator tile of a collection as Mapbox Vector Tile bytes (`ST_AsMVT`, a layer
  /// named after the collection, feature ids kept, properties from the row's jsonb); empty
  /// when nothing falls in the tile.
  public static func tile(
    _ source: CollectionSource, layer: String, z: Int, x: Int, y: Int, client: PostgresClient, logger: Logger
  ) async throws -> [UInt8] {
    let sql = """
      WITH b AS (SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS env),
      mvt AS (
        SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), b.env, 4096, 64, true) AS geom, t.id, t.props
        FROM (\(sourceSQL(source, jsonb: true))) t, b
        WHERE t.geom && ST_Transform(b.env, 9377)
      )
      SELECT ST_AsMVT(mvt.*, $4::text, 4096, 'geom', 'id') FROM mvt WHERE mvt.geom IS NOT NULL
      """
    var binds = PostgresBindings()
    binds.append(z)
    binds.append(x)
    binds.append(y)
    binds.append(layer)
    let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    for try await buffer in rows.decode(ByteBuffer?.self) {
      return buffer.map { Array($0.readableBytesView) } ?? []
    }
    return []
  }
}

// MARK: Prepared statements for layer features

/// postgres-nio names and caches a prepared statement by its type, with static SQL; ours read
/// what they serve from this task-local, set around each call: the layer version, so that
/// each version's statement names its partition and plans as well as a literal query would
/// (a version parameter would leave every partition in the plan), and the output CRS, axis
/// order and whether properties are chosen, written as literals. With those as parameters the
/// generic plan looked dearer than each custom one, so PostgreSQL planned every execution
/// again (two thirds of its time on a feature by id); with literals it plans once per
/// connection.
enum LayerStatement {
  struct Shape: Sendable, Hashable {
    var version: Int64 = 0
    var srid: Int32 = 4326
    var flip = false
    /// `$1` is the array of property names to keep.
    var selected = false
    /// The SRID of a box's corners, for a page in a box.
    var boxSRID: Int32 = 0
    /// A page of at most `FeatureQueries.chunkSize` features, gathered in one row.
    var single = false
    /// Read from the version's copy (`CRS84Copies`), not its partition.
    var copy = false

    init() {}

    init(version: Int64, _ query: ItemsQuery) {
      self.version = version
      srid = query.outputSRID
      flip = query.flipAxes
      selected = query.properties != nil
      if query.bbox != nil { boxSRID = query.bboxSRID }
      single = query.id == nil && FeatureQueries.fitsOneRow(query)
    }

    /// Distinguishes the statements of one version.
    var suffix: String {
      "v\(version)_\(srid)\(flip ? "_yx" : "")\(selected ? "_p" : "")\(boxSRID != 0 ? "_box\(boxSRID)" : "")\(single ? "_1" : "")\(copy ? "_c" : "")"
    }
    /// The first parameter after the properties'.
    var firstKey: Int { selected ? 2 : 1 }
  }

  @TaskLocal static var shape = Shape()

  /// A box small enough for one cached plan (the spatial index, then the matches sorted by
  /// fid): at most 0.01° (about 1.1 km) or 1,000 m a side, however dense the layer.
  static func isSmallBox(_ query: ItemsQuery) -> Bool {
    guard let box = query.bbox, box.count == 4 else { return false }
    let width = box[2] - box[0]
    let height = box[3] - box[1]
    switch query.bboxSRID {
    case 9377: return width <= 1_000 && height <= 1_000
    case 4326: return width <= 0.01 && height <= 0.01
    default: return false
    }
  }

  /// Names and SQL by shape and statement: postgres-nio asks for both on every execution.
  private static let texts = Mutex<[Key: String]>([:])
  private struct Key: Hashable {
    var shape: Shape
    var text: String
  }

  /// `make()` once per shape and `text` (a constant naming the statement and what is asked).
  static func memo(_ text: StaticString, _ make: () -> String) -> String {
    let key = Key(shape: shape, text: "\(text)")
    if let known = texts.withLock({ $0[key] }) { return known }
    let made = make()
    texts.withLock {
      // One entry per version and output asked for: a long-lived server forgets old ones.
      if $0.count >= 4096 { $0.removeAll(keepingCapacity: true) }
      $0[key] = made
    }
    return made
  }

  /// The version's features as the dynamic query writes them, read from its partition.
  static var select: String { select(from: rows) }

  /// The version's rows (`id`, `geom`, `props`, and `geojson` from its copy).
  static var rows: String {
    guard shape.copy else {
      return FeatureQueries.layerRows(shape.version, table: LayerRepository.partition(shape.version))
    }
    return
      "SELECT f.fid AS id, f.geom, f.attributes AS props, f.geojson FROM \(CRS84Copies.table(shape.version)) f"
  }

  /// The features of `rows`, an SQL query of the version's rows, as the dynamic query writes them.
  static func select(from rows: String) -> String {
    let properties = shape.selected ? FeatureQueries.selectedProperties("$1") : "t.props"
    return """
      SELECT t.id, \(FeatureQueries.featureJSON(srid: shape.srid, flip: shape.flip, properties: properties, prepared: shape.copy)) AS json
      FROM (\(rows)) t
      """
  }

  /// `select` followed by `tail` (its WHERE, ORDER BY, LIMIT `limit`), with the published
  /// check, in chunks (`FeatureQueries.checked`).
  static func checked(_ tail: String, limit: String?) -> String {
    FeatureQueries.checked(
      .layer(versionID: shape.version), select + " " + tail, limit: limit, single: shape.single)
  }

  /// The properties' array first when chosen.
  static func bindings(_ properties: [String]?, capacity: Int) -> PostgresBindings {
    var binds = PostgresBindings(capacity: capacity)
    if shape.selected { binds.append(properties ?? []) }
    return binds
  }

  static var propertyTypes: [PostgresDataType] { shape.selected ? [.textArray] : [] }
}

/// One feature of the task-local layer version, by fid.
struct LayerFeatureByID: PostgresPreparedStatement {
  typealias Row = ItemRow
  static var name: String {
    LayerStatement.memo("by id: name") { "nodo_feature_by_id_\(LayerStatement.shape.suffix)" }
  }
  static var sql: String {
    LayerStatement.memo("by id: sql") {
      LayerStatement.checked("WHERE t.id = $\(LayerStatement.shape.firstKey)", limit: nil)
    }
  }
  static var bindingDataTypes: [PostgresDataType] { LayerStatement.propertyTypes + [.int8] }

  var id: Int64
  var properties: [String]?

  func makeBindings() throws -> PostgresBindings {
    var binds = LayerStatement.bindings(properties, capacity: 2)
    binds.append(id)
    return binds
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try ItemRow(row) }
}

/// A page of the task-local layer version after a fid (keyset), in fid order, in a small box
/// when the shape has one. The box comes as EWKT in EPSG:9377 (`BoxPolygon`), read once per
/// execution by a subquery: with `ST_Transform` in the statement, a custom plan folds the box
/// into a constant while a generic one counts the transform, so PostgreSQL judged every
/// generic plan dearer and planned each execution again.
struct LayerFeatures: PostgresPreparedStatement {
  typealias Row = ItemRow
  static var name: String {
    LayerStatement.memo("page: name") { "nodo_features_\(LayerStatement.shape.suffix)" }
  }
  static var sql: String {
    LayerStatement.memo("page: sql") {
      let key = LayerStatement.shape.firstKey
      let page = "t.id > $\(key) ORDER BY t.id LIMIT $\(key + 1)"
      guard LayerStatement.shape.boxSRID != 0 else {
        return LayerStatement.checked("WHERE " + page, limit: "$\(key + 1)")
      }
      // The rows whose boxes overlap the box, in fid order, are tested against the box itself
      // (`FeatureQueries.meetsBox`) only until the page is full: behind the fence
      // (OFFSET 0) PostgreSQL cannot move the test below the sort, which tested every
      // candidate. Only for a small box: its candidates are few, and their sort cheap.
      let box = "(SELECT $\(key + 2)::geometry)"
      let candidates = """
        SELECT c.* FROM (\(LayerStatement.rows)) c
        WHERE c.geom && \(box) AND c.id > $\(key) ORDER BY c.id OFFSET 0
        """
      let boxed = """
        \(LayerStatement.select(from: candidates))
        WHERE \(FeatureQueries.meetsBox(box, inner: "(SELECT $\(key + 3)::geometry)"))
        ORDER BY t.id LIMIT $\(key + 1)
        """
      return FeatureQueries.checked(
        .layer(versionID: LayerStatement.shape.version), boxed, limit: "$\(key + 1)",
        single: LayerStatement.shape.single)
    }
  }
  static var bindingDataTypes: [PostgresDataType] {
    LayerStatement.propertyTypes + [.int8, .int8] + (LayerStatement.shape.boxSRID != 0 ? [.text, .text] : [])
  }

  var after: Int64
  var limit: Int64
  var properties: [String]?
  var box: BoxPolygon?

  func makeBindings() throws -> PostgresBindings {
    var binds = LayerStatement.bindings(properties, capacity: 5)
    binds.append(after)
    binds.append(limit)
    if let box {
      binds.append(box.polygon)
      binds.append(box.inner)
    }
    return binds
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try ItemRow(row) }
}

/// A query box as the polygon `ST_Transform(ST_MakeEnvelope(...), 9377)` gives: its corners
/// (lower left first, clockwise) brought to EPSG:9377 by the same PROJ operation, as EWKT; and
/// a rectangle inside it, as EWKT, whose contents meet it for certain.
struct BoxPolygon: Sendable {
  var polygon: String
  /// Inside `polygon` by a metre: PostGIS compares boxes in single precision, rounded outwards
  /// (half a metre at CTM12's coordinates). Empty when the corners leave no such rectangle.
  var inner: String

  /// One transformer for the process: a box is five points, a lock is cheaper than a PROJ
  /// context per request.
  private static let fromCRS84 = Mutex<Transformer?>(nil)

  /// `box` in `srid`: 4326 (longitude/latitude order) or 9377.
  init(_ box: [Double], srid: Int32) throws {
    var x = [box[0], box[0], box[2], box[2], box[0]]
    var y = [box[1], box[3], box[3], box[1], box[1]]
    if srid != 9377 {
      precondition(srid == 4326, "a box in EPSG:\(srid)")
      try Self.fromCRS84.withLock { transformer in
        if transformer == nil { transformer = try Transformer(fromEPSG: 4326, toEPSG: 9377) }
        do {
          try transformer!.transform(x: &x, y: &y)
        } catch let error as GeoError {
          throw StoreError.boxOutsideProjection(error.message)
        }
      }
    }
    polygon = "SRID=9377;POLYGON((\(zip(x, y).map { "\($0) \($1)" }.joined(separator: ","))))"
    // Corners: 0 lower left, 1 upper left, 2 upper right, 3 lower right.
    let (x0, y0) = (max(x[0], x[1]) + 1, max(y[0], y[3]) + 1)
    let (x1, y1) = (min(x[2], x[3]) - 1, min(y[1], y[2]) - 1)
    /// Whether (px, py) is on the inner side of every edge of the clockwise quadrilateral.
    func inside(_ px: Double, _ py: Double) -> Bool {
      (0..<4).allSatisfy { k in
        (x[k + 1] - x[k]) * (py - y[k]) - (y[k + 1] - y[k]) * (px - x[k]) <= 0
      }
    }
    inner =
      x0 < x1 && y0 < y1 && inside(x0, y0) && inside(x0, y1) && inside(x1, y1) && inside(x1, y0)
      ? "SRID=9377;POLYGON((\(x0) \(y0),\(x0) \(y1),\(x1) \(y1),\(x1) \(y0),\(x0) \(y0)))"
      : "SRID=9377;POLYGON EMPTY"
  }
}

/// A row of an items statement: whether the source was current, and a chunk of features
/// unless the statement matched none.
public struct ItemRow: Sendable {
  /// False when the layer version read is no longer the published one.
  public var current: Bool
  /// How many features `json` holds.
  public var count: Int
  /// The id of the chunk's last feature.
  public var last: Int64?
  /// The statement read a feature past the page.
  public var more: Bool
  /// The features' GeoJSON joined by commas, UTF-8 as PostgreSQL sent it: written to a reply
  /// as it is.
  public var json: ByteBuffer?

  /// Cell by cell: the tuple decoder is generic over a parameter pack, which the runtime
  /// resolves for every row (a tenth of a page's CPU).
  init(_ row: PostgresRow) throws {
    var cells = row.makeIterator()
    if row.count == 3, let current = cells.next(), let id = cells.next(), let json = cells.next() {
      self.current = try current.decode(Bool?.self) ?? false
      last = try id.decode(Int64?.self)
      self.json = json.bytes
      count = self.json == nil ? 0 : 1
      more = false
      return
    }
    guard row.count == 5 || row.count == 6, let current = cells.next(), let count = cells.next(),
      let last = cells.next(), let more = cells.next(), let json = cells.next()
    else {
      throw StoreError.malformedResult("an items row has 3, 5 or 6 columns, not \(row.count)")
    }
    self.current = try current.decode(Bool?.self) ?? false
    self.count = Int(try count.decode(Int64?.self) ?? 0)
    self.last = try last.decode(Int64?.self)
    self.more = try more.decode(Bool?.self) ?? false
    self.json = json.bytes
    // A page in one row ends with the row past it (`FeatureQueries.checked`, `single`).
    if let drop = try cells.next()?.decode(Int32?.self) {
      guard var bytes = self.json, drop > 0, Int(drop) < bytes.readableBytes else {
        throw StoreError.malformedResult(
          "an items row drops \(drop) bytes of \(self.json?.readableBytes ?? 0)")
      }
      bytes.moveWriterIndex(to: bytes.writerIndex - Int(drop))
      self.json = bytes
    }
  }
}

/// The published layers (all, or the one named `$1`), with their extent in CRS84.
struct LayerCollections: PostgresPreparedStatement {
  typealias Row = (
    String, String, String?, String?, String?, String?, Int64, Int, Double?, Double?, Double?, Double?
  )
  static let name = "nodo_layer_collections"
  static let sql = """
    SELECT l.slug, l.kind::text, l.title, l.divipola::text, l.determinant_type, v.geometry_family, v.id, v.number,
           ST_XMin(e.g), ST_YMin(e.g), ST_XMax(e.g), ST_YMax(e.g)
    FROM layer l JOIN layer_version v ON v.layer_id = l.id AND v.status = 'published'
    LEFT JOIN LATERAL (SELECT ST_Transform(v.extent, 4326) AS g) e ON true
    WHERE $1::text IS NULL OR l.slug = $1
    ORDER BY l.slug
    """
  static let bindingDataTypes: [PostgresDataType] = [.text]

  var slug: String?

  func makeBindings() throws -> PostgresBindings {
    var binds = PostgresBindings(capacity: 1)
    if let slug { binds.append(slug) } else { binds.appendNull() }
    return binds
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
