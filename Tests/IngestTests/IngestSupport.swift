import Catalog
import Foundation
import Ingest
import Logging
import NodoTestSupport
import PostgresNIO
import Store

/// A migrated database of its own and an ingestor on it.
struct IngestFixture {
  let url: DatabaseURL
  let logger: Logger

  static func make(_ label: String) async throws -> IngestFixture {
    let url = try await TestDatabase.shared.migratedDatabase(label)
    return IngestFixture(url: url, logger: TestDatabase.shared.logger)
  }

  func ingest(_ options: IngestOptions) async throws -> IngestReport {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        options)
    }
  }

  /// Runs one query returning one row of `T`.
  func one<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as: T.Type) async throws -> T? {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      for try await value in try await database.client.query(query, logger: logger).decode(T.self) {
        return value
      }
      return nil
    }
  }

  /// Everything that a failed load must leave untouched.
  func snapshot() async throws -> String {
    try await one(
      """
      SELECT (SELECT count(*) FROM layer)::text || '/' || (SELECT count(*) FROM layer_version)::text || '/'
        || (SELECT count(*) FROM feature)::text || '/'
        || coalesce((SELECT string_agg(layer_id || ':' || number || ':' || status, ',' ORDER BY id) FROM layer_version), '')
      """, as: String.self) ?? ""
  }
}

/// Temporary files for a test, deleted afterwards.
final class Scratch {
  let directory: URL

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nodo-ingest-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func write(_ name: String, _ text: String) throws -> String {
    try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    return path(name)
  }

  /// Runs Python's standard library (zipfile) to build test archives.
  func python(_ script: String, _ arguments: [String] = []) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CocoaError(.fileWriteUnknown)
    }
  }
}
