import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A private PostgreSQL 15 + PostGIS cluster under a data directory, run with Debian's
/// binaries (`initdb`, `pg_ctl`). It listens on 127.0.0.1 at a port of its own and on a unix
/// socket inside the directory. When the program runs as root the server runs as the
/// `postgres` user (initdb refuses root).
///
/// Layout of `directory`: `pg/` (PGDATA), `run/` (socket), `postgres.log`, `cluster.json`.
public struct EmbeddedCluster: Sendable {
  public enum Status: String, Sendable {
    case notCreated = "not created"
    case stopped
    case running
  }

  /// Saved between runs so URLs stay the same.
  struct Settings: Codable {
    var port: Int
    /// Whether the `nodo` database was seen to exist (or made): later commands need not ask.
    var databaseCreated: Bool?
  }

  public let directory: URL
  /// Trades durability for speed (`fsync`, `synchronous_commit`, `full_page_writes` off): for
  /// test clusters only.
  public let unsafeFast: Bool
  public let binDirectory: URL
  public let databaseName = "nodo"
  private let logger: Logger

  public init(
    directory: URL, unsafeFast: Bool = false,
    binDirectory: URL = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin"),
    logger: Logger = Logger(label: "nodo.cluster")
  ) {
    self.directory = directory.standardizedFileURL
    self.unsafeFast = unsafeFast
    self.binDirectory = binDirectory
    self.logger = logger
  }

  var dataDirectory: URL { directory.appendingPathComponent("pg") }
  var socketDirectory: URL { directory.appendingPathComponent("run") }
  var logFile: URL { directory.appendingPathComponent("postgres.log") }
  var settingsFile: URL { directory.appendingPathComponent("cluster.json") }

  private static var isRoot: Bool { getuid() == 0 }

  // MARK: Status

  public func status() async throws -> Status {
    guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    else { return .notCreated }
    let result = try await run("pg_ctl", ["-D", dataDirectory.path, "status"], check: false)
    return result.status == 0 ? .running : .stopped
  }

  /// The URL clients use (TCP on loopback). Nil before the cluster exists.
  public func url() throws -> DatabaseURL? {
    guard let settings = try loadSettings() else { return nil }
    return DatabaseURL(username: "postgres", port: settings.port, database: databaseName)
  }

  /// The URL over the unix socket: what this program uses itself.
  func socketURL(port: Int, database: String) -> DatabaseURL {
    DatabaseURL(
      username: "postgres", port: port, database: database,
      socketDirectory: socketDirectory.path)
  }

  // MARK: Start and stop

  /// Creates the cluster on first use, starts it if it is not running, and makes sure the
  /// `nodo` database exists. Returns the URL to connect to (over the unix socket).
  public func start() async throws -> DatabaseURL {
    guard FileManager.default.isExecutableFile(atPath: binDirectory.appendingPathComponent("pg_ctl").path)
    else { throw StoreError.postgresNotInstalled(binDirectory.path) }
    // Running already, as for every command after the first. The postmaster says it is
    // ready in its pid file and the database was made before: nothing to ask (a connection
    // to look for the database cost a small load about 5 ms).
    let saved = try loadSettings()
    if let saved, saved.databaseCreated == true, isReady(port: saved.port) {
      return socketURL(port: saved.port, database: databaseName)
    }
    // Or the cluster's own socket answers. Asking `pg_ctl status` twice cost 0.3 s per command
    // (two process launches through Perl and runuser each), a sixth of a 100,000-parcel load.
    if let saved,
      FileManager.default.fileExists(
        atPath: socketDirectory.appendingPathComponent(".s.PGSQL.\(saved.port)").path),
      (try? await withTimeout(
        .seconds(5), "connecting to the embedded cluster",
        { [self] in
          try await ensureDatabase(port: saved.port)
        })) != nil
    {
      return socketURL(port: saved.port, database: databaseName)
    }
    if try await status() == .notCreated { try await create() }
    var settings: Settings
    if let saved = try loadSettings() {
      settings = saved
    } else {
      settings = Settings(port: try await Self.freePort())
    }
    if try await status() != .running {
      if !(await Self.isPortFree(settings.port)) {
        settings.port = try await Self.freePort()
      }
      try save(settings)
      try await prepareSocketDirectory()
      logger.info(
        "starting embedded PostgreSQL", metadata: ["dir": "\(directory.path)", "port": "\(settings.port)"])
      let result = try await run(
        "pg_ctl",
        [
          "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o", "-p \(settings.port)",
          "start",
        ],
        check: false)
      if result.status != 0 {
        throw StoreError.clusterCommandFailed(
          command: "pg_ctl start", status: result.status, output: tail(of: logFile) ?? result.output)
      }
    }
    let port = settings.port
    try await withTimeout(.seconds(30), "connecting to the embedded cluster at \(socketDirectory.path)") {
      try await ensureDatabase(port: port)
    }
    return socketURL(port: settings.port, database: databaseName)
  }

