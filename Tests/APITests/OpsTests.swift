import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import NodoTestSupport
import PostgresNIO
import Store
import Testing

@Suite("Health and readiness over HTTP")
struct OpsTests {
  let logger = Logger(label: "test")

  @Test("/health answers 200 while the process lives")
  func health() async throws {
    struct NeverReady: ReadinessCheck {
      func check() async -> Readiness {
        Readiness(failure: .databaseUnreachable, migrationVersion: nil, expectedVersion: 1)
      }
    }
    let app = Application(router: buildRouter(readiness: NeverReady()))
    try await app.test(.router) { client in
      try await client.execute(uri: "/health", method: .get) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body).contains("\"status\":\"ok\""))
      }
    }
  }

  @Test("the CLI says plainly that the database is unreachable, in Spanish and in English")
  func cliWithoutDatabase() async throws {
    let binary = RealData.projectRoot.appendingPathComponent(".build/debug/nodo-at").path
    try #require(
      FileManager.default.isExecutableFile(atPath: binary), "the nodo-at executable is built by swift test")
    // A loopback port nothing listens on: bound, read, released.
    let socket = try await ServerBootstrap(group: .singletonMultiThreadedEventLoopGroup)
      .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(socket.localAddress?.port)
    try await socket.close()
    let environment = ["DATABASE_URL": "postgres://postgres@127.0.0.1:\(port)/nodo"]
    let spanish = try await runProgram(binary, ["layers", "list"], environment: environment)
    #expect(spanish.status != 0)
    #expect(spanish.error.contains("no se pudo conectar a la base de datos"), "\(spanish.error)")
    #expect(!spanish.error.contains("ConnectionPoolError"))
    let english = try await runProgram(binary, ["layers", "list", "--lang", "en"], environment: environment)
    #expect(english.status != 0)
    #expect(english.error.contains("could not connect to the database"), "\(english.error)")
  }

  @Test("the CLI explains a refused rollback in words, in Spanish and in English, and exits non-zero")
  func cliRefusedRollback() async throws {
    let binary = RealData.projectRoot.appendingPathComponent(".build/debug/nodo-at").path
    try #require(
      FileManager.default.isExecutableFile(atPath: binary), "the nodo-at executable is built by swift test")
    let url = try await TestDatabase.shared.migratedDatabase("cli-rollback")
    let environment = ["DATABASE_URL": url.urlString]
    let spanish = try await runProgram(
      binary, ["layers", "rollback", "no-such-layer"], environment: environment)
    #expect(spanish.status != 0)
    #expect(spanish.error.contains("No existe la capa «no-such-layer»"), "\(spanish.error)")
    let english = try await runProgram(
      binary, ["layers", "rollback", "no-such-layer", "--lang", "en"], environment: environment)
    #expect(english.status != 0)
    #expect(english.error.contains("There is no layer “no-such-layer”"), "\(english.error)")
  }

  @Test(
    "serve ends after its shutdown grace when a request in flight cannot finish (its query waits on a lock)")
  func stopsDespiteAHungRequest() async throws {
    let binary = RealData.projectRoot.appendingPathComponent(".build/debug/nodo-at").path
    try #require(
      FileManager.default.isExecutableFile(atPath: binary), "the nodo-at executable is built by swift test")
    let url = try await TestDatabase.shared.migratedDatabase("grace")
    let socket = try await ServerBootstrap(group: .singletonMultiThreadedEventLoopGroup)
      .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(socket.localAddress?.port)
    try await socket.close()
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: binary)
    serve.arguments = ["serve", "--port", "\(port)", "--shutdown-grace", "2"]
    serve.environment = ProcessInfo.processInfo.environment.merging(["DATABASE_URL": url.urlString]) { $1 }
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    try serve.run()
    defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
    // A client through Python's standard library: up, then a request that will hang.
    let up = try await runProgram(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import sys, time, urllib.request\nfor _ in range(600):\n  try:\n    urllib.request.urlopen(sys.argv[1], timeout=1); sys.exit(0)\n  except Exception: time.sleep(0.1)\nsys.exit(1)",
        "http://127.0.0.1:\(port)/health",
      ])
    try #require(up.status == 0, "serve answered /health")
    try await Database.withDatabase(url, logger: logger) { database in
      try await database.client.withConnection { locker in
        try await locker.query("BEGIN", logger: logger)
        try await locker.query("LOCK TABLE layer IN ACCESS EXCLUSIVE MODE", logger: logger)
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = [
          "python3", "-c",
          "import sys, urllib.request\ntry: urllib.request.urlopen(sys.argv[1], timeout=60)\nexcept Exception: pass",
          "http://127.0.0.1:\(port)/collections",
        ]
        try client.run()
        defer { if client.isRunning { kill(client.processIdentifier, SIGKILL) } }
        // The request's query waits on the lock.
        var waiting = false
        for _ in 0..<300 where !waiting {
          try await Task.sleep(for: .milliseconds(50))
          waiting =
            try await database.client.query(
              "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
              logger: logger
            ).decode(Int.self).reduce(0, +) > 0
        }
        try #require(waiting, "a request of serve waits on the lock")
        kill(serve.processIdentifier, SIGTERM)
        // Without the grace it would wait as long as the lock is held; the bound below only
        // stops a hung test.
        for _ in 0..<600 where serve.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!serve.isRunning, "serve ended while the lock was still held")
        if !serve.isRunning { #expect(serve.terminationStatus == 1) }
        try await locker.query("ROLLBACK", logger: logger)
      }
    }
  }

  @Test("/ready is 200 with a migrated database, 503 problem+json once it is stopped")
  func readyFollowsTheDatabase() async throws {
    // A cluster of its own, since this test stops it.
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nodo-ready-\(UUID().uuidString.prefix(8))")
    let cluster = EmbeddedCluster(directory: directory, unsafeFast: true, logger: logger)
    let url = try await cluster.start()
    try cluster.stopWhenProcessExits(getpid(), deleteDirectory: true)
    let migrator = try Migrator.bundled()
    let logger = self.logger
    try await Database.withDatabase(url, logger: logger) { database in
      let readiness = DatabaseReadiness(database: database, migrator: migrator)
      let app = Application(router: buildRouter(readiness: readiness))
      try await app.test(.router) { client in
        // Not migrated yet: 503, and the problem says why.
        try await client.execute(uri: "/ready", method: .get) { response in
          #expect(response.status == .serviceUnavailable)
          #expect(response.headers[.contentType] == "application/problem+json")
          let body = String(buffer: response.body)
          #expect(body.contains("\"check\":\"migrations\""))
          #expect(body.contains("nodo-at migrate"))
        }
        try await migrator.migrate(database.client, logger: logger)
        try await client.execute(uri: "/ready", method: .get) { response in
          #expect(response.status == .ok)
          #expect(String(buffer: response.body).contains("\"status\":\"ready\""))
        }
        // The postmaster's pid file says ready while it runs, and not after a stop; a start
        // after the stop starts it again (the quick path is not taken on a stale record).
        #expect(cluster.isReady(port: url.port))
        #expect(!cluster.isReady(port: url.port + 1))
        try await cluster.stop()
        #expect(!cluster.isReady(port: url.port))
        // A pid file left behind (a crash) names a dead process, or one still starting: not
        // ready. Only a live postmaster that says "ready" is.
        let pidFile = directory.appendingPathComponent("pg/postmaster.pid")
        let socket = directory.appendingPathComponent("run/.s.PGSQL.\(url.port)")
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        func pretend(pid: Int32, status: String) throws {
          let lines = ["\(pid)", directory.path, "0", "\(url.port)", "/tmp", "127.0.0.1", "0", status, ""]
          try Data(lines.joined(separator: "\n").utf8).write(to: pidFile)
        }
        try Data().write(to: socket)
        try pretend(pid: exited.processIdentifier, status: "ready   ")
        #expect(!cluster.isReady(port: url.port))
        try pretend(pid: getpid(), status: "starting")
        #expect(!cluster.isReady(port: url.port))
        try pretend(pid: getpid(), status: "ready   ")
        #expect(cluster.isReady(port: url.port))
        try FileManager.default.removeItem(at: pidFile)
        try FileManager.default.removeItem(at: socket)
        let restarted = try await cluster.start()
        #expect(cluster.isReady(port: restarted.port))
        try await cluster.stop()
        try await client.execute(
          uri: "/ready", method: .get, headers: [.acceptLanguage: "en-GB,en;q=0.9"]
        ) { response in
          #expect(response.status == .serviceUnavailable)
          #expect(response.headers[.contentType] == "application/problem+json")
          let problem =
            try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
          #expect(problem?["status"] as? Int == 503)
          #expect(problem?["type"] as? String == "/problems/not-ready")
          #expect(problem?["check"] as? String == "database")
          #expect(problem?["detail"] as? String == "The database does not answer.")
        }
      }
    }
  }

  @Test("unknown routes are problem+json 404 in Spanish by default")
  func notFound() async throws {
    struct Ready: ReadinessCheck {
      func check() async -> Readiness { Readiness(failure: nil, migrationVersion: 1, expectedVersion: 1) }
    }
    let app = Application(router: buildRouter(readiness: Ready()))
    try await app.test(.router) { client in
      try await client.execute(uri: "/no/such/thing", method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.headers[.contentLanguage] == "es")
        #expect(String(buffer: response.body).contains("No existe ningún recurso"))
      }
    }
  }
}
