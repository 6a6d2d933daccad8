import Logging
import Store

/// Whether the service can do its work: the database answers and its schema is current.
public struct Readiness: Sendable, Equatable {
  public enum Failure: Sendable, Equatable {
    case databaseUnreachable
    case migrationsBehind(current: Int?, expected: Int)
  }
  public var failure: Failure?
  public var migrationVersion: Int?
  public var expectedVersion: Int

  public init(failure: Failure?, migrationVersion: Int?, expectedVersion: Int) {
    self.failure = failure
    self.migrationVersion = migrationVersion
    self.expectedVersion = expectedVersion
  }
}

/// Checks readiness; the API depends on this, not on the database directly.
public protocol ReadinessCheck: Sendable {
  func check() async -> Readiness
}

/// The real check against PostgreSQL.
public struct DatabaseReadiness: ReadinessCheck {
  let database: Database
  let migrator: Migrator

  public init(database: Database, migrator: Migrator) {
    self.database = database
    self.migrator = migrator
  }

  public func check() async -> Readiness {
    let expected = migrator.latestVersion
    guard await database.isReachable() else {
      return Readiness(failure: .databaseUnreachable, migrationVersion: nil, expectedVersion: expected)
    }
    let current = try? await migrator.currentVersion(database.client, logger: database.logger)
    guard let current, current >= expected else {
      return Readiness(
        failure: .migrationsBehind(current: current, expected: expected), migrationVersion: current,
        expectedVersion: expected)
    }
    return Readiness(failure: nil, migrationVersion: current, expectedVersion: expected)
  }
}
