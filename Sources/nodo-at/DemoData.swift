import Analysis
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
    try await load(
      from: directory, prefix: "demo-", divipola: "25999", analyze: true, url: url, language: lang,
      logger: logger)
  }

  /// Loads a generated municipality's files from `folder` into layers named `prefix…` and
  /// publishes them; with `analyze`, runs the analysis when its inputs changed.
  static func load(
    from folder: URL, prefix: String, divipola: String, analyze: Bool, url: DatabaseURL,
    language lang: Language,
    logger: Logger
  ) async throws {
    guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("predios.zip").path) else {
      note(
        lang.pick(
          "No se encontraron los datos de demostración en \(folder.path).",
          "Demo data not found in \(folder.path)."))
      throw Explained()
    }
    note(
      lang.pick(
        "Cargando el municipio sintético desde \(folder.path)…",
        "Loading the synthetic municipality from \(folder.path)…"))
    let catalog = try DeterminantCatalog.bundled()
    try await Database.withDatabase(url, logger: logger) { database in
      let ingestor = Ingestor(database: database, catalog: catalog, logger: logger)
      for load in MunicipalityGenerator.loads(prefix: prefix) {
        guard let kind = LayerKind(rawValue: load.kind) else { continue }
        let options = IngestOptions(
          paths: [folder.appendingPathComponent(load.file).path], layer: load.layer, kind: kind,
          type: load.type,
          divipola: divipola, mappings: load.mappings, publish: true, sustraccionOf: load.sustraccionOf,
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
      // One analysis, so the conflicts are there at once (again only when inputs changed).
      guard analyze else { return }
      let stale = try await AnalysisRepository.staleMunicipalities(client: database.client, logger: logger)
      let existing = try await AnalysisRepository.run(
        divipola: "25999", client: database.client, logger: logger)
      if existing == nil || stale.contains(where: { $0.divipola == divipola }) {
        let (catalog, matrix) = try CatalogFiles.load()
        let summary = try await AnalysisEngine(
          database: database, catalog: catalog, matrix: matrix,
          parameters: AnalysisParameters(workers: ProcessInfo.processInfo.activeProcessorCount),
          softwareVersion: NodoVersion.current
        ).run(divipola: divipola)
        note(
          lang.pick(
            "  análisis \(summary.runID): \(summary.confluences) confluencias, \(summary.conflicts) conflictos con el POT, \(summary.affectedParcels) predios afectados",
            "  run \(summary.runID): \(summary.confluences) confluences, \(summary.conflicts) POT conflicts, \(summary.affectedParcels) affected parcels"
          ))
      }
    }
  }
}
