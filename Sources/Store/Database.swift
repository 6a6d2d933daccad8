import Logging
import PostgresNIO

/// The connection pool to the Nodo AT database. `client.run()` must be running (as a
/// service in the server's group, or through ``withDatabase(_:logger:_:)``) for queries to
/// go through.
public struct Database: Sendable {
  public let client: PostgresClient
  public let url: DatabaseURL
  public let logger: Logger

  public init(url: DatabaseURL, logger: Logger) {
    self.url = url
    self.logger = logger
    self.client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
  }

  /// Runs `body` with a database whose pool runs for the duration of the call.
  @discardableResult
  public static func withDatabase<R: Sendable>(
    _ url: DatabaseURL, logger: Logger, _ body: @Sendable (Database) async throws -> R
  ) async throws -> R {
    let database = Database(url: url, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await database.client.run() }
      defer { group.cancelAll() }
      // Let the pool start before the first lease (postgres-nio warns otherwise).
      for _ in 0..<3 { await Task.yield() }
      return try await body(database)
    }
  }

  /// `SELECT 1` within `timeout`: whether the server answers.
  public func isReachable(timeout: Duration = .seconds(2)) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        do {
          let rows = try await client.query("SELECT 1", logger: logger)
          for try await _ in rows {}
          return true
        } catch {
          return false
        }
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return false
      }
      let first = await group.next() ?? false
      group.cancelAll()
      return first
    }
  }

  /// `postgis_full_version()`.
  public func postgisVersion() async throws -> String {
    let rows = try await client.query("SELECT postgis_full_version()", logger: logger)
    for try await version in rows.decode(String.self) { return version }
    return ""
  }
}

/// Whether `error` means no connection to the server could be made (server down, wrong port):
/// the pool gives up after repeated failed attempts.
public func isConnectionFailure(_ error: any Error) -> Bool {
  if case StoreError.unreachable = error { return true }
  if let error = error as? PSQLError, error.code == .connectionError { return true }
  return String(describing: error).contains("connectionCreationCircuitBreakerTripped")
}

/// The server's own words for a failed query (postgres-nio hides them from `description`).
public func describe(_ error: any Error) -> String {
  if let error = error as? PSQLError {
    var parts: [String] = []
    if let message = error.serverInfo?[.message] { parts.append(message) }
    if let detail = error.serverInfo?[.detail] { parts.append(detail) }
    if let hint = error.serverInfo?[.hint] { parts.append("hint: \(hint)") }
    if !parts.isEmpty { return parts.joined(separator: " — ") }
    return String(reflecting: error)
  }
  if let error = error as? PostgresTransactionError {
    if let inner = error.closureError { return describe(inner) }
    if let inner = error.commitError { return describe(inner) }
    if let inner = error.beginError { return describe(inner) }
  }
  return String(describing: error)
}
