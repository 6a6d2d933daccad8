import Catalog
import Geo
import Store

/// Why a load was refused. Nothing was written when one is thrown.
public enum IngestError: Error, Sendable {
  case noSources
  case source(path: String, GeoError)
  case unsafeArchiveMember(path: String, member: String)
  case archiveTooLarge(path: String, bytes: Int64, limit: Int64)
  case sourceLayerNotFound(path: String, layer: String, available: [String])
  case emptyLayer(path: String, layer: String)
  case noCRS(path: String, layer: String, candidates: [Int])
  case unknownCRS(path: String, layer: String, name: String)
  case outsideColombia(count: Int, examples: [SourceFeature])
  case unknownType(code: String?, kind: String, known: [String])
  case typeRequired(kind: String)
  case missingMapping(profile: String, fields: [String], columns: [String])
  case strictFindings([Finding])
  case mixedFamilies(first: String, other: String)
  case layer(LayerError)
  case badOption(String)

  /// A sentence for a person, in `language`.
  public func message(_ language: Language) -> String {
    let l = language
    switch self {
    case .noSources:
      return l.pick("No se indicó ningún archivo.", "No file was given.")
    case .source(let path, let error):
      return l.pick("No se pudo leer \(path): ", "Could not read \(path): ") + error.message
    case .unsafeArchiveMember(let path, let member):
      return l.pick(
        "El archivo \(path) contiene una ruta insegura («\(member)»); se rechaza sin extraer nada.",
        "The archive \(path) holds an unsafe path (“\(member)”); refused, nothing extracted.")
    case .archiveTooLarge(let path, let bytes, let limit):
      return l.pick(
        "El archivo \(path) se expande a \(bytes) bytes, más que el límite de \(limit); se rechaza.",
        "The archive \(path) expands to \(bytes) bytes, over the \(limit) limit; refused.")
    case .sourceLayerNotFound(let path, let layer, let available):
      return l.pick(
        "\(path) no tiene la capa «\(layer)». Capas: \(available.joined(separator: ", ")).",
        "\(path) has no layer “\(layer)”. Layers: \(available.joined(separator: ", ")).")
    case .emptyLayer(let path, let layer):
      return l.pick(
        "La capa «\(layer)» de \(path) no tiene entidades con geometría; no hay nada que cargar.",
        "Layer “\(layer)” of \(path) has no features with geometry; nothing to load.")
    case .noCRS(let path, let layer, let candidates):
      let list = candidates.map { "EPSG:\($0)" }.joined(separator: l.pick(" o ", " or "))
      return candidates.isEmpty
        ? l.pick(
          "La capa «\(layer)» de \(path) no declara sistema de coordenadas (falta el .prj) y sus coordenadas no se parecen a ninguno usado en Colombia; indíquelo con --crs.",
          "Layer “\(layer)” of \(path) declares no CRS (missing .prj) and its coordinates look like none used in Colombia; pass --crs."
        )
        : l.pick(
          "La capa «\(layer)» de \(path) no declara sistema de coordenadas (falta el .prj); por sus coordenadas parece \(list). Indíquelo con --crs.",
          "Layer “\(layer)” of \(path) declares no CRS (missing .prj); its coordinates look like \(list). Pass --crs."
        )
    case .unknownCRS(let path, let layer, let name):
      return l.pick(
        "El sistema de coordenadas «\(name)» de la capa «\(layer)» (\(path)) no corresponde a ningún código EPSG; indíquelo con --crs.",
        "The CRS “\(name)” of layer “\(layer)” (\(path)) matches no EPSG code; pass --crs.")
    case .outsideColombia(let count, _):
      return l.pick(
        "\(count) entidades quedan fuera de Colombia tras transformarlas a EPSG:9377; revise el sistema de coordenadas o use --allow-outside-colombia.",
        "\(count) features fall outside Colombia once transformed to EPSG:9377; check the CRS or pass --allow-outside-colombia."
      )
    case .unknownType(let code, let kind, let known):
      return l.pick(
        "El tipo «\(code ?? "")» no está en el catálogo de \(kind). Tipos: \(known.joined(separator: ", ")).",
        "Type “\(code ?? "")” is not in the \(kind) catalogue. Types: \(known.joined(separator: ", ")).")
    case .typeRequired(let kind):
      return l.pick(
        "Una capa de tipo \(kind) necesita --type con un código del catálogo.",
        "A \(kind) layer needs --type with a catalogue code.")
    case .missingMapping(let profile, let fields, let columns):
      return l.pick(
        "El perfil \(profile) necesita los campos \(fields.joined(separator: ", ")); asígnelos con --map CAMPO=COLUMNA. Columnas de la fuente: \(columns.joined(separator: ", ")).",
        "The \(profile) profile needs the fields \(fields.joined(separator: ", ")); map them with --map FIELD=COLUMN. Source columns: \(columns.joined(separator: ", "))."
      )
    case .strictFindings(let findings):
      // A finding about the whole layer (no NPN column) counts no features.
      let codes = findings.map { $0.count > 0 ? "\($0.code) (\($0.count))" : $0.code }.joined(separator: ", ")
      return l.pick(
        "Con --strict, los hallazgos rechazan la carga: \(codes).",
        "With --strict, findings refuse the load: \(codes).")
    case .mixedFamilies(let first, let other):
      return l.pick(
        "Las fuentes mezclan geometrías de tipo \(first) y \(other) en una misma capa.",
        "The sources mix \(first) and \(other) geometries in one layer.")
    case .layer(let error):
      switch error {
      case .layerNotFound(let slug):
        return l.pick("No existe la capa «\(slug)».", "There is no layer “\(slug)”.")
      case .kindMismatch(let slug, let existing, let requested):
        return l.pick(
          "La capa «\(slug)» ya existe con tipo \(existing.rawValue), no \(requested.rawValue).",
          "Layer “\(slug)” already exists as \(existing.rawValue), not \(requested.rawValue).")
      case .sustraccionTargetNotFound(let slug):
        return l.pick(
          "La capa de la que serían sustracciones, «\(slug)», no existe.",
          "The layer these would be sustracciones of, “\(slug)”, does not exist.")
      case .versionNotFound(let slug, let number):
        return l.pick(
          "La capa «\(slug)» no tiene versión \(number).", "Layer “\(slug)” has no version \(number).")
      case .nothingToRollBack(let slug):
        return l.pick(
          "La capa «\(slug)» no tiene una versión anterior publicada a la cual volver.",
          "Layer “\(slug)” has no earlier published version to return to.")
      }
    case .badOption(let text):
      return text
    }
  }
}

