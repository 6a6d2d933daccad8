import API
import Catalog
import Fixtures
import Foundation
import HTTPTypes
import HummingbirdTesting
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

@Suite("Readers while layer versions are published: paging 100,000 features, cached collections", .serialized)
struct PagingTests {
  @Test("every feature exactly once, no gaps, although the layer gets a new published version mid-way")
  func pagingUnderPublish() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("paging")
    let scratch = try Scratch()
    let output = try MunicipalityGenerator(parcels: 100_000, seed: 9).generate()
    try FixtureWriter.write(output, to: scratch.directory)
    let big = scratch.path("predios.zip")
    let small = RealData.projectRoot.appendingPathComponent("fixtures/predios.zip").path
    let logger = TestDatabase.shared.logger
    try await Database.withDatabase(url, logger: logger) { database in
      _ = try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        IngestOptions(paths: [big], layer: "parcels", kind: .cadastral, divipola: "25999", publish: true))
    }
    try await DemoDatabase.withAPI(url: url) { client, database in
      var ids: [Int] = []
      var next: String? = "/collections/parcels/items?limit=10000&properties=npn"
      var pages = 0
      var publish: Task<Void, any Error>?
      while let current = next {
        let path = current.replacingOccurrences(
          of: #"^https?://[^/]+"#, with: "", options: .regularExpression)
        next = try await client.execute(uri: path, method: .get) { response in
          #expect(response.status == .ok)
          let body = jsonObject(response)
          ids += (body["features"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
          let link = (body["links"] as? [[String: Any]])?.first { $0["rel"] as? String == "next" }
          return link?["href"] as? String
        }
        pages += 1
        if pages == 2 {
          // A new version (the 400 demo parcels) is loaded and published while paging goes on.
          publish = Task {
            _ = try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger)
              .run(
                IngestOptions(
                  paths: [small], layer: "parcels", kind: .cadastral, divipola: "25999", publish: true))
          }
        }
        if pages == 5 { try await publish?.value }
      }
      try await publish?.value
      #expect(ids.count == 100_000)
      #expect(Set(ids).count == 100_000)
      #expect(ids.first == 1 && ids.last == 100_000)
      #expect(pages == 10)
      // The next request sees the new version, although the server had the old one cached.
      try await client.execute(uri: "/collections/parcels/items?limit=1000", method: .get) { response in
        #expect((jsonObject(response)["features"] as? [Any])?.count == 400)
      }
    }
  }

  @Test(
    "a version published or rolled back behind the server's back is what the next item or page request reads"
  )
  func cachedLayersFollowPublication() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("republish")
    let scratch = try Scratch()
    try FixtureWriter.write(try MunicipalityGenerator(parcels: 60, seed: 5).generate(), to: scratch.directory)
    let small = scratch.path("predios.zip")
    let demo = RealData.projectRoot.appendingPathComponent("fixtures/predios.zip").path
    let logger = TestDatabase.shared.logger
    @Sendable func load(_ path: String, _ database: Database) async throws {
      _ = try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        IngestOptions(paths: [path], layer: "parcels", kind: .cadastral, divipola: "25999", publish: true))
    }
    try await Database.withDatabase(url, logger: logger) { try await load(demo, $0) }
    try await DemoDatabase.withAPI(url: url) { client, database in
      func count() async throws -> Int? {
        try await client.execute(uri: "/collections/parcels/items?limit=1000", method: .get) { response in
          (jsonObject(response)["features"] as? [Any])?.count
        }
      }
      func status(_ fid: Int) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/collections/parcels/items/\(fid)", method: .get) { $0.status }
      }
      #expect(try await count() == 400)
      #expect(try await status(300) == .ok)
      // Published by another process: this server learns it from the statement's own check.
      // A page first, then, after a rollback, a feature: each meets the stale entry.
      try await load(small, database)
      #expect(try await count() == 60)
      #expect(try await status(300) == .notFound)
      _ = try await database.client.withConnection {
        try await LayerRepository.rollback(slug: "parcels", on: $0, logger: logger)
      }
      #expect(try await status(300) == .ok)
      #expect(try await count() == 400)
      // The prepared statements per output: chosen properties, EPSG:4326 (lat/lon), EPSG:9377.
      let chosen = try await client.execute(
        uri: "/collections/parcels/items/5?properties=npn&crs=http://www.opengis.net/def/crs/EPSG/0/4326",
        method: .get
      ) { jsonObject($0) }
      #expect((chosen["properties"] as? [String: Any]).map { Array($0.keys) } == ["npn"])
      let latLon = ((chosen["geometry"] as? [String: Any])?["coordinates"] as? [[[[Double]]]])?.first?.first?
        .first
      #expect(latLon.map { $0[0] > 3 && $0[0] < 7 && $0[1] < -70 } == true)
      let planar = try await client.execute(
        uri:
          "/collections/parcels/items?limit=2&properties=npn&crs=http://www.opengis.net/def/crs/EPSG/0/9377",
        method: .get
      ) { jsonObject($0) }
      let features = planar["features"] as? [[String: Any]] ?? []
      #expect(features.count == 2)
      #expect(features.allSatisfy { ($0["properties"] as? [String: Any])?.count == 1 })
      // RFC 7946 has no "crs" member: the CRS is in the Content-Crs header.
      #expect(features.allSatisfy { ($0["geometry"] as? [String: Any])?["crs"] == nil })
    }
  }
}
