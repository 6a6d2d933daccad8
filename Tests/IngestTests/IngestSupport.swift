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

  /// `shapesKept` below the layer's size sends R3001 to the stored version, tile by tile.
  func ingest(_ options: IngestOptions, shapesKept: Int = 250_000) async throws -> IngestReport {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      try await Ingestor(
        database: database, catalog: DeterminantCatalog.bundled(), logger: logger,
        shapesKeptForChecks: shapesKept
      ).run(options)
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
