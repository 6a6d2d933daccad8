import Foundation
import Logging
import PostgresNIO
import Store

/// The PostgreSQL server tests run against: `NODO_TEST_DATABASE_URL` when set, otherwise a
/// private embedded cluster in a temporary directory, started once per test process and
/// stopped (and deleted) when the process exits. Each caller gets a database of its own.
public actor TestDatabase {
  public static let shared = TestDatabase()

  /// The server's admin URL, once known; shared by every caller (the actor is re-entrant
  /// across the start-up's awaits, so the start-up itself is one task).
  private var server: Task<DatabaseURL, any Error>?
  public nonisolated let logger: Logger = {
    var logger = Logger(label: "nodo.test")
    logger.logLevel = .warning
    return logger
  }()

  /// The admin URL of the server (database `postgres`).
  public func serverURL() async throws -> DatabaseURL {
    if let server { return try await server.value }
    let logger = self.logger
    let task = Task<DatabaseURL, any Error> {
      if let text = ProcessInfo.processInfo.environment["NODO_TEST_DATABASE_URL"] {
        return try DatabaseURL(text).with(database: "postgres")
      }
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("nodo-test-\(getpid())-\(UUID().uuidString.prefix(8))")
      let cluster = EmbeddedCluster(directory: directory, unsafeFast: true, logger: logger)
      let url = try await cluster.start()
      try cluster.stopWhenProcessExits(getpid(), deleteDirectory: true)
      return url.with(database: "postgres")
    }
    server = task
    return try await task.value
  }

  /// A new, empty database (PostGIS not yet installed), named after `label`.
  public func freshDatabase(_ label: String = "t") async throws -> DatabaseURL {
    let server = try await serverURL()
    let name =
      "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
    try await Database.withDatabase(server, logger: logger) { database in
      try await database.client.query(
        PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
    }
    return server.with(database: name)
  }

  /// A new database with every migration applied.
  public func migratedDatabase(_ label: String = "t") async throws -> DatabaseURL {
    let url = try await freshDatabase(label)
    let migrator = try Migrator.bundled()
    try await Database.withDatabase(url, logger: logger) { database in
      try await migrator.migrate(database.client, logger: logger)
    }
    return url
  }
}
