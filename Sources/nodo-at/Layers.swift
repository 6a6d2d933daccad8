import ArgumentParser
import Catalog
import Foundation
import Ingest
import Logging
import PostgresNIO
import Store

struct LayersCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layers", abstract: "List layers and their versions; publish or roll back a version.",
    subcommands: [List.self, Versions.self, Publish.self, Rollback.self])

  static func withConnection<R: Sendable>(
    _ lang: Language, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> R
  ) async throws -> R {
    let logger = makeLogger("nodo.layers", level: .warning)
    do {
      return try await DatabaseLocation.withDatabase(logger: logger) { database in
        try await Migrator.bundled().migrate(database.client, logger: logger)
        return try await database.client.withTransaction(logger: logger) { connection in
          try await body(connection, logger)
        }
      }
    } catch {
      // A refusal from inside the transaction comes wrapped in the transaction's error.
      if let refusal = ((error as? PostgresTransactionError)?.closureError ?? error) as? LayerError {
        note("error: " + IngestError.layer(refusal).message(lang))
      } else {
        note("error: " + explanation(of: error, lang))
      }
      throw ExitCode.failure
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List layers.")
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let layers = try await LayersCommand.withConnection(lang) { box, logger in
        try await LayerRepository.layers(on: box, logger: logger)
      }
      if layers.isEmpty { print(lang.pick("No hay capas.", "No layers.")) }
      for layer in layers {
        let published =
          layer.publishedVersion.map { lang.pick("publicada v\($0)", "published v\($0)") }
          ?? lang.pick("sin publicar", "unpublished")
        print("\(layer.slug)\t\(layer.kind.rawValue)\t\(layer.determinantType ?? "-")\t\(published)")
      }
    }
  }

  struct Versions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "versions", abstract: "A layer's version history.")
    @Argument var layer: String
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let slug = layer
      let versions = try await LayersCommand.withConnection(language.lang) { box, logger in
        try await LayerRepository.versions(slug: slug, on: box, logger: logger)
      }
      for version in versions {
        print(
          "v\(version.number)\t\(version.status)\t\(version.featuresWritten ?? 0)\t\(version.sourceName)\t\(version.createdAt)"
        )
      }
    }
  }

  struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "publish",
      abstract: "Publish a version (the previous one becomes superseded).")
    @Argument var layer: String
    @Option(help: "Version number (default: the newest).") var version: Int?
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let slug = layer
      let wanted = version
      let number = try await LayersCommand.withConnection(lang) { box, logger in
        guard let record = try await LayerRepository.find(slug, on: box, logger: logger) else {
          throw LayerError.layerNotFound(slug)
        }
        let versions = try await LayerRepository.versions(slug: slug, on: box, logger: logger)
        guard
          let target = wanted.flatMap({ w in versions.first { $0.number == w } })
            ?? (wanted == nil ? versions.first : nil),
          target.status != "failed"
        else { throw LayerError.versionNotFound(slug: slug, number: wanted ?? 0) }
        try await LayerRepository.publish(layerID: record.id, versionID: target.id, on: box, logger: logger)
        return target.number
      }
      print(
        lang.pick("Publicada la versión \(number) de «\(slug)».", "Published version \(number) of “\(slug)”.")
      )
    }
  }

  struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rollback", abstract: "Publish the previous version again.")
    @Argument var layer: String
    @OptionGroup var language: LanguageOption
    func run() async throws {
      let lang = language.lang
      let slug = layer
      let (from, to) = try await LayersCommand.withConnection(lang) { box, logger in
        try await LayerRepository.rollback(slug: slug, on: box, logger: logger)
      }
      print(
        lang.pick(
          "«\(slug)»: de la versión \(from) se volvió a la \(to).",
          "“\(slug)”: rolled back from version \(from) to \(to)."))
    }
  }
}