  /// `pg_ctl stop -m fast`. Does nothing when the cluster is not running.
  public func stop() async throws {
    guard try await status() == .running else { return }
    let result = try await run(
      "pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"], check: false)
    if result.status != 0 {
      throw StoreError.clusterCommandFailed(
        command: "pg_ctl stop", status: result.status, output: result.output)
    }
  }

  /// Starts a small watchdog (a detached Perl process: the one Foundation starts exits at once,
  /// its fork keeps watching) that stops the cluster (`pg_ctl stop -m immediate`) and, if asked,
  /// deletes its directory once process `pid` has exited — however it exits, crash included.
  /// For test clusters, whose owner may not get to clean up.
  public func stopWhenProcessExits(_ pid: Int32, deleteDirectory: Bool) throws {
    var stop = [
      binDirectory.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-m", "immediate", "stop",
    ]
    if Self.isRoot { stop = ["/usr/sbin/runuser", "-u", "postgres", "--"] + stop }
    let script = """
      use POSIX ();
      POSIX::close($_) for 3 .. 1023;
      exit 0 if fork;
      POSIX::setsid();
      my ($pid, $dir, $delete, @stop) = @ARGV;
      sleep 1 while kill 0, $pid;
      system(@stop);
      system("rm", "-rf", $dir) if $delete;
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
    process.arguments = ["-e", script, String(pid), directory.path, deleteDirectory ? "1" : "0"] + stop
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
  }

  /// Stops the cluster and deletes its directory.
  public func destroy() async throws {
    try? await stop()
    try? FileManager.default.removeItem(at: directory)
  }

  private func create() async throws {
    let manager = FileManager.default
    try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    try manager.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    try manager.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
    if Self.isRoot {
      try await checkTraversable()
      _ = try await run("/bin/chown", ["-R", "postgres:postgres", directory.path], asPostgres: false)
    }
    _ = try await run("/bin/chmod", ["700", dataDirectory.path], asPostgres: Self.isRoot)
    logger.info("creating embedded PostgreSQL cluster", metadata: ["dir": "\(directory.path)"])
    _ = try await run(
      "initdb",
      ["-D", dataDirectory.path, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
    var conf = """

      # --- nodo-at embedded cluster ---
      listen_addresses = '127.0.0.1'
      unix_socket_directories = '\(socketDirectory.path)'
      max_connections = 100
      shared_buffers = 256MB
      work_mem = 32MB
      maintenance_work_mem = 256MB
      logging_collector = off

      """
    if unsafeFast {
      conf += """
        # Test cluster: durability off for speed. Never in a served configuration.
        fsync = off
        synchronous_commit = off
        full_page_writes = off

        """
    }
    let confFile = dataDirectory.appendingPathComponent("postgresql.conf")
    let handle = try FileHandle(forWritingTo: confFile)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(conf.utf8))
    try handle.close()
  }

  /// As root, every parent of the directory must be searchable by the postgres user.
  private func checkTraversable() async throws {
    let probe = try await run("/usr/bin/test", ["-w", directory.path], check: false, asPostgres: true)
    if probe.status != 0 {
      // The directory is not yet postgres's; check only that its parent can be entered.
      let parent = directory.deletingLastPathComponent().path
      let enter = try await run("/usr/bin/test", ["-x", parent], check: false, asPostgres: true)
      if enter.status != 0 {
        throw StoreError.unusableDataDirectory(
          path: directory.path,
          reason:
            "the postgres user cannot reach \(parent) (the server runs as postgres when started as root); set NODO_DATA_DIR to a directory outside /root, e.g. /var/lib/nodo-at"
        )
      }
    }
  }

  private func prepareSocketDirectory() async throws {
    try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
    if Self.isRoot {
      _ = try await run(
        "/bin/chown", ["postgres:postgres", socketDirectory.path, directory.path], asPostgres: false)
    }
  }

  /// Whether the postmaster of `postmaster.pid` is alive, listens on `port` and says it is
  /// ready for connections (a file left by a crash names a dead process; one starting or
  /// stopping says so on its eighth line).
  public func isReady(port: Int) -> Bool {
    guard
      FileManager.default.fileExists(atPath: socketDirectory.appendingPathComponent(".s.PGSQL.\(port)").path),
      let data = FileManager.default.contents(
        atPath: dataDirectory.appendingPathComponent("postmaster.pid").path)
    else { return false }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count >= 8, let pid = Int32(lines[0]), pid > 0, Int(lines[3]) == port,
      lines[7].trimmingCharacters(in: .whitespaces) == "ready"
    else { return false }
    // Signal 0 checks only that the process exists (EPERM: it does, and is another user's).
    return kill(pid, 0) == 0 || errno == EPERM
  }

  private func ensureDatabase(port: Int) async throws {
    let admin = socketURL(port: port, database: "postgres")
    let name = databaseName
    try await Database.withDatabase(admin, logger: logger) { database in
      let rows = try await database.client.query(
        "SELECT count(*) FROM pg_database WHERE datname = \(name)", logger: logger)
      var exists = false
      for try await count in rows.decode(Int.self) { exists = count > 0 }
      if !exists {
        do {
          try await database.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch let error as PSQLError
          where ["42P04", "23505"].contains(error.serverInfo?[.sqlState] ?? "")
        {
          // Created concurrently by another process: fine.
        }
      }
    }
    if var settings = try loadSettings(), settings.databaseCreated != true {
      settings.databaseCreated = true
      try save(settings)
    }
  }

  // MARK: Settings and ports

  private func loadSettings() throws -> Settings? {
    guard let data = FileManager.default.contents(atPath: settingsFile.path) else { return nil }
    return try JSONDecoder().decode(Settings.self, from: data)
  }

  private func save(_ settings: Settings) throws {
    try JSONEncoder().encode(settings).write(to: settingsFile, options: .atomic)
  }

  /// A port on 127.0.0.1 nobody listens on now (the kernel's choice for port 0).
  static func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port
    try? await channel.close().get()
    guard let port else {
      throw StoreError.unusableDataDirectory(path: "", reason: "could not find a free port")
    }
    return port
  }

  static func isPortFree(_ port: Int) async -> Bool {
    guard
      let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: port).get()
    else { return false }
    try? await channel.close().get()
    return true
  }

  // MARK: Running programs

  struct Output {
    var status: Int32
    var output: String
  }

  /// Runs a PostgreSQL program (a name in `binDirectory`) or an absolute path, as the
  /// postgres user when this process is root. Standard streams go to a file, never a pipe: a
  /// daemonising postmaster would keep a pipe open and hang the caller.
  @discardableResult
  private func run(
    _ program: String, _ arguments: [String], check: Bool = true, asPostgres: Bool? = nil
  ) async throws -> Output {
    let executable = program.hasPrefix("/") ? program : binDirectory.appendingPathComponent(program).path
    var command = [executable] + arguments
    if asPostgres ?? Self.isRoot {
      command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command
    }
    // Foundation keeps a descriptor to watch its child; a daemonising postmaster inherits it
    // and `waitUntilExit` never returns. Perl (essential on Debian) closes every descriptor
    // above 2 before it execs the command.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
    process.arguments =
      [
        "-e",
        "use POSIX (); POSIX::close($_) for 3 .. 1023; exec { $ARGV[0] } @ARGV or die \"exec $ARGV[0]: $!\\n\";",
      ]
      + command
    let capture = FileManager.default.temporaryDirectory
      .appendingPathComponent("nodo-cluster-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: capture.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: capture) }
    let sink = try FileHandle(forWritingTo: capture)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = sink
    process.standardError = sink
    // Waiting with a termination handler, not `waitUntilExit()`: several blocking waits on the
    // two threads of the cooperative pool deadlock Foundation's process monitor.
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      process.terminationHandler = { _ in continuation.resume() }
      do {
        try process.run()
      } catch {
        process.terminationHandler = nil
        continuation.resume(throwing: error)
      }
    }
    try? sink.close()
    let output = (try? String(contentsOf: capture, encoding: .utf8)) ?? ""
    let status = process.terminationStatus
    if check && status != 0 {
      throw StoreError.clusterCommandFailed(
        command: ([program] + arguments).joined(separator: " "), status: status,
        output: String(output.suffix(2000)))
    }
    return Output(status: status, output: output)
  }

  private func tail(of file: URL) -> String? {
    guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
    return String(text.suffix(2000))
  }
}
