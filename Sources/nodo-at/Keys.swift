import ArgumentParser
import Catalog
import Foundation
import Logging
import Store

extension Role: ExpressibleByArgument {}

struct KeysCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys", abstract: "API keys: create (printed once), list, revoke.",
    subcommands: [Create.self, List.self, Revoke.self])

  static func withDatabase<R: Sendable>(
    _ lang: Language, _ body: @escaping @Sendable (Database, Logger) async throws -> R
  ) async throws -> R {
    let logger = makeLogger("nodo.keys", level: .warning)
    return try await explaining(lang) {
      return try await DatabaseLocation.withDatabase(logger: logger) { database in
        try await Migrator.bundled().migrate(database.client, logger: logger)
        return try await body(database, logger)
      }
    }
  }

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "create", abstract: "Create a key and print it once.")
    @Option(help: "technician (ingest), planner (analysis) or admin (keys, rollback, everything).") var role:
      Role
    @Option(help: "Limit the key to a municipality (repeatable).") var divipola: [String] = []
    @Option(help: "A note on who holds the key.") var label: String?
    @OptionGroup var language: LanguageOption

    func run() async throws {
      let lang = language.lang
      if let bad = divipola.first(where: { Divipola($0) == nil }) {
        note(
          lang.pick("error: «\(bad)» no es un código DIVIPOLA", "error: \"\(bad)\" is not a DIVIPOLA code"))
        throw ExitCode.failure
      }
      let (role, scope, label) = (role, divipola.isEmpty ? nil : divipola, label)
      let (key, record) = try await KeysCommand.withDatabase(lang) { database, logger in
        try await AccessRepository.create(
          role: role, divipola: scope, label: label, client: database.client, logger: logger)
      }
      print(key)
      note(
        lang.pick(
          "Clave \(record.id) (\(role.rawValue)) creada. Guárdela ahora: no se vuelve a mostrar; solo se guarda su SHA-256.",
          "Key \(record.id) (\(role.rawValue)) created. Keep it now: it is not shown again; only its SHA-256 is stored."
        ))
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List keys (never the keys themselves).")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let keys = try await KeysCommand.withDatabase(lang) { database, logger in
        try await AccessRepository.list(client: database.client, logger: logger)
      }
      if keys.isEmpty { print(lang.pick("No hay claves.", "No keys.")) }
      for key in keys {
        let state = key.revokedAt == nil ? lang.pick("activa", "active") : lang.pick("revocada", "revoked")
        print(
          "\(key.id)\tnodo_\(key.prefix)_…\t\(key.role.rawValue)\t\(key.divipola?.joined(separator: ",") ?? "*")\t\(state)\t\(key.label ?? "")"
        )
      }
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke", abstract: "Revoke a key by its number.")
    @Argument var id: Int64
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let id = id
      let done = try await KeysCommand.withDatabase(lang) { database, logger in
        try await AccessRepository.revoke(id: id, client: database.client, logger: logger)
      }
      guard done else {
        note(lang.pick("error: no hay una clave activa \(id)", "error: there is no active key \(id)"))
        throw ExitCode.failure
      }
      print(lang.pick("Clave \(id) revocada.", "Key \(id) revoked."))
    }
  }
}
