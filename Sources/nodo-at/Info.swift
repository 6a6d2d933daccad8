import ArgumentParser
import Catalog
import Foundation
import Geo

/// What `nodo-at info` reports about one layer.
struct LayerReport: Codable {
  var dataset: String
  var driver: String
  var layer: LayerInfo
  /// The extent in lon/lat (EPSG:4326), when the CRS is known.
  var extentLonLat: Envelope?
  var inColombia: Bool?
  /// For a layer without CRS: EPSG codes its coordinates could be in.
  var crsCandidates: [Int]?
  var warnings: [String]
}

struct Info: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Describe a vector file before loading it: layers, counts, geometry, CRS, encoding, extent.")

  @Argument(help: "A shapefile, GeoPackage, GeoJSON, KML, FileGDB, a folder or a .zip of them.")
  var path: String
  @Flag(help: "Print JSON instead of text.") var json = false
  @OptionGroup var language: LanguageOption

  func run() async throws {
    let lang = language.lang
    let reports = try await explaining(lang) { try Self.inspect(path, lang) }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(reports), as: UTF8.self))
    } else {
      print(Self.render(reports, lang), terminator: "")
    }
  }

  static func inspect(_ path: String, _ lang: Language) throws -> [LayerReport] {
    var reports: [LayerReport] = []
    for dataset in try VectorSource.datasets(at: path) {
      let source = try VectorSource(path: dataset)
      for index in 0..<source.layerCount {
        let info = try source.layerInfo(index)
        var report = LayerReport(
          dataset: dataset, driver: source.driverName, layer: info, warnings: [])
        if let crs = info.crs {
          if crs.epsg == nil {
            report.warnings.append(
              lang.pick(
                "El SRC «\(crs.name)» no corresponde a ningún código EPSG conocido.",
                "The CRS “\(crs.name)” matches no known EPSG code."))
          } else if crs.confidence < 100 {
            report.warnings.append(
              lang.pick(
                "El SRC se identificó como EPSG:\(crs.epsg!) con confianza de solo \(crs.confidence) %.",
                "The CRS was identified as EPSG:\(crs.epsg!) with only \(crs.confidence) % confidence."))
          }
          if let extent = info.extent,
            let lonLat = try? Transformer(from: crs.projDefinition, to: "EPSG:4326").transform(extent)
          {
            report.extentLonLat = lonLat
            let inside = CRSIdentifier.colombiaLonLat.contains(lonLat)
            report.inColombia = inside
            if !inside {
              report.warnings.append(
                lang.pick(
                  "La extensión de la capa no está dentro de Colombia.",
                  "The layer's extent is not inside Colombia."))
            }
          }
        } else if info.hasGeometry {
          let candidates = info.extent.map(CRSIdentifier.candidates(forExtent:)) ?? []
          report.crsCandidates = candidates
          let list = candidates.map { "EPSG:\($0)" }.joined(separator: ", ")
          report.warnings.append(
            candidates.isEmpty
              ? lang.pick(
                "La capa no declara SRC (falta el .prj) y sus coordenadas no se parecen a ningún SRC usado en Colombia.",
                "The layer declares no CRS (missing .prj) and its coordinates look like no CRS used in Colombia."
              )
              : lang.pick(
                "La capa no declara SRC (falta el .prj); por sus coordenadas parece \(list). Indíquelo con --crs al cargarla.",
                "The layer declares no CRS (missing .prj); its coordinates look like \(list). Pass --crs when loading it."
              ))
        }
        reports.append(report)
      }
    }
    return reports
  }

  static func render(_ reports: [LayerReport], _ lang: Language) -> String {
    var out = ""
    var lastDataset = ""
    for report in reports {
      if report.dataset != lastDataset {
        out += lang.pick("Archivo: ", "File: ") + "\(report.dataset) (\(report.driver))\n"
        lastDataset = report.dataset
      }
      let layer = report.layer
      out += lang.pick("  Capa ", "  Layer ") + "\(layer.index + 1): \(layer.name)\n"
      out +=
        lang.pick("    Entidades:     ", "    Features:      ") + (layer.featureCount.map(String.init) ?? "?")
        + "\n"
      out += lang.pick("    Geometría:     ", "    Geometry:      ") + layer.geometryType + "\n"
      if let crs = layer.crs {
        let code = crs.epsg.map { "EPSG:\($0)" } ?? lang.pick("sin código EPSG", "no EPSG code")
        let how: String
        switch crs.method {
        case .declared: how = lang.pick("declarado", "declared")
        case .equivalentParameters: how = lang.pick("mismos parámetros", "same parameters")
        case .catalogueMatch: how = lang.pick("coincidencia en catálogo", "catalogue match")
        case .userSupplied: how = lang.pick("indicado", "given")
        case nil: how = "-"
        }
        var line =
          "\(code) — \(crs.name) (" + lang.pick("confianza", "confidence") + " \(crs.confidence) %, \(how))"
        if crs.hadVerticalPart {
          line += lang.pick(", se descarta la componente vertical", ", vertical part dropped")
        }
        out += lang.pick("    SRC:           ", "    CRS:           ") + line + "\n"
      } else {
        out += lang.pick("    SRC:           ninguno\n", "    CRS:           none\n")
      }
      let source: String
      switch layer.encoding.source {
      case "cpg": source = lang.pick("archivo .cpg", ".cpg file")
      case "ldid": source = lang.pick("marca de idioma del DBF", "DBF language driver")
      case "format": source = lang.pick("el formato es Unicode", "the format is Unicode")
      case "user": source = lang.pick("indicada", "given")
      default:
        source = lang.pick(
          "sin declarar: UTF-8 si es válido, si no Windows-1252",
          "undeclared: UTF-8 when valid, else Windows-1252")
      }
      out += lang.pick("    Codificación:  ", "    Encoding:      ") + "\(layer.encoding.name) (\(source))\n"
      if let extent = layer.extent {
        out += lang.pick("    Extensión:     ", "    Extent:        ") + format(extent) + "\n"
      }
      if let lonLat = report.extentLonLat {
        out += "    Lon/lat:       " + format(lonLat) + "\n"
      }
      let fields = layer.fields.map { "\($0.name) (\($0.type.rawValue))" }.joined(separator: ", ")
      out += lang.pick("    Campos:        ", "    Fields:        ") + (fields.isEmpty ? "-" : fields) + "\n"
      for warning in report.warnings {
        out += lang.pick("    Aviso: ", "    Warning: ") + warning + "\n"
      }
    }
    return out
  }

  static func format(_ envelope: Envelope) -> String {
    func f(_ value: Double) -> String {
      abs(value) < 1000 ? String(format: "%.6f", value) : String(format: "%.2f", value)
    }
    return "\(f(envelope.minX)), \(f(envelope.minY)) — \(f(envelope.maxX)), \(f(envelope.maxY))"
  }
}
