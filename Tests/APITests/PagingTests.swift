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

@Suite("Paging 100,000 features while a new version is published", .serialized)
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
      // New requests see the new version (collections are cached for up to two seconds).
      try await Task.sleep(for: .milliseconds(2_100))
      try await client.execute(uri: "/collections/parcels/items?limit=1000", method: .get) { response in
        #expect((jsonObject(response)["features"] as? [Any])?.count == 400)
      }
    }
  }
}
