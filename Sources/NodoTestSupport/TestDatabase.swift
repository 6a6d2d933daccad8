import Foundation
import Logging
import PostgresNIO
import Store
import Synchronization

/// The PostgreSQL server tests run against: `NODO_TEST_DATABASE_URL` when set, otherwise a
/// private embedded cluster in a temporary directory, started once per test process and
/// stopped (and deleted) when the process exits. Each caller gets a database of its own.
public actor TestDatabase {
  public static let shared = TestDatabase()

  /// The embedded cluster's directory, for the exit handler.
  private static let clusterDirectory = Mutex<URL?>(nil)

  private var server: DatabaseURL?
  public let logger: Logger = {
    var logger = Logger(label: "nodo.test")
    logger.logLevel = .warning
    return logger
  }()

  /// The admin URL of the server (database `postgres`).
  public func serverURL() async throws -> DatabaseURL {
    if let server { return server }
    let url: DatabaseURL
    if let text = ProcessInfo.processInfo.environment["NODO_TEST_DATABASE_URL"] {
      url = try DatabaseURL(text).with(database: "postgres")
    } else {
      let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("nodo-test-\(getpid())-\(UUID().uuidString.prefix(8))")
      let cluster = EmbeddedCluster(directory: directory, unsafeFast: true, logger: logger)
      Self.clusterDirectory.withLock { $0 = directory }
      atexit {
        guard let directory = TestDatabase.clusterDirectory.withLock({ $0 }) else { return }
        try? EmbeddedCluster(directory: directory).destroy()
      }
      url = try await cluster.start().with(database: "postgres")
    }
    server = url
    return url
  }

  /// A new, empty database (PostGIS not yet installed), named after `label`.
  public func freshDatabase(_ label: String = "t") async throws -> DatabaseURL {
    let server = try await serverURL()
    let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
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
