import Foundation
import Logging
import PostgresNIO

/// One schema migration: `schemas/sql/NNN_name.sql`.
public struct Migration: Sendable, Equatable {
  public let version: Int
  public let name: String
  public let sql: String

  public init(version: Int, name: String, sql: String) {
    self.version = version
    self.name = name
    self.sql = sql
  }
}

/// Applies the bundled migrations in order, each in its own transaction, recording them in
/// `schema_migration`. Safe to run twice and from several processes at once: a session-level
/// advisory lock serialises runners.
public struct Migrator: Sendable {
  /// Key of the advisory lock held while migrating ("nodo-at" in ASCII, truncated).
  static let lockKey: Int64 = 0x6E6F_646F_2D61_74

  public let migrations: [Migration]

  public init(migrations: [Migration]) {
    self.migrations = migrations.sorted { $0.version < $1.version }
  }

  /// The migrations shipped with this program (resources copied from `schemas/sql`).
  public static func bundled() throws -> Migrator {
    guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
      throw StoreError.migrationsMissing("no Migrations folder in the Store bundle")
    }
    return try Migrator(directory: directory)
  }

  /// Reads `NNN_name.sql` files from `directory`.
  public init(directory: URL) throws {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    } catch {
      throw StoreError.migrationsMissing("\(directory.path): \(error.localizedDescription)")
    }
    var migrations: [Migration] = []
    for name in names where name.hasSuffix(".sql") {
      let stem = name.dropLast(4)
      guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore])
      else {
        throw StoreError.migrationsMissing("\(name) is not named NNN_name.sql")
      }
      let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      migrations.append(
        Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
    }
    let versions = migrations.map(\.version)
    guard Set(versions).count == versions.count else {
      throw StoreError.migrationsMissing("two migration files share a version number")
    }
    self.init(migrations: migrations)
  }

  /// The highest version this program knows.
  public var latestVersion: Int { migrations.last?.version ?? 0 }

  /// Applies what is missing; returns the versions applied by this call (empty when the
  /// database was already current).
  @discardableResult
  public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
    try await client.withConnection { connection in
      // Every command starts here, and the database is almost always current: one read says
      // so without the lock and the table's creation (four round trips instead of one).
      if try await self.isCurrent(on: connection, logger: logger) { return [] }
      try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
      do {
        let applied = try await self.apply(on: connection, logger: logger)
        try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        return applied
      } catch {
        _ = try? await connection.query(
          "SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        throw error
      }
    }
  }

  /// Whether every migration this program knows is applied and none newer: false when the
  /// table is missing or anything differs (then `apply` decides, under the lock).
  private func isCurrent(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
    do {
      let rows = try await connection.query(
        "SELECT coalesce(array_agg(version ORDER BY version), '{}') FROM schema_migration", logger: logger)
      for try await versions in rows.decode([Int].self) {
        return versions == migrations.map(\.version)
      }
      return false
    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
      return false  // Never migrated: no table yet.
    }
  }

  private func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
    try await connection.query(
      """
      CREATE TABLE IF NOT EXISTS schema_migration (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )
      """, logger: logger)
    var done = Set<Int>()
    for try await version in try await connection.query(
      "SELECT version FROM schema_migration", logger: logger
    ).decode(Int.self) {
      done.insert(version)
    }
    if let newest = done.max(), newest > latestVersion {
      throw StoreError.databaseNewerThanProgram(database: newest, program: latestVersion)
    }
    var applied: [Int] = []
    for migration in migrations where !done.contains(migration.version) {
      logger.info(
        "applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
      do {
        try await connection.withTransaction(logger: logger) { transaction in
          try await transaction.query(Self.script(migration.sql), logger: logger)
          try await transaction.query(
            "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))",
            logger: logger)
        }
      } catch {
        throw StoreError.migrationFailed(
          version: migration.version, name: migration.name, reason: describe(error))
      }
      applied.append(migration.version)
    }
    return applied
  }

  /// The extended protocol runs one statement at a time; a migration file has many. PL/pgSQL's
  /// dynamic EXECUTE runs a whole script, so the file goes in as one dollar-quoted string.
  static func script(_ sql: String) -> PostgresQuery {
    var tag = "nodo_migration"
    while sql.contains("$\(tag)$") { tag += "_" }
    return PostgresQuery(
      unsafeSQL: "DO $do_\(tag)$ BEGIN EXECUTE $\(tag)$\(sql)$\(tag)$; END $do_\(tag)$")
  }

  /// The highest applied version, or nil when the database was never migrated.
  public func currentVersion(_ client: PostgresClient, logger: Logger) async throws -> Int? {
    let exists = try await client.query(
      "SELECT to_regclass('schema_migration') IS NOT NULL", logger: logger)
    for try await present in exists.decode(Bool.self) where !present { return nil }
    let rows = try await client.query("SELECT max(version) FROM schema_migration", logger: logger)
    for try await version in rows.decode(Int?.self) { return version }
    return nil
  }
}
