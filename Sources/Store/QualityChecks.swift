import Geo
import Logging
import PostgresNIO

/// Checks of a loaded version that need the whole layer at once (LADM-COL quality rules).
public enum QualityChecks {
  /// A pair of features whose interiors overlap (R3001), with the overlap's area in m².
  public struct Overlap: Sendable, Codable, Equatable {
    public var fidA: Int64
    public var fidB: Int64
    public var area: Double

    public init(fidA: Int64, fidB: Int64, area: Double) {
      self.fidA = fidA
      self.fidB = fidB
      self.area = area
    }
  }

  /// A hole in the union of the version's features (LADM-COL R3006: no gaps between parcels).
  public struct Gap: Sendable, Codable, Equatable {
    public var area: Double
    /// A point inside the gap, in EPSG:9377.
    public var x: Double
    public var y: Double
  }

  /// Holes larger than `minimumArea` m² in the union of the version's features, largest first.
  /// The union costs about as much as the load itself on large layers: the check is optional.
  public static func gaps(
    versionID: Int64, minimumArea: Double, on connection: PostgresConnection, logger: Logger
  ) async throws -> [Gap] {
    let rows = try await connection.query(
      """
      WITH parts AS (
        SELECT (ST_Dump(ST_Union(geom))).geom AS part FROM feature WHERE version_id = \(versionID)
      ), holes AS (
        SELECT ST_MakePolygon(ST_InteriorRingN(part, n)) AS hole
        FROM parts, generate_series(1, ST_NumInteriorRings(part)) AS n
      )
      SELECT ST_Area(hole), ST_X(ST_PointOnSurface(hole)), ST_Y(ST_PointOnSurface(hole))
      FROM holes WHERE ST_Area(hole) > \(minimumArea)
      ORDER BY 1 DESC
      """, logger: logger)
    var out: [Gap] = []
    for try await (area, x, y) in rows.decode((Double, Double, Double).self) {
      out.append(Gap(area: area, x: x, y: y))
    }
    return out
  }

  /// A code column that must be unique within a version.
  public enum CodeColumn: String, Sendable {
    case npn
    case divipola

    /// The column's SQL type, for comparing it with an array of text.
    var sqlType: String { self == .npn ? "text" : "bpchar" }
  }

  /// Values of `column` among `candidates` that appear on more than one feature, with their
  /// fids, in code order. Read through the column's index.
  public static func duplicates(
    of column: CodeColumn, among candidates: [String], versionID: Int64, on connection: PostgresConnection,
    logger: Logger
  ) async throws -> [(code: String, fids: [Int64])] {
    guard !candidates.isEmpty else { return [] }
    // The column name and type come from the closed enum above, never from input.
    let (name, type) = (column.rawValue, column.sqlType)
    let rows = try await connection.query(
      """
      SELECT \(unescaped: name)::text, array_agg(fid ORDER BY fid) FROM feature
      WHERE version_id = \(versionID) AND \(unescaped: name) = ANY(\(candidates)::\(unescaped: type)[])
      GROUP BY \(unescaped: name) HAVING count(*) > 1 ORDER BY \(unescaped: name)
      """, logger: logger)
    var out: [(String, [Int64])] = []
    for try await (code, fids) in rows.decode((String, [Int64]).self) { out.append((code, fids)) }
    return out
  }
}
