import API
import Analysis
import ArgumentParser
import Catalog
import Foundation
import Hummingbird
import Ingest
import Logging
import Metrics
import Prometheus
import Store

struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the HTTP service (migrates the database first).")

  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port to listen on.") var port = 8080
  @Flag(help: "Load the demonstration municipality if it is not loaded yet.") var demo = false
  @Flag(help: "Accept writes without an API key, audited as anonymous (trusted networks and demos only).")
  var allowUnauthenticatedWrites = false
  @Flag(help: "Reads need an API key too (also NODO_REQUIRE_KEY_FOR_READS=true).")
  var requireKeyForReads = false
  @Option(help: "Largest upload accepted, in bytes.") var maxUploadBytes: Int64 = 2 << 30
  @Option(
    help:
      "Seconds a stop (SIGTERM, SIGINT) may wait for the requests in flight before the process exits anyway."
  )
  var shutdownGrace = 30
  @Flag(
    inversion: .prefixedNo,
    help:
      "Keep a copy of each published layer with its features' GeoJSON in CRS84 prepared, for faster pages (about the layer's size again on disk)."
  )
  var crs84Copies = true
  @OptionGroup var language: LanguageOption

  func run() async throws {
    let lang = language.lang
    let logger = makeLogger("nodo.serve")
    try await explaining(lang) {
      let url = try await DatabaseLocation.resolve(logger: logger)
      logger.info("database", metadata: ["url": "\(url)"])
      let migrator = try Migrator.bundled()
      let database = Database(url: url, logger: logger)
      let readiness = DatabaseReadiness(database: database, migrator: migrator)
      let uploads = UploadConfiguration(
        maxBytes: maxUploadBytes, directory: DatabaseLocation.dataDirectory.appendingPathComponent("uploads"),
        allowUnauthenticatedWrites: allowUnauthenticatedWrites)
      // The catalogue and matrix are checked here: a malformed deployment file stops start-up.
      let (catalog, matrix) = try CatalogFiles.load()
      let engine = AnalysisEngine(
        database: database, catalog: catalog, matrix: matrix,
        parameters: AnalysisParameters(workers: ProcessInfo.processInfo.activeProcessorCount),
        softwareVersion: NodoVersion.current)
      let runner = JobRunner(
        database: database, catalog: catalog, handlers: [AnalysisEngine.jobKind: engine.jobHandler()],
        logger: logger)
      // Request counts and latency histograms per route, for /metrics.
      let registry = PrometheusCollectorRegistry()
      MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
      let app = buildApplication(
        configuration: ServerConfiguration(host: host, port: port), readiness: readiness, database: database,
        options: APIOptions(
          uploads: uploads,
          requireKeyForReads: requireKeyForReads
            || ProcessInfo.processInfo.environment["NODO_REQUIRE_KEY_FOR_READS"] == "true",
          catalog: catalog, matrix: matrix),
        metrics: registry,
        services: [database.client, JobRunnerService(runner: runner)]
          + (crs84Copies ? [CRS84CopyService(database: database)] : []),
        logger: logger)
      try await Database.withDatabase(url, logger: logger) { setup in
        let applied = try await migrator.migrate(setup.client, logger: logger)
        if !applied.isEmpty {
          note(
            lang.pick("Migraciones aplicadas: ", "Migrations applied: ")
              + applied.map(String.init).joined(separator: ", "))
        }
        if !crs84Copies {
          let dropped = try await setup.crs84Copies.dropAll(client: setup.client, logger: logger)
          if !dropped.isEmpty {
            note(
              lang.pick(
                "Copias CRS84 borradas (--no-crs84-copies): \(dropped.count)",
                "CRS84 copies dropped (--no-crs84-copies): \(dropped.count)"))
          }
        }
      }
      if demo {
        try await DemoData.load(url: url, language: lang, logger: logger)
      }
      note(lang.pick("Nodo AT escuchando en ", "Nodo AT listening on ") + "http://\(host):\(port)/")
      note("  http://\(host):\(port)/collections  http://\(host):\(port)/viewer  http://\(host):\(port)/api")
      note("  http://\(host):\(port)/health  http://\(host):\(port)/ready  http://\(host):\(port)/layers")
      if demo {
        note("  http://\(host):\(port)/municipalities/25999/summary")
        note("  http://\(host):\(port)/layers/demo-predios/versions/1/report")
      }
      // A graceful shutdown waits for the requests in flight, and a request waits for a
      // database connection as long as the database is away (the pool retries without end):
      // with the database stopped under load, SIGTERM left the server running for good. A stop
      // now ends the process after the grace period whatever is still waiting.
      let watchdogs = ShutdownWatchdog.arm(after: .seconds(max(1, shutdownGrace)), logger: logger)
      defer { watchdogs.forEach { $0.cancel() } }
      try await app.runService()
    }
  }
}

struct Migrate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "migrate", abstract: "Apply pending database migrations.")
  @OptionGroup var language: LanguageOption

  func run() async throws {
    let lang = language.lang
    let logger = makeLogger("nodo.migrate")
    try await explaining(lang) {
      let migrator = try Migrator.bundled()
      let applied = try await DatabaseLocation.withDatabase(logger: logger) { database in
        try await migrator.migrate(database.client, logger: logger)
      }
      if applied.isEmpty {
        print(
          lang.pick(
            "La base de datos ya estaba al día (migración \(migrator.latestVersion)).",
            "The database was already current (migration \(migrator.latestVersion))."))
      } else {
        print(
          lang.pick("Migraciones aplicadas: ", "Migrations applied: ")
            + applied.map(String.init).joined(separator: ", "))
      }
    }
  }
}

/// Exits the process when a stop signal's graceful shutdown has not finished in time.
enum ShutdownWatchdog {
  static func arm(after limit: Duration, logger: Logger) -> [any DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { signal in
      let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
      source.setEventHandler {
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(limit.components.seconds))) {
          logger.error(
            "graceful shutdown did not finish; exiting",
            metadata: ["signal": "\(signal)", "seconds": "\(limit.components.seconds)"])
          exit(1)
        }
      }
      source.resume()
      return source
    }
  }
}
