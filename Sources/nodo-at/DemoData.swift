import Catalog
import Fixtures
import Foundation
import Ingest
import Logging
import Store

/// Loads the committed synthetic municipality (`fixtures/`) and publishes it; files already
/// loaded are recognised by their hash and skipped.
enum DemoData {
  /// `fixtures/` beside the package: found from the working directory or this source file.
  static var directory: URL {
    let candidates = [
      URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("fixtures"),
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures"),
    ]
    return candidates.first {
      FileManager.default.fileExists(atPath: $0.appendingPathComponent("predios.zip").path)
    }
      ?? candidates[0]
  }

  static func load(url: DatabaseURL, language lang: Language, logger: Logger) async throws {
    let folder = directory
    guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("predios.zip").path) else {
      note(
        lang.pick(
          "No se encontraron los datos de demostración en \(folder.path).",
          "Demo data not found in \(folder.path)."))
      throw Explained()
    }
    note(
      lang.pick(
        "Cargando el municipio de demostración desde \(folder.path)…",
        "Loading the demo municipality from \(folder.path)…"))
    let catalog = try DeterminantCatalog.bundled()
    try await Database.withDatabase(url, logger: logger) { database in
      let ingestor = Ingestor(database: database, catalog: catalog, logger: logger)
      for load in MunicipalityGenerator.loads() {
        guard let kind = LayerKind(rawValue: load.kind) else { continue }
        let options = IngestOptions(
          paths: [folder.appendingPathComponent(load.file).path], layer: load.layer, kind: kind,
          type: load.type,
          divipola: "25999", mappings: load.mappings, publish: true, sustraccionOf: load.sustraccionOf,
          createdBy: "demo")
        do {
          let report = try await ingestor.run(options)
          let state =
            report.unchangedFromVersion != nil
            ? lang.pick("ya cargada", "already loaded")
            : lang.pick("\(report.featuresWritten) entidades", "\(report.featuresWritten) features")
          note("  \(load.layer): \(state)")
        } catch let error as IngestError {
          note("  \(load.layer): " + error.message(lang))
          throw Explained()
        }
      }
    }
  }
}
