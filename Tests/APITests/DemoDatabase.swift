import API
import Analysis
import Catalog
import Fixtures
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NodoTestSupport
import PostgresNIO
import Prometheus
import Store
import Testing

/// One database per test process with the demo municipality (`fixtures/`) loaded, published
/// and analysed once: the read side of the API is tested against it.
enum DemoDatabase {
  static let shared = Task<DatabaseURL, any Error> {
    let url = try await TestDatabase.shared.migratedDatabase("demoapi")
    let logger = TestDatabase.shared.logger
    let folder = RealData.projectRoot.appendingPathComponent("fixtures")
    try await Database.withDatabase(url, logger: logger) { database in
      let catalog = try DeterminantCatalog.bundled()
      let ingestor = Ingestor(database: database, catalog: catalog, logger: logger)
      for load in MunicipalityGenerator.loads() {
        _ = try await ingestor.run(
          IngestOptions(
            paths: [folder.appendingPathComponent(load.file).path], layer: load.layer,
            kind: LayerKind(rawValue: load.kind)!, type: load.type, divipola: "25999",
            mappings: load.mappings,
            publish: true, sustraccionOf: load.sustraccionOf))
      }
      _ = try await engine(database).run(divipola: "25999")
    }
    return url
  }

  static func engine(_ database: Database) throws -> AnalysisEngine {
    AnalysisEngine(
      database: database, catalog: try DeterminantCatalog.bundled(),
      matrix: try CompatibilityMatrix.bundled(),
      parameters: AnalysisParameters(workers: 2), softwareVersion: "test")
  }

  /// Runs `body` with the API over the demo database (router tests, or `.live` for real HTTP).
  static func withAPI(
    live: Bool = false, requireKeyForReads: Bool = false, url given: DatabaseURL? = nil,
    metrics: PrometheusCollectorRegistry? = nil,
    _ body: @escaping @Sendable (any TestClientProtocol, Database) async throws -> Void
  ) async throws {
    let url: DatabaseURL
    if let given { url = given } else { url = try await shared.value }
    let logger = TestDatabase.shared.logger
    try await Database.withDatabase(url, logger: logger) { database in
      let uploads = UploadConfiguration(
        directory: FileManager.default.temporaryDirectory.appendingPathComponent(
          "nodo-api-\(UUID().uuidString.prefix(6))"))
      let router = buildRouter(
        readiness: UploadTests.Ready(), database: database,
        options: try .testing(uploads, requireKeyForReads: requireKeyForReads), metrics: metrics)
      let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
      try await app.test(live ? .live : .router) { client in try await body(client, database) }
    }
  }

  /// A key of `role`, created directly in the store.
  static func key(_ role: Role, divipola: [String]? = nil, database: Database) async throws -> String {
    try await AccessRepository.create(
      role: role, divipola: divipola, label: "test", client: database.client, logger: database.logger
    ).key
  }
}

/// A response body as a JSON object. Foundation's parser takes a comma before `]` or `}`,
/// which strict clients (Python's `json`, browsers, GDAL) refuse: such a body is a test failure.
func jsonObject(
  _ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation
)
  -> [String: Any]
{
  let text = String(buffer: response.body)
  if let offset = trailingComma(text) {
    Issue.record("a comma before a closing bracket at byte \(offset)", sourceLocation: sourceLocation)
  }
  return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
}

/// The offset of the first comma followed (after blanks) by `]` or `}`, outside strings.
func trailingComma(_ text: String) -> Int? {
  var inString = false
  var escaped = false
  var comma: Int?
  for (offset, byte) in text.utf8.enumerated() {
    if inString {
      if escaped {
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
      }
      continue
    }
    switch byte {
    case UInt8(ascii: "\""): inString = true; comma = nil
    case UInt8(ascii: ","): comma = offset
    case UInt8(ascii: "]"), UInt8(ascii: "}"): if let comma { return comma }
    case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): break
    default: comma = nil
    }
  }
  return nil
}
