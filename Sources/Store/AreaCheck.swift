import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One determinant layer against an area.
public struct AreaCheckRow: Sendable, Equatable {
  public var layer: String
  public var kind: String
  public var title: String?
  public var typeCode: String?
  public var authority: String?
  public var legalAct: String?
  public var cutoffDate: String?
  public var publishedAt: Date?
  public var version: Int
  public var hitArea: Double
  public var featuresHit: Int
  /// Distance (m) to the nearest feature when nothing is hit.
  public var distance: Double?
}

/// The any-area check (`POST /affectations`): a geometry against every published determinant
/// and condicionante layer, in SQL. Lines and points are buffered by `bufferRules` (type code →
/// `{"fixed": m}` or `{"field": "orden", "byValue": {"1": m, …}}`); the layers' sustracciones
/// are removed from the hit area.
public enum AreaCheck {
  public static func run(
    geoJSON: String, srid: Int32, bufferRulesJSON: String, client: PostgresClient, logger: Logger
  ) async throws -> (area: Double, rows: [AreaCheckRow]) {
    let rows = try await client.query(
      """
      WITH g AS (SELECT ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(\(geoJSON)), \(srid)), 9377)) AS g),
      rules AS (SELECT \(bufferRulesJSON)::jsonb AS r),
      layers AS (
        SELECT l.id, l.slug, l.kind::text AS kind, l.title, l.determinant_type, l.authority, l.legal_act,
               l.cutoff_date::text AS cutoff, v.id AS vid, v.number, v.published_at,
               (SELECT r -> l.determinant_type FROM rules) AS rule
        FROM layer l JOIN layer_version v ON v.layer_id = l.id AND v.status = 'published'
        WHERE l.kind IN ('determinant', 'condicionante') AND l.sustraccion_of IS NULL
      ),
      shapes AS (
        SELECT la.id, f.fid,
          CASE WHEN GeometryType(f.geom) LIKE '%POLYGON%' THEN f.geom
               ELSE ST_Buffer(f.geom, coalesce((la.rule -> 'byValue' ->> (f.attributes ->> (la.rule ->> 'field')))::float8,
                                               (la.rule ->> 'fixed')::float8, 0)) END AS geom
        FROM layers la JOIN feature f ON f.version_id = la.vid, g
        WHERE ST_DWithin(f.geom, g.g, 1000)
      ),
      hits AS (
        SELECT s.id, ST_Union(ST_Intersection(s.geom, g.g)) AS piece, count(*) AS n
        FROM shapes s, g WHERE ST_Intersects(s.geom, g.g) GROUP BY s.id
      ),
      removed AS (
        SELECT l.sustraccion_of AS id, ST_Union(f.geom) AS geom
        FROM layer l JOIN layer_version v ON v.layer_id = l.id AND v.status = 'published'
        JOIN feature f ON f.version_id = v.id, g
        WHERE l.sustraccion_of IS NOT NULL AND ST_Intersects(f.geom, g.g) GROUP BY l.sustraccion_of
      )
      SELECT la.slug, la.kind, la.title, la.determinant_type, la.authority, la.legal_act, la.cutoff, la.published_at,
             la.number,
             coalesce(ST_Area(CASE WHEN rm.geom IS NULL THEN h.piece ELSE ST_Difference(h.piece, rm.geom) END), 0),
             coalesce(h.n, 0)::int,
             CASE WHEN h.id IS NULL THEN (
               SELECT min(greatest(ST_Distance(f.geom, g.g) -
                        CASE WHEN GeometryType(f.geom) LIKE '%POLYGON%' THEN 0
                             ELSE coalesce((la.rule -> 'byValue' ->> (f.attributes ->> (la.rule ->> 'field')))::float8,
                                           (la.rule ->> 'fixed')::float8, 0) END, 0))
               FROM (SELECT f.geom, f.attributes FROM feature f, g WHERE f.version_id = la.vid
                     ORDER BY f.geom <-> g.g LIMIT 8) f, g)
             END,
             (SELECT ST_Area(g) FROM g)
      FROM layers la LEFT JOIN hits h ON h.id = la.id LEFT JOIN removed rm ON rm.id = la.id
      ORDER BY la.slug
      """, logger: logger)
    var out: [AreaCheckRow] = []
    var area = 0.0
    for try await row in rows.decode(
      (String, String, String?, String?, String?, String?, String?, Date?, Int, Double, Int, Double?, Double)
        .self)
    {
      area = row.12
      out.append(
        AreaCheckRow(
          layer: row.0, kind: row.1, title: row.2, typeCode: row.3, authority: row.4, legalAct: row.5,
          cutoffDate: row.6, publishedAt: row.7, version: row.8, hitArea: row.9, featuresHit: row.10,
          distance: row.10 > 0 && row.9 > 0 ? nil : row.11))
    }
    return (area, out)
  }
}