extension Finding {
  /// A sentence for a person.
  public func message(_ language: Language) -> String {
    let l = language
    let examples = self.examples.isEmpty ? "" : " (" + self.examples.prefix(10).joined(separator: ", ") + ")"
    switch code {
    case "npn_not_mapped":
      return l.pick(
        "No se encontró la columna del número predial (NPN); asígnela con --map npn=COLUMNA para validarlo.",
        "No parcel number (NPN) column was found; map it with --map npn=COLUMN to validate it.")
    case "npn_invalid":
      return l.pick(
        "\(count) números prediales no tienen 30 dígitos válidos",
        "\(count) parcel numbers are not 30 valid digits") + examples
    case "npn_divipola_mismatch":
      return l.pick(
        "\(count) números prediales no empiezan por el DIVIPOLA indicado",
        "\(count) parcel numbers do not start with the given DIVIPOLA") + examples
    case "npn_condition_mismatch":
      return l.pick(
        "\(count) predios con condición distinta a la posición 22 del NPN",
        "\(count) parcels whose condition differs from NPN position 22") + examples
    case "npn_duplicate":
      return l.pick("\(count) números prediales repetidos", "\(count) repeated parcel numbers") + examples
    case "parcel_overlap":
      return l.pick(
        "\(count) pares de predios se superponen (regla R3001)",
        "\(count) pairs of parcels overlap (rule R3001)") + (detail.map { " — \($0)" } ?? "") + examples
    case "parcel_gap":
      return l.pick(
        "\(count) huecos entre predios (regla R3006)", "\(count) gaps between parcels (rule R3006)")
        + (detail.map { " — \($0)" } ?? "") + examples
    case "declared_area_mismatch":
      return l.pick(
        "\(count) predios con área declarada distinta en más de 5 % del área calculada",
        "\(count) parcels whose declared area differs by over 5 % from the computed one") + examples
    case "divipola_invalid":
      return l.pick(
        "\(count) códigos DIVIPOLA no tienen 5 dígitos", "\(count) DIVIPOLA codes are not 5 digits")
        + examples
    case "divipola_duplicate":
      return l.pick("\(count) códigos DIVIPOLA repetidos", "\(count) repeated DIVIPOLA codes") + examples
    case "divipola_missing":
      return l.pick("\(count) entidades sin código DIVIPOLA", "\(count) features without a DIVIPOLA code")
        + examples
    default:
      return "\(code): \(count)" + examples
    }
  }
}
