import Logging
import PostgresNIO

/// Checks of a loaded version that need the whole layer at once (LADM-COL quality rules).
public enum QualityChecks {
  /// A pair of features whose interiors overlap (R3001), with the overlap's area in m².
  public struct Overlap: Sendable, Codable, Equatable {
    public var fidA: Int64
    public var fidB: Int64
    public var area: Double
  }

  /// Pairs of features of the version whose interiors overlap by more than `minimumArea` m²,
  /// largest first. Neighbours that only touch intersect in a line, of area 0. (`ST_Intersects`
  /// first: PostGIS caches the prepared outer geometry; `ST_Relate` was six times slower on
  /// Cambridge's 13,116 parcels.)
  public static func overlaps(
    versionID: Int64, minimumArea: Double, on connection: PostgresConnection, logger: Logger
  ) async throws -> [Overlap] {
    // Fresh rows have no statistics; without them the planner scans instead of using GiST.
    try await connection.query("ANALYZE feature", logger: logger)
    let rows = try await connection.query(
      """
      SELECT a.fid, b.fid, ST_Area(ST_Intersection(a.geom, b.geom)) AS area
      FROM feature a
      JOIN feature b ON b.version_id = a.version_id AND a.fid < b.fid AND a.geom && b.geom
      WHERE a.version_id = \(versionID) AND b.version_id = \(versionID)
        AND ST_Intersects(a.geom, b.geom)
        AND ST_Area(ST_Intersection(a.geom, b.geom)) > \(minimumArea)
      ORDER BY area DESC, a.fid, b.fid
      """, logger: logger)
    var out: [Overlap] = []
    for try await (a, b, area) in rows.decode((Int64, Int64, Double).self) {
      out.append(Overlap(fidA: a, fidB: b, area: area))
    }
    return out
  }

  /// NPNs that appear on more than one feature, with their fids.
  public static func duplicateNPN(
    versionID: Int64, on connection: PostgresConnection, logger: Logger
  ) async throws -> [(npn: String, fids: [Int64])] {
    let rows = try await connection.query(
      """
      SELECT npn, array_agg(fid ORDER BY fid) FROM feature
      WHERE version_id = \(versionID) AND npn IS NOT NULL
      GROUP BY npn HAVING count(*) > 1 ORDER BY npn
      """, logger: logger)
    var out: [(String, [Int64])] = []
    for try await (npn, fids) in rows.decode((String, [Int64]).self) { out.append((npn, fids)) }
    return out
  }

  /// Values of `attribute` shared by more than one feature (boundary codes must be unique).
  public static func duplicateDivipola(
    versionID: Int64, on connection: PostgresConnection, logger: Logger
  ) async throws -> [(code: String, fids: [Int64])] {
    let rows = try await connection.query(
      """
      SELECT divipola::text, array_agg(fid ORDER BY fid) FROM feature
      WHERE version_id = \(versionID) AND divipola IS NOT NULL
      GROUP BY divipola HAVING count(*) > 1 ORDER BY divipola
      """, logger: logger)
    var out: [(String, [Int64])] = []
    for try await (code, fids) in rows.decode((String, [Int64]).self) { out.append((code, fids)) }
    return out
  }

  /// Features of the version PostGIS finds invalid (should be none after make-valid).
  public static func invalidCount(
    versionID: Int64, on connection: PostgresConnection, logger: Logger
  )
    async throws -> Int
  {
    let rows = try await connection.query(
      "SELECT count(*) FROM feature WHERE version_id = \(versionID) AND NOT ST_IsValid(geom)",
      logger: logger)
    for try await count in rows.decode(Int.self) { return count }
    return 0
  }
}
