import Logging
import NodoTestSupport
import PostgresNIO
import Testing

@testable import Store

@Suite("Migrations on the embedded cluster")
struct MigratorTests {
  let logger = Logger(label: "test")

  @Test("migrations apply once; a second run applies nothing")
  func twice() async throws {
    let url = try await TestDatabase.shared.freshDatabase("twice")
    let migrator = try Migrator.bundled()
    #expect(migrator.latestVersion >= 1)
    try await Database.withDatabase(url, logger: logger) { database in
      let first = try await migrator.migrate(database.client, logger: logger)
      #expect(first == migrator.migrations.map(\.version))
      let second = try await migrator.migrate(database.client, logger: logger)
      #expect(second.isEmpty)
      #expect(try await migrator.currentVersion(database.client, logger: logger) == migrator.latestVersion)
      let version = try await database.postgisVersion()
      #expect(version.hasPrefix("POSTGIS=\"3."))
      // A database migrated by a newer program is refused, not taken for current.
      let newer = migrator.latestVersion + 1
      try await database.client.query(
        "INSERT INTO schema_migration (version, name) VALUES (\(newer), 'from_the_future')", logger: logger)
      await #expect(throws: StoreError.self) { try await migrator.migrate(database.client, logger: logger) }
      try await database.client.query("DELETE FROM schema_migration WHERE version = \(newer)", logger: logger)
      #expect(try await migrator.migrate(database.client, logger: logger).isEmpty)
    }
  }

  @Test("two clients migrating at once: each migration applied exactly once")
  func concurrent() async throws {
    let url = try await TestDatabase.shared.freshDatabase("concurrent")
    let migrator = try Migrator.bundled()
    let logger = self.logger
    let results = try await withThrowingTaskGroup(of: [Int].self) { group in
      for _ in 0..<2 {
        group.addTask {
          try await Database.withDatabase(url, logger: logger) { database in
            try await migrator.migrate(database.client, logger: logger)
          }
        }
      }
      return try await group.reduce(into: [[Int]]()) { $0.append($1) }
    }
    // One runner applied everything, the other found nothing to do.
    #expect(results.flatMap { $0 }.sorted() == migrator.migrations.map(\.version))
    try await Database.withDatabase(url, logger: logger) { database in
      let rows = try await database.client.query("SELECT count(*) FROM schema_migration", logger: logger)
      for try await count in rows.decode(Int.self) {
        #expect(count == migrator.migrations.count)
      }
    }
  }

  @Test("EPSG:9377 is in spatial_ref_sys: ST_Transform to and from it works")
  func ctm12() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("srid")
    try await Database.withDatabase(url, logger: logger) { database in
      let rows = try await database.client.query(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(-74.0817, 4.6097), 4686), 9377) AS p) t",
        logger: logger)
      for try await (x, y) in rows.decode((Double, Double).self) {
        // Same figures as cs2cs (see PROJTests).
        #expect(abs(x - 4_880_061.5591) < 0.001)
        #expect(abs(y - 2_067_458.0184) < 0.001)
      }
    }
  }

  @Test("a failing migration rolls back and says which")
  func failing() async throws {
    let url = try await TestDatabase.shared.freshDatabase("failing")
    let migrator = Migrator(migrations: [
      Migration(version: 1, name: "ok", sql: "CREATE TABLE a (id int);"),
      Migration(version: 2, name: "broken", sql: "CREATE TABLE b (id int); SELECT * FROM missing_table;"),
    ])
    try await Database.withDatabase(url, logger: logger) { database in
      await #expect {
        try await migrator.migrate(database.client, logger: logger)
      } throws: { error in
        guard case StoreError.migrationFailed(2, "broken", let reason) = error else { return false }
        return reason.contains("missing_table")
      }
      #expect(try await migrator.currentVersion(database.client, logger: logger) == 1)
      // b was rolled back with its migration.
      let rows = try await database.client.query("SELECT to_regclass('b') IS NULL", logger: logger)
      for try await gone in rows.decode(Bool.self) { #expect(gone) }
    }
  }

  @Test("database URLs parse, and the password never shows")
  func urls() throws {
    let url = try DatabaseURL("postgres://nodo:s3cr%40t@db.example:6543/nodo_at")
    #expect(url.username == "nodo")
    #expect(url.password == "s3cr@t")
    #expect(url.port == 6543)
    #expect(url.database == "nodo_at")
    #expect(!url.description.contains("s3cr"))
    let socket = try DatabaseURL("postgresql://postgres@/nodo?host=/tmp/run&port=5433")
    #expect(socket.socketDirectory == "/tmp/run")
    #expect(socket.port == 5433)
    #expect(throws: StoreError.self) { try DatabaseURL("mysql://x@y/z") }
    #expect(throws: StoreError.self) { try DatabaseURL("postgres://x@y:5432/") }
  }

  @Test("the pool: four connections per core, at least 16, or NODO_DB_POOL_MAX")
  func poolSize() {
    #expect(DatabaseURL.poolSize(environment: [:], cores: 2) == 16)
    #expect(DatabaseURL.poolSize(environment: [:], cores: 16) == 64)
    #expect(DatabaseURL.poolSize(environment: ["NODO_DB_POOL_MAX": "3"], cores: 2) == 3)
    #expect(DatabaseURL.poolSize(environment: ["NODO_DB_POOL_MAX": "zero"], cores: 2) == 16)
  }
}
