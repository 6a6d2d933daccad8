import Logging
import PostgresNIO

/// The connection pool to the Nodo AT database. `client.run()` must be running (as a
/// service in the server's group, or through ``withDatabase(_:logger:_:)``) for queries to
/// go through.
public struct Database: Sendable {
  public let client: PostgresClient
  public let url: DatabaseURL
  public let logger: Logger
  /// Which layer versions' CRS84 copies reads may use (filled by a server's refreshes).
  public let crs84Copies = CRS84Copies()

  public init(url: DatabaseURL, logger: Logger) {
    self.url = url
    self.logger = logger
    self.client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
  }

  /// Runs `body` with a database whose pool runs for the duration of the call. With `probe`,
  /// an address where nothing answers fails the call within seconds
  /// (``StoreError/unreachable(_:)``) instead of after the pool's retries (a minute); the probe
  /// runs beside `body`, not before it, once `body` has taken a quarter of a second, and its
  /// failure is the one reported.
  @discardableResult
  public static func withDatabase<R: Sendable>(
    _ url: DatabaseURL, logger: Logger, probe: Bool = false, _ body: @Sendable (Database) async throws -> R
  ) async throws -> R {
    let database = Database(url: url, logger: logger)
    return try await withoutActuallyEscaping(body) { body in
      try await withThrowingTaskGroup(of: Outcome<R>.self) { group in
        group.addTask {
          await database.client.run()
          return .stopped
        }
        defer { group.cancelAll() }
        if probe {
          group.addTask {
            do {
              // Not before a quarter of a second: most commands are done by then (a small load
              // in about 0.1 s), and their connection answered; a probe's connection only made
              // the server start and end one more backend meanwhile.
              try await Task.sleep(for: .milliseconds(250))
              try await url.probe()
              return .probed(nil)
            } catch {
              return .probed(error)
            }
          }
        }
        // Let the pool start before the first lease (postgres-nio warns otherwise).
        for _ in 0..<3 { await Task.yield() }
        group.addTask {
          do {
            return .finished(.success(try await body(database)))
          } catch {
            return .finished(.failure(error))
          }
        }
        var probing = probe
        var failure: (any Error)?
        while let outcome = try await group.next() {
          switch outcome {
          case .stopped: continue
          case .probed(let error?): throw error
          case .probed(nil):
            probing = false
            if let failure { throw failure }
          case .finished(.success(let result)): return result
          case .finished(.failure(let error)):
            guard probing else { throw error }
            failure = error
          }
        }
        throw CancellationError()
      }
    }
  }

  /// How each task of ``withDatabase(_:logger:probe:_:)`` ended.
  private enum Outcome<R: Sendable>: Sendable {
    case stopped
    case probed((any Error)?)
    case finished(Result<R, any Error>)
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
