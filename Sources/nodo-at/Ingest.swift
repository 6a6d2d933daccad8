import ArgumentParser
import Catalog
import ConsoleKitTerminal
import Foundation
import Geo
import Ingest
import Logging
import Store

extension LayerKind: ExpressibleByArgument {}

struct IngestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract:
      "Load shapefiles, GeoPackages, GeoJSON, KML or FileGDBs (or .zip of them) into a new version of a layer."
  )

  @Argument(help: "Files, folders or .zip archives; several feed one version.") var paths: [String]
  @Option(help: "Layer identifier (lowercase letters, digits, - and _).") var layer: String
  @Option(help: "cadastral | pot | determinant | condicionante | boundary") var kind: LayerKind
  @Option(help: "Determinant or condicionante type code (see schemas/determinant-types.json).") var type:
    String?
  @Option(help: "5-digit DIVIPOLA code of the municipality.") var divipola: String?
  @Option(help: "Source CRS, e.g. EPSG:3116 (required when a file has no .prj).") var crs: String?
  @Option(help: "DBF code page, e.g. CP1252, ISO-8859-1, UTF-8.") var encoding: String?
  @Option(help: "Layer of a multi-layer source ('*' for all).") var sourceLayer: String?
  @Option(
    name: .customLong("map"),
    help: "FIELD=SOURCE_COLUMN; repeat for several, or for one field named differently across sources.")
  var maps: [String] = []
  @Option(help: "The determinant layer these features are sustracciones of.") var sustraccionOf: String?
  @Option(help: "Minimum parcel overlap reported by R3001, in m².") var overlapTolerance: Double = 1.0
  @Flag(help: "Publish the version when the load succeeds.") var publish = false
  @Flag(help: "Refuse the load when a profile check finds anything.") var strict = false
  @Flag(help: "Cadastral: also report gaps between parcels (LADM-COL R3006); costs a union of the layer.")
  var checkGaps = false
  @Flag(help: "Accept features outside Colombia.") var allowOutsideColombia = false
  @Flag(help: "Print the report as JSON.") var json = false
  @OptionGroup var language: LanguageOption

  func run() async throws {
    let lang = language.lang
    let logger = makeLogger("nodo.ingest", level: .warning)
    var mappings: [(target: String, source: String)] = []
    for text in maps {
      let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        note(
          lang.pick(
            "error: --map espera CAMPO=COLUMNA, no «\(text)»",
            "error: --map expects FIELD=COLUMN, not “\(text)”"))
        throw ExitCode.failure
      }
      mappings.append((parts[0], parts[1]))
    }
    var settings = IngestOptions(
      paths: paths, layer: layer, kind: kind, type: type, divipola: divipola, crs: crs, encoding: encoding,
      sourceLayer: sourceLayer, mappings: mappings, publish: publish, strict: strict,
      allowOutsideColombia: allowOutsideColombia, overlapTolerance: overlapTolerance,
      sustraccionOf: sustraccionOf, createdBy: ProcessInfo.processInfo.environment["USER"] ?? "cli")
    settings.checkGaps = checkGaps
    let options = settings
    let bar = ProgressLine(enabled: !json && isatty(1) != 0, language: lang)
    let report: IngestReport
    do {
      // The sources are opened and the catalogue read while the database is looked for.
      let opened = Ingestor.OpenedSources(options)
      let catalogLoad = Task { try DeterminantCatalog.bundled() }
      report = try await DatabaseLocation.withDatabase(logger: logger) { database in
        // Connecting and checking the schema overlap the opening of the sources (a GeoJSON is
        // parsed whole on opening).
        let migration = Task { try await Migrator.bundled().migrate(database.client, logger: logger) }
        defer { migration.cancel() }
        let catalog = try await catalogLoad.value
        return try await Ingestor(database: database, catalog: catalog, logger: logger).run(
          options, opened: opened, progress: { bar.update($0) }, ready: { _ = try await migration.value })
      }
      bar.finish()
    } catch let error as IngestError {
      bar.finish(succeeded: false)
      note(lang.pick("error: ", "error: ") + error.message(lang))
      note(lang.pick("No se escribió nada en la base de datos.", "Nothing was written to the database."))
      throw ExitCode.failure
    } catch {
      bar.finish(succeeded: false)
      note("error: " + explanation(of: error, lang))
      note(lang.pick("No se escribió nada en la base de datos.", "Nothing was written to the database."))
      throw ExitCode.failure
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(ReportText.render(report, lang), terminator: "")
    }
  }
}

/// The load's progress on a terminal: console-kit's progress bar, its title carrying the
/// features done, features/s and the ETA.
final class ProgressLine: Sendable {
  private let bar: ActivityIndicator<ProgressBar>?
  private let language: Language

  init(enabled: Bool, language: Language) {
    self.language = language
    if enabled {
      let bar = Terminal().progressBar(title: language.pick("Leyendo…", "Reading…"))
      bar.start(refreshRate: 100)
      self.bar = bar
    } else {
      bar = nil
    }
  }

