import ArgumentParser
import Catalog
import Store

struct DB: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "db",
    abstract: "Manage the embedded PostgreSQL + PostGIS cluster (NODO_DATA_DIR, default .nodo/).",
    subcommands: [Start.self, Stop.self, Status.self, URLCommand.self])

  struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "start", abstract: "Create (first time) and start the cluster.")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      try await explaining(lang) {
        let cluster = DatabaseLocation.cluster
        _ = try await cluster.start()
        let url = try cluster.url()
        print(lang.pick("Clúster en marcha: ", "Cluster running: ") + (url?.urlString ?? "?"))
      }
    }
  }

  struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "stop", abstract: "Stop the cluster.")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      try await explaining(lang) {
        try await DatabaseLocation.cluster.stop()
        print(lang.pick("Clúster detenido.", "Cluster stopped."))
      }
    }
  }

  struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Say whether the cluster exists and runs (exit 3 when stopped).")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let status = try await explaining(lang) { try await DatabaseLocation.cluster.status() }
      switch status {
      case .running: print(lang.pick("en marcha", "running"))
      case .stopped:
        print(lang.pick("detenido", "stopped"))
        throw ExitCode(3)
      case .notCreated:
        print(
          lang.pick(
            "no creado (se crea con `nodo-at db start`)", "not created (`nodo-at db start` creates it)"))
        throw ExitCode(3)
      }
    }
  }

  struct URLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "url", abstract: "Print the cluster's connection URL.")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      guard let url = try await explaining(lang, { try DatabaseLocation.cluster.url() }) else {
        note(
          lang.pick(
            "El clúster no existe todavía; créelo con `nodo-at db start`.",
            "The cluster does not exist yet; create it with `nodo-at db start`."))
        throw ExitCode.failure
      }
      print(url.urlString)
    }
  }
}
