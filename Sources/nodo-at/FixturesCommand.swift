import ArgumentParser
import Catalog
import Fixtures
import Foundation
import Logging
import Store

struct FixturesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fixtures", abstract: "Synthetic municipality data.",
    subcommands: [Generate.self, Load.self])

  struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "generate",
      abstract:
        "Generate a synthetic municipality: a GeoPackage and zipped shapefiles, deterministic for a seed.")
    @Option(help: "Number of parcels.") var parcels = 500
    @Option(help: "Random seed: the same seed gives the same files.") var seed: UInt64 = 1
    @Option(help: "Output folder.") var out: String
    @Option(help: "DIVIPOLA code written into the parcel numbers (not a real municipality by default).")
    var divipola = "25999"
    @OptionGroup var language: LanguageOption

    func run() async throws {
      let lang = language.lang
      guard Divipola(divipola) != nil else {
        note(lang.pick("error: --divipola necesita 5 dígitos", "error: --divipola needs 5 digits"))
        throw ExitCode.failure
      }
      guard parcels >= 10 else {
        note(lang.pick("error: --parcels debe ser al menos 10", "error: --parcels must be at least 10"))
        throw ExitCode.failure
      }
      let started = ContinuousClock.now
      try await explaining(lang) {
        let output = try MunicipalityGenerator(parcels: parcels, seed: seed, divipola: divipola).generate()
        try FixtureWriter.write(output, to: URL(fileURLWithPath: out))
        let counts = output.themes.map { "\($0.name) \($0.features.count)" }.joined(separator: ", ")
        print(
          lang.pick("Municipio sintético en ", "Synthetic municipality in ") + out
            + " (\(Int(output.side / 1000)) km × \(Int(output.side / 1000)) km)")
        print("  " + counts)
        print(lang.pick("  Tiempo: ", "  Time: ") + "\(started.duration(to: .now))")
      }
    }
  }

  struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "load",
      abstract: "Load a generated municipality's files into published layers (as the demo does).")
    @Option(help: "Folder written by `fixtures generate`.") var dir: String
    @Option(help: "Prefix of the layer names.") var prefix = "sint-"
    @Option(help: "DIVIPOLA code the files were generated with.") var divipola = "25999"
    @Flag(help: "Also run the analysis of the municipality.") var analyze = false
    @OptionGroup var language: LanguageOption

    func run() async throws {
      let lang = language.lang
      let logger = makeLogger("nodo.fixtures", level: .warning)
      try await explaining(lang) {
        let url = try await DatabaseLocation.withDatabase(logger: logger) { database in
          try await Migrator.bundled().migrate(database.client, logger: logger)
          return database.url
        }
        try await DemoData.load(
          from: URL(fileURLWithPath: dir), prefix: prefix, divipola: divipola, analyze: analyze, url: url,
          language: lang, logger: logger)
      }
    }
  }
}