  func update(_ progress: IngestProgress) {
    guard let bar else { return }
    let rate = progress.seconds > 0 ? Double(progress.featuresDone) / progress.seconds : 0
    let fraction =
      progress.featuresTotal > 0 ? min(1, Double(progress.featuresDone) / Double(progress.featuresTotal)) : 0
    let eta = rate > 0 ? Double(progress.featuresTotal - progress.featuresDone) / rate : 0
    bar.activity.currentProgress = fraction
    bar.activity.title = String(
      format: "%d/%d  %.0f %@  ETA %.0f s", progress.featuresDone, progress.featuresTotal, rate,
      language.pick("ent/s", "feat/s"), max(0, eta))
  }

  /// Ends the bar: a tick on success, a cross on failure.
  func finish(succeeded: Bool = true) {
    guard let bar else { return }
    if succeeded { bar.succeed() } else { bar.fail() }
  }
}

/// The load report as text for people.
enum ReportText {
  static func render(_ report: IngestReport, _ l: Language) -> String {
    var out = ""
    if let previous = report.unchangedFromVersion {
      return l.pick(
        "Sin cambios: ese mismo archivo ya está cargado como versión \(previous) de «\(report.layer)»; no se hizo nada.\n",
        "Unchanged: that same file is already loaded as version \(previous) of “\(report.layer)”; nothing was done.\n"
      )
    }
    let status =
      report.status == "published"
      ? l.pick("publicada", "published") : l.pick("en preparación (sin publicar)", "staging (not published)")
    out +=
      l.pick("Capa ", "Layer ") + "«\(report.layer)» (\(report.kind)), " + l.pick("versión ", "version ")
      + "\(report.version ?? 0): \(status)\n"
    for source in report.sources {
      let code = source.crs.epsg.map { "EPSG:\($0)" } ?? "?"
      out += "  " + l.pick("Fuente: ", "Source: ") + "\(source.dataset) [\(source.layer), \(source.driver)]\n"
      out += "    SHA-256 \(source.sha256)\n"
      out +=
        "    " + l.pick("SRC ", "CRS ") + "\(code) «\(source.crs.name)» " + l.pick("confianza", "confidence")
        + " \(source.crs.confidence) %"
        + (source.crsOverridden ? l.pick(" (indicado con --crs)", " (given with --crs)") : "")
        + " → EPSG:9377\n"
      out +=
        "    " + l.pick("Codificación ", "Encoding ")
        + "\(source.encoding.name) (\(source.encoding.source)); "
        + l.pick("entidades leídas ", "features read ") + "\(source.featuresRead)\n"
    }
    out +=
      l.pick("  Leídas ", "  Read ") + "\(report.featuresRead), " + l.pick("escritas ", "written ")
      + "\(report.featuresWritten), "
      + l.pick("reparadas ", "repaired ") + "\(report.featuresRepaired), "
      + l.pick("descartadas ", "dropped ") + "\(report.featuresDropped)\n"
    if report.zOrMDropped > 0 {
      out += l.pick("  Se quitó Z/M a ", "  Z/M removed from ") + "\(report.zOrMDropped)\n"
    }
    if report.curvesLinearized > 0 {
      out += l.pick("  Curvas linealizadas: ", "  Curves linearised: ") + "\(report.curvesLinearized)\n"
    }
    if !report.repaired.isEmpty {
      out +=
        l.pick("  Reparadas (fuente:fid): ", "  Repaired (source:fid): ")
        + report.repaired.prefix(20).map { "\($0.source):\($0.fid)" }.joined(separator: ", ") + "\n"
    }
    for dropped in report.dropped.prefix(20) {
      out +=
        l.pick("  Descartada ", "  Dropped ")
        + "\(dropped.feature.source):\(dropped.feature.fid): \(dropped.reason)"
        + (dropped.detail.map { " — \($0)" } ?? "") + "\n"
    }
    if let family = report.geometryFamily { out += l.pick("  Geometría: ", "  Geometry: ") + family + "\n" }
    if let area = report.totalArea {
      out +=
        l.pick("  Área total (planar, EPSG:9377): ", "  Total area (planar, EPSG:9377): ")
        + String(format: "%.1f m² (%.2f ha)", area, area / 10_000) + "\n"
    }
    if let extent = report.extent {
      out += l.pick("  Extensión (EPSG:9377): ", "  Extent (EPSG:9377): ") + Info.format(extent) + "\n"
    }
    if report.findings.isEmpty {
      out += l.pick("  Sin hallazgos de calidad.\n", "  No quality findings.\n")
    } else {
      out += l.pick("  Hallazgos:\n", "  Findings:\n")
      for finding in report.findings { out += "   - " + finding.message(l) + "\n" }
    }
    out += String(
      format: l.pick(
        "  Tiempo: %.2f s (lectura y carga %.2f s, verificaciones %.2f s)\n",
        "  Time: %.2f s (read and load %.2f s, checks %.2f s)\n"), report.secondsTotal, report.secondsReading,
      report.secondsChecking)
    if report.status != "published" {
      out += l.pick(
        "  Publíquela con: nodo-at layers publish \(report.layer) --version \(report.version ?? 0)\n",
        "  Publish it with: nodo-at layers publish \(report.layer) --version \(report.version ?? 0)\n")
    }
    return out
  }
}
