import Foundation
import NIOCore
import NIOPosix
import PostgresNIO

/// A PostgreSQL connection string: `postgres://user:password@host:port/database`, or a unix
/// socket with `postgres://user@/database?host=/path/to/socket/dir&port=5432`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
  public var username: String
  public var password: String?
  public var host: String
  public var port: Int
  public var database: String
  /// A directory holding the server's unix socket, used instead of TCP when set.
  public var socketDirectory: String?

  public init(
    username: String, password: String? = nil, host: String = "127.0.0.1", port: Int = 5432,
    database: String, socketDirectory: String? = nil
  ) {
    self.username = username
    self.password = password
    self.host = host
    self.port = port
    self.database = database
    self.socketDirectory = socketDirectory
  }

  public init(_ text: String) throws {
    guard let components = URLComponents(string: text),
      let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
    else {
      throw StoreError.invalidDatabaseURL("expected postgres://user:password@host:port/database")
    }
    let database = String(components.path.drop { $0 == "/" })
    guard !database.isEmpty else {
      throw StoreError.invalidDatabaseURL("the URL names no database")
    }
    let query = Dictionary(
      (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
    var port = components.port ?? 5432
    if let text = query["port"] {
      guard let value = Int(text) else { throw StoreError.invalidDatabaseURL("bad port \(text)") }
      port = value
    }
    self.init(
      username: components.percentEncodedUser?.removingPercentEncoding ?? "postgres",
      password: components.percentEncodedPassword?.removingPercentEncoding,
      host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: port,
      database: database, socketDirectory: query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil })
  }

  /// The URL with the password hidden, for logs and messages.
  public var description: String { render(password: password == nil ? nil : "***") }

  /// The full URL, password included (for `nodo-at db url` and child programs).
  public var urlString: String { render(password: password) }

  private func render(password: String?) -> String {
    let credentials = username + (password.map { ":\($0)" } ?? "")
    if let socketDirectory {
      return "postgres://\(credentials)@/\(database)?host=\(socketDirectory)&port=\(port)"
    }
    return "postgres://\(credentials)@\(host):\(port)/\(database)"
  }

  /// A libpq keyword/value string, as `ogr2ogr PG:"..."` wants it.
  public var libpqString: String {
    var parts = [
      "dbname=\(database)", "user=\(username)", "host=\(socketDirectory ?? host)", "port=\(port)",
    ]
    if let password { parts.append("password=\(password)") }
    return parts.joined(separator: " ")
  }

  /// The same server, another database.
  public func with(database: String) -> DatabaseURL {
    var copy = self
    copy.database = database
    return copy
  }

  /// The postgres-nio client configuration.
  /// Most connections a process opens: `NODO_DB_POOL_MAX`, else four per core and at least 16.
  /// On 2 cores under 64 clients (wrk, alternating, medians of 4 and 3 rounds): 16 connections
  /// answered features by id at 9,650 req/s against 8,650 with 8 (p99 about 11 ms both), pages
  /// of 10 and pages in a box at the same rate (a page of 10's p99 55–71 ms against 25), and 32
  /// fewer by id (p99 46–51 ms): past that, backends only queue inside PostgreSQL.
  static func poolSize(environment: [String: String], cores: Int) -> Int {
    if let text = environment["NODO_DB_POOL_MAX"], let size = Int(text), size > 0 { return size }
    return max(16, 4 * cores)
  }

  public var clientConfiguration: PostgresClient.Configuration {
    var configuration: PostgresClient.Configuration
    if let socketDirectory {
      configuration = .init(
        unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username,
        password: password, database: database)
    } else {
      configuration = .init(
        host: host, port: port, username: username, password: password, database: database,
        tls: .disable)
    }
    configuration.options.connectTimeout = .seconds(5)
    configuration.options.maximumConnections = Self.poolSize(
      environment: ProcessInfo.processInfo.environment, cores: ProcessInfo.processInfo.activeProcessorCount)
    return configuration
  }
}

extension DatabaseURL {
  /// Whether something accepts connections at the URL's address, within `timeout`: a failed
  /// load says so at once instead of after the pool's retries (a minute). Throws
  /// `StoreError.unreachable` otherwise. Only the address is tried; credentials are left to
  /// the real connection.
  public func probe(timeout: TimeAmount = .seconds(3)) async throws {
    let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connectTimeout(timeout)
    let address = socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } ?? "\(host):\(port)"
    do {
      let channel =
        if let socketDirectory {
          try await bootstrap.connect(unixDomainSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)").get()
        } else {
          try await bootstrap.connect(host: host, port: port).get()
        }
      try? await channel.close()
    } catch {
      throw StoreError.unreachable(address)
    }
  }
}
