import Analysis
import ArgumentParser
import Catalog
import ConsoleKitTerminal
import Foundation
import Logging
import Overlay
import Store

struct AnalyzeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract:
      "Find where determinants overlap each other, the POT and the parcels, and which prevails (art. 32).",
    discussion: """
      Reads the published layers of the municipality (its boundary from a boundary layer), builds the
      confluence faces of every determinant and condicionante, resolves each by the prevalence order of
      Ley 2294 de 2023, art. 32, records POT conflicts from the compatibility matrix and the affectations
      of every parcel, and stores the run with the layer versions it used.
      """)

  @Option(help: "DIVIPOLA code of the municipality (5 digits). Repeat for several.")
  var divipola: [String] = []
  @Flag(
    help: "Re-run only the municipalities whose latest results used superseded versions or miss new layers.")
  var stale = false
  @Flag(help: "Print the summary as JSON.") var json = false
  @Option(help: "Tile side in metres for the parallel face computation.") var tileSize: Double?
  @Option(help: "Confluences smaller than this (m²) are slivers.") var sliverArea: Double?
  @Option(help: "Confluences thinner than this (m) are slivers.") var sliverWidth: Double?
  @Option(help: "Affectations smaller than this (m²) are dropped.") var minArea: Double?
  @Option(help: "Affectations below this percentage of the parcel are dropped.") var minPercent: Double?
  @Option(help: "Parallel workers (default: the cores).") var workers: Int?
  @Option(help: "A compatibility matrix file instead of the bundled one.") var compatibility: String?
  @Option(
    help:
      "Analyse only this zone of the municipality: a GeoJSON file (geometry, Feature or FeatureCollection of polygons, lon/lat unless --zone-crs). The run is kept but does not replace the municipality's results."
  )
  var zone: String?
  @Option(help: "EPSG code of the zone file's coordinates (default 4326, lon/lat).") var zoneCrs: Int32 = 4326
  @OptionGroup var language: LanguageOption

  func validate() throws {
    if divipola.isEmpty && !stale {
      throw ValidationError(
        language.lang.pick("indique --divipola NNNNN o --stale", "give --divipola NNNNN or --stale"))
    }
    if zone != nil && (divipola.count != 1 || stale) {
      throw ValidationError(
        language.lang.pick(
          "--zone va con un solo --divipola y sin --stale", "--zone goes with one --divipola and no --stale"))
    }
  }

  /// The polygons of a GeoJSON file, as geometry texts.
  static func zoneGeometries(_ path: String, _ lang: Language) throws -> [String] {
    func fail(_ es: String, _ en: String) -> ValidationError {
      ValidationError(lang.pick("--zone \(path): \(es)", "--zone \(path): \(en)"))
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw fail("no se puede leer el archivo", "the file cannot be read")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw fail("no es JSON", "is not JSON")
    }
    var geometries: [[String: Any]] = []
    switch object["type"] as? String {
    case "FeatureCollection":
      for feature in object["features"] as? [[String: Any]] ?? [] {
        if let geometry = feature["geometry"] as? [String: Any] { geometries.append(geometry) }
      }
    case "Feature":
      if let geometry = object["geometry"] as? [String: Any] { geometries.append(geometry) }
    default:
      geometries.append(object)
    }
    guard !geometries.isEmpty,
      geometries.allSatisfy({ ["Polygon", "MultiPolygon"].contains($0["type"] as? String ?? "") })
    else {
      throw fail("debe contener polígonos GeoJSON", "must hold GeoJSON polygons")
    }
    return try geometries.map {
      String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
    }
  }

  func run() async throws {
    let lang = language.lang
    let logger = makeLogger("nodo.analyze", level: .warning)
    var parameters = AnalysisParameters(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
    if let tileSize { parameters.tileSize = tileSize }
    if let sliverArea { parameters.sliver.minArea = sliverArea }
    if let sliverWidth { parameters.sliver.minWidth = sliverWidth }
    if let minArea { parameters.affectation.minArea = minArea }
    if let minPercent { parameters.affectation.minPercent = minPercent }
    let (catalog, matrix): (DeterminantCatalog, CompatibilityMatrix)
    do {
      (catalog, matrix) = try CatalogFiles.load(compatibility: compatibility)
    } catch {
      note("error: \(error)")
      throw ExitCode.failure
    }
    let zone = try self.zone.map { Zone(geoJSON: try Self.zoneGeometries($0, lang), srid: zoneCrs) }
    let requested = divipola
    let settings = parameters
    let stale = stale
    let json = json
    try await explaining(lang) {
      try await DatabaseLocation.withDatabase(logger: logger) { database in
        try await Migrator.bundled().migrate(database.client, logger: logger)
        var codes = requested
        if stale {
          let found = try await AnalysisRepository.staleMunicipalities(
            client: database.client, logger: logger)
          if found.isEmpty {
            note(
              lang.pick(
                "Ningún municipio tiene resultados desactualizados.", "No municipality has stale results."))
          }
          for item in found {
            note(
              lang.pick(
                "\(item.divipola): resultados del análisis \(item.runID) desactualizados por \(item.layers.joined(separator: ", "))",
                "\(item.divipola): results of run \(item.runID) are stale because of \(item.layers.joined(separator: ", "))"
              ))
            if !codes.contains(item.divipola) { codes.append(item.divipola) }
          }
        }
        let engine = AnalysisEngine(
          database: database, catalog: catalog, matrix: matrix, parameters: settings,
          softwareVersion: NodoVersion.current)
        var summaries: [AnalysisSummary] = []
        for code in codes {
          let line = StageLine(enabled: !json && isatty(1) != 0, language: lang, divipola: code)
          do {
            let summary = try await engine.run(divipola: code, zone: zone) { fraction, stage in
              line.update(fraction, stage)
            }
            line.finish()
            summaries.append(summary)
            if !json { print(Self.describe(summary, catalog: catalog, lang)) }
          } catch let error as AnalysisError {
            line.finish(succeeded: false)
            note("error: " + error.message(lang))
            throw Explained()
          }
        }
        if json {
          let encoder = JSONEncoder()
          encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
          print(String(decoding: try encoder.encode(summaries), as: UTF8.self))
        }
      }
    }
  }

  static func describe(_ s: AnalysisSummary, catalog: DeterminantCatalog, _ lang: Language) -> String {
    func ha(_ m2: Double) -> String { String(format: "%.2f ha", m2 / 10_000) }
    var lines: [String] = []
    lines.append(
      lang.pick(
        "Análisis \(s.runID) — municipio \(s.divipola)", "Run \(s.runID) — municipality \(s.divipola)"))
    lines.append(
      (s.zone
        ? lang.pick("  Área de la zona:        ", "  Zone area:              ")
        : lang.pick("  Área del municipio:     ", "  Municipality area:      ")) + ha(s.scopeArea)
        + lang.pick(" (áreas planas en EPSG:9377)", " (planar areas in EPSG:9377)"))
    lines.append(lang.pick("  Capas:                  ", "  Layers:                 ") + "\(s.layers.count)")
    var shapes = lang.pick("  Determinantes usados:   ", "  Determinants used:      ") + "\(s.shapes)"
    if !s.shapesSkipped.isEmpty {
      let reasons = s.shapesSkipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
      shapes += lang.pick(" (omitidos: ", " (skipped: ") + reasons.joined(separator: ", ") + ")"
    }
    lines.append(shapes)
    lines.append(lang.pick("  Caras:                  ", "  Faces:                  ") + "\(s.faces)")
    lines.append(
      lang.pick("  Confluencias:           ", "  Confluences:            ")
        + "\(s.confluences) (\(ha(s.confluenceArea)))")
    for (levels, count) in s.confluencesByLevelPair.sorted(by: { $0.key < $1.key }) {
      lines.append(lang.pick("    niveles ", "    levels ") + "\(levels): \(count)")
    }
    for (resolution, count) in s.resolutions.sorted(by: { $0.key < $1.key }) {
      lines.append("    \(resolution): \(count)")
    }
    if s.concertacionEtnica > 0 {
      lines.append("    requiere_concertacion_etnica: \(s.concertacionEtnica)")
    }
    lines.append(
      lang.pick("  Astillas de borde:      ", "  Boundary slivers:       ")
        + String(format: "%d (%.1f m²)", s.slivers, s.sliverArea)
        + lang.pick(
          " — menores de \(s.parameters.sliver.minArea) m² o más delgadas que \(s.parameters.sliver.minWidth) m",
          " — under \(s.parameters.sliver.minArea) m² or thinner than \(s.parameters.sliver.minWidth) m"))
    lines.append(lang.pick("  Conflictos con el POT:  ", "  POT conflicts:          ") + "\(s.conflicts)")
    for (quality, area) in s.conflictAreaByQuality.sorted(by: { $0.key < $1.key }) {
      lines.append("    \(quality): \(ha(area))")
    }
    lines.append(
      lang.pick("  Predios:                ", "  Parcels:                ")
        + lang.pick(
          "\(s.parcels), afectados \(s.affectedParcels)", "\(s.parcels), affected \(s.affectedParcels)"))
    lines.append(
      lang.pick("  Afectaciones:           ", "  Affectations:           ")
        + "\(s.affectations)"
        + lang.pick(
          " (descartadas \(s.affectationSliversDropped) < \(s.parameters.affectation.minArea) m² o < \(s.parameters.affectation.minPercent) %)",
          " (dropped \(s.affectationSliversDropped) < \(s.parameters.affectation.minArea) m² or < \(s.parameters.affectation.minPercent) %)"
        ))
    let timing = s.timings.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }
    lines.append(
      lang.pick("  Tiempos:                ", "  Timings:                ") + timing.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}

/// The run's progress on a terminal: console-kit's progress bar titled with the stage.
final class StageLine: Sendable {
  /// Each stage's name in Spanish and English.
  static let names: [String: (String, String)] = [
    "load": ("cargando capas", "loading layers"),
    "prepare": ("preparando determinantes", "preparing determinants"),
    "faces": ("caras de confluencia", "confluence faces"),
    "conflicts": ("conflictos con el POT", "POT conflicts"),
    "affectations": ("afectaciones de predios", "parcel affectations"), "save": ("guardando", "saving"),
    "done": ("listo", "done"),
  ]
  private let bar: ActivityIndicator<ProgressBar>?
  private let language: Language
  private let divipola: String

  init(enabled: Bool, language: Language, divipola: String) {
    self.language = language
    self.divipola = divipola
    if enabled {
      let bar = Terminal().progressBar(title: divipola)
      bar.start(refreshRate: 100)
      self.bar = bar
    } else {
      bar = nil
    }
  }

  func update(_ fraction: Double, _ stage: String) {
    guard let bar else { return }
    bar.activity.currentProgress = fraction
    bar.activity.title = divipola + " · " + (Self.names[stage].map { language.pick($0.0, $0.1) } ?? stage)
  }

  func finish(succeeded: Bool = true) {
    guard let bar else { return }
    if succeeded { bar.succeed() } else { bar.fail() }
  }
}
