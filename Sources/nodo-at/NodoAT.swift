import ArgumentParser

@main
struct NodoAT: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nodo-at",
    abstract: "Nodo AT: territorial data node — determinantes, POT and cadastre in PostGIS.",
    subcommands: [
      Serve.self, Migrate.self, DB.self, Info.self, IngestCommand.self, LayersCommand.self,
      FixturesCommand.self, AnalyzeCommand.self, KeysCommand.self,
    ])
}
