import Catalog
import Fixtures
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

@testable import API

@Suite("CRS84 copies of the published layer versions", .serialized)
struct CRS84CopyTests {
  @Test(
    "a version's copy serves what its partition serves; copies follow publication and rollback; a copy gone is read around"
  )
  func copies() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("crs84")
    let logger = TestDatabase.shared.logger
    let folder = RealData.projectRoot.appendingPathComponent("fixtures")
    try await Database.withDatabase(url, logger: logger) { database in
      let ingestor = Ingestor(database: database, catalog: try DeterminantCatalog.bundled(), logger: logger)
      let predios = try #require(MunicipalityGenerator.loads(prefix: "c-").first { $0.layer == "c-predios" })
      _ = try await ingestor.run(
        IngestOptions(
          paths: [folder.appendingPathComponent(predios.file).path], layer: predios.layer, kind: .cadastral,
          divipola: "25999", mappings: predios.mappings, publish: true))
      // Two versions of one layer, the second published.
      for file in ["paramo.zip", "appa.zip"] {
        _ = try await ingestor.run(
          IngestOptions(
            paths: [folder.appendingPathComponent(file).path], layer: "c-zona", kind: .determinant, type: "2",
            divipola: "25999", publish: true))
      }
    }
    try await DemoDatabase.withAPI(url: url) { client, database in
      let copies = database.crs84Copies
      let (parcels, zone1, zone2) = try await Self.versions(database)
      let (fid, box) = try await Self.sample(parcels, database)
      let uris = [
        "/collections/c-predios/items/\(fid)",
        "/collections/c-predios/items?limit=10",
        "/collections/c-predios/items?bbox=\(box)&limit=100",
        "/collections/c-predios/items?bbox=\(box)&limit=100&properties=npn",
        "/collections/c-predios/items?bbox=\(box)&limit=100&crs=http://www.opengis.net/def/crs/EPSG/0/9377",
        "/collections/c-predios/items?limit=5&crs=http://www.opengis.net/def/crs/EPSG/0/4326",
      ]
      let before = try await Self.features(uris, client)
      #expect(before.count == uris.count)
      #expect(!copies.isReady(parcels))

      // A copy that cannot be built (its name taken by a view) does not hold up the others.
      try await Self.run("CREATE VIEW \(CRS84Copies.table(zone2)) AS SELECT 1 AS x", database)
      let first = try await copies.refresh(client: database.client, logger: database.logger)
      #expect(first.built == [parcels])
      #expect(first.dropped.isEmpty)
      #expect(Array(first.failed.keys) == [zone2])
      #expect(!copies.isReady(zone2))
      try await Self.run("DROP VIEW \(CRS84Copies.table(zone2))", database)
      let retried = try await copies.refresh(client: database.client, logger: database.logger)
      #expect(retried.built == [zone2])
      #expect(retried.failed.isEmpty)
      #expect(copies.isReady(parcels) && copies.isReady(zone2) && !copies.isReady(zone1))
      #expect(try await Self.count("SELECT count(*) FROM \(CRS84Copies.table(parcels))", database) > 100)
      #expect(try await Self.features(uris, client) == before)

      // The CRS84 pages really come from the copy: a prepared geometry changed there is served.
      try await Self.run(
        "UPDATE \(CRS84Copies.table(parcels)) SET geojson = '{\"type\":\"Point\",\"coordinates\":[0,0]}' WHERE fid = \(fid)",
        database)
      try await client.execute(uri: uris[0], method: .get) { response in
        #expect((jsonObject(response)["geometry"] as? [String: Any])?["type"] as? String == "Point")
      }
      try await client.execute(uri: uris[4], method: .get) { response in
        let features = jsonObject(response)["features"] as? [[String: Any]] ?? []
        let served = features.first { $0["id"] as? Int == Int(fid) }?["geometry"] as? [String: Any]
        #expect(served == nil || served?["type"] as? String != "Point")
      }

      // A copy dropped behind this server's back (by another server): read from the partition,
      // then forgotten until a refresh builds it again.
      try await Self.run("DROP TABLE \(CRS84Copies.table(parcels))", database)
      #expect(try await Self.features(uris, client) == before)
      #expect(!copies.isReady(parcels))
      let second = try await copies.refresh(client: database.client, logger: database.logger)
      #expect(second.built == [parcels])
      #expect(second.dropped.isEmpty)
      #expect(try await Self.features(uris, client) == before)

      // A rollback publishes the first version of the zone: its copy is built, the other dropped.
      _ = try await database.client.withTransaction(logger: database.logger) { connection in
        try await LayerRepository.rollback(slug: "c-zona", on: connection, logger: database.logger)
      }
      let third = try await copies.refresh(client: database.client, logger: database.logger)
      #expect(third.built == [zone1])
      #expect(third.dropped == [zone2])
      #expect(copies.isReady(zone1) && !copies.isReady(zone2))
      let tables = try await Self.count(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^feature_crs84_v[0-9]+$'", database)
      #expect(tables == 2)
      let idle = try await copies.refresh(client: database.client, logger: database.logger)
      #expect(idle.built.isEmpty && idle.dropped.isEmpty)

      // The server's service refreshes on its own: a copy lost is built again.
      try await Self.run("DROP TABLE \(CRS84Copies.table(zone1))", database)
      copies.forget(zone1)
      let service = CRS84CopyService(database: database, interval: .milliseconds(50))
      let running = Task { try await service.run() }
      defer { running.cancel() }
      var waited = 0
      while !copies.isReady(zone1) && waited < 400 {
        try await Task.sleep(for: .milliseconds(50))
        waited += 1
      }
      #expect(copies.isReady(zone1))
      #expect(try await Self.count("SELECT count(*) FROM \(CRS84Copies.table(zone1))", database) > 0)
      running.cancel()
      _ = await running.result

      // A server told not to keep copies drops them; reads go back to the partitions.
      let dropped = try await copies.dropAll(client: database.client, logger: database.logger)
      #expect(Set(dropped) == [parcels, zone1])
      #expect(!copies.isReady(parcels) && !copies.isReady(zone1))
      let left = try await Self.count(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^feature_crs84_v[0-9]+$'", database)
      #expect(left == 0)
      #expect(try await Self.features(uris, client) == before)
    }
  }

  /// The version ids of the parcels and of the zone's first and second loads.
  static func versions(_ database: Database) async throws -> (Int64, Int64, Int64) {
    let rows = try await database.client.query(
      """
      SELECT l.slug, v.number, v.id FROM layer_version v JOIN layer l ON l.id = v.layer_id
      WHERE l.slug IN ('c-predios', 'c-zona')
      """, logger: database.logger)
    var ids: [String: Int64] = [:]
    for try await (slug, number, id) in rows.decode((String, Int, Int64).self) {
      ids["\(slug)/\(number)"] = id
    }
    return (
      try #require(ids["c-predios/1"]), try #require(ids["c-zona/1"]), try #require(ids["c-zona/2"])
    )
  }

  /// A parcel's fid and a box of 300 m around the layer's centre, in CRS84.
  static func sample(_ version: Int64, _ database: Database) async throws -> (Int64, String) {
    let rows = try await database.client.query(
      """
      SELECT (SELECT fid FROM feature WHERE version_id = \(version) ORDER BY fid OFFSET 7 LIMIT 1),
        concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b))
      FROM (SELECT ST_Transform(ST_Expand(ST_Centroid(ST_SetSRID(ST_Extent(geom)::geometry, 9377)), 150), 4326)::box2d AS b
            FROM feature WHERE version_id = \(version)) e
      """, logger: database.logger)
    for try await (fid, box) in rows.decode((Int64, String).self) { return (fid, box) }
    throw CancellationError()
  }

  /// What each URI serves, as JSON with sorted keys: a page's features, or a feature's id,
  /// geometry and properties.
  static func features(_ uris: [String], _ client: some TestClientProtocol) async throws -> [Data] {
    var out: [Data] = []
    for uri in uris {
      let data = try await client.execute(uri: uri, method: .get) { response -> Data in
        #expect(response.status == .ok, "\(uri)")
        let body = jsonObject(response)
        let value: Any =
          body["features"] ?? [
            "id": body["id"] ?? NSNull(), "geometry": body["geometry"] ?? NSNull(),
            "properties": body["properties"] ?? NSNull(),
          ]
        return try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
      }
      out.append(data)
    }
    return out
  }

  static func count(_ sql: String, _ database: Database) async throws -> Int {
    let rows = try await database.client.query(PostgresQuery(unsafeSQL: sql), logger: database.logger)
    for try await count in rows.decode(Int.self) { return count }
    return -1
  }

  static func run(_ sql: String, _ database: Database) async throws {
    try await database.client.query(PostgresQuery(unsafeSQL: sql), logger: database.logger)
  }
}
