import Catalog
import Foundation
import Geo
import Store

/// What happened to one feature.
enum Outcome: Sendable {
  /// Written to the chunk's COPY rows. `code` must be unique in the layer (a parcel's NPN, a
  /// municipality's DIVIPOLA code); `shape` is kept for the checks over the whole layer
  /// (cadastral R3001).
  case row(fid: Int64, code: String?, repaired: Bool, outside: Bool, shape: Shape?)
  case dropped(reason: String, detail: String?)
}

/// A written feature's box and geometry (EPSG:9377), as stored.
struct Shape: Sendable {
  var fid: Int64
  var envelope: Envelope
  var geometry: Geometry
}

/// Turns source features into rows: EPSG:9377, valid, multi, attributes renamed by the
/// mappings. Synchronous and not `Sendable`: it owns a GEOS context and a PROJ transformer.
final class FeatureProcessor {
  let context: GeometryContext
  let transformer: Transformer?
  let kind: LayerKind
  let divipola: String?
  private let npnIndex: Int?
  private let conditionIndex: Int?
  private let areaIndex: Int?
  private let divipolaIndex: Int?
  private let layout: AttributeJSON.Layout

  /// Per-feature findings, keyed by rule code, holding stored fids.
  var findings: [String: [Int64]] = [:]
  var family: GeometryFamily?
  /// The box of the rows written so far, and their planar area (polygons), m².
  var extent: Envelope?
  var area = 0.0

  /// `transformer` brings the source's CRS to EPSG:9377; nil when it is EPSG:9377
  /// (`Ingestor.TransformerPool` decides and keeps them).
  init(
    fields: [FieldInfo], mappings: [FieldMapping], transformer: Transformer?, kind: LayerKind,
    divipola: String?, extra: [(String, String)]
  ) throws {
    context = try GeometryContext()
    self.transformer = transformer
    self.kind = kind
    self.divipola = divipola
    var names = fields.map(\.name)
    for mapping in mappings {
      if let index = names.firstIndex(where: { $0.caseInsensitiveCompare(mapping.source) == .orderedSame }) {
        names[index] = mapping.target
      }
    }
    layout = AttributeJSON.Layout(names: names, extra: extra)
    func index(_ candidates: [String]) -> Int? {
      for candidate in candidates {
        if let found = names.firstIndex(where: { $0.lowercased() == candidate }) { return found }
      }
      return nil
    }
    npnIndex = index([
      "npn", "numero_predial", "numero_predial_nacional", "codigo_predial_nacional", "codigo_predial",
    ])
    conditionIndex = index(["condicion", "condicion_predio"])
    areaIndex = index(["area", "area_declarada", "area_terreno"])
    divipolaIndex = index(["divipola"])
  }

  /// Whether an NPN column was found (cadastral profile).
  var hasNPN: Bool { npnIndex != nil }

  /// Appends the feature's COPY row to `rows` when it is kept.
  func process(_ feature: Feature, fid: Int64, writer: FeatureRowWriter, rows: inout [UInt8]) -> Outcome {
    guard let wkb = feature.wkb else { return .dropped(reason: "null_geometry", detail: nil) }
    do {
      let stored: Geometry
      let envelope: Envelope
      let planarArea: Double?
      var repaired = false
      if transformer == nil, family == nil || family == .polygon, let convex = ConvexPolygonWKB(wkb) {
        // Valid as it stands (no GEOS geometry needed): stored as GEOS would write it.
        if family == nil { family = .polygon }
        stored = Geometry(uncheckedWKB: convex.multiPolygon)
        envelope = convex.envelope
        planarArea = convex.area
      } else {
        var geometry = try context.read(wkb: wkb)
        if try geometry.isEmpty() { return .dropped(reason: "empty_geometry", detail: nil) }
        // Invalid as delivered counts as repaired even when reprojection happens to fix it.
        let sourceInvalid = try transformer != nil && !geometry.isValid()
        if let transformer { geometry = try transformer.transform(geometry) }
        let type = try geometry.type()
        let featureFamily = type.family
        if let family, family != featureFamily, featureFamily != .mixed {
          return .dropped(reason: "wrong_family", detail: featureFamily.rawValue)
        }
        let (valid, repair) = try geometry.repaired()
        let final = featureFamily == .polygon ? valid : try valid.asMulti()
        if try final.isEmpty() { return .dropped(reason: "collapsed", detail: repair.reason) }
        // What GEOS accepted as valid is stored exactly (WKB keeps every bit); only what
        // make-valid produced is checked again.
        if repair.reason != nil, try !final.isValid() { note("invalid_after_repair", fid) }
        if family == nil, featureFamily != .mixed { family = featureFamily }
        envelope = try final.envelope()
        planarArea = featureFamily == .polygon ? try final.area() : nil
        stored = try final.geometry()
        repaired = repair.changed || sourceInvalid
      }
      extent = extent.map { $0.union(envelope) } ?? envelope
      let outside = !CRSIdentifier.colombiaCTM12.intersects(envelope)
      area += planarArea ?? 0
      let (npn, code) = checks(feature.values, fid: fid, area: planarArea)
      let layout = self.layout
      writer.append(
        fid: fid, sourceFID: feature.fid, divipola: code, npn: npn, to: &rows,
        attributes: {
          AttributeJSON.append(layout, values: feature.values, npn: npn, divipola: code, to: &$0)
        },
        geometry: { stored.appendHexEWKB(srid: 9377, to: &$0) })
      let unique: String? =
        switch kind {
        case .cadastral: npn
        case .boundary: code
        default: nil
        }
      return .row(
        fid: fid, code: unique, repaired: repaired, outside: outside,
        shape: kind == .cadastral ? Shape(fid: fid, envelope: envelope, geometry: stored) : nil)
    } catch let error as GeoError {
      return .dropped(reason: "unreadable_geometry", detail: error.message)
    } catch {
      return .dropped(reason: "unreadable_geometry", detail: "\(error)")
    }
  }

  private func note(_ code: String, _ fid: Int64) {
    findings[code, default: []].append(fid)
  }

  /// Profile checks that need one feature only; returns the NPN and DIVIPOLA to store.
  private func checks(_ values: [FieldValue], fid: Int64, area: Double?) -> (String?, String?) {
    switch kind {
    case .cadastral:
      var npn: String?
      var code = divipola
      if let npnIndex, let text = values[npnIndex].stringValue.map(Self.trimmed) {
        npn = text
        if NumeroPredial.validate(text) != nil {
          note("npn_invalid", fid)
        } else if let parsed = NumeroPredial(text) {
          code = parsed.divipola.code
          if let divipola, parsed.divipola.code != divipola { note("npn_divipola_mismatch", fid) }
          if let conditionIndex, let condition = values[conditionIndex].stringValue?.first,
            condition != parsed.condicion
          {
            note("npn_condition_mismatch", fid)
          }
        }
      }
      if let areaIndex, let area, let declared = Self.number(values[areaIndex]), area > 0,
        abs(declared - area) / area > 0.05
      {
        note("declared_area_mismatch", fid)
      }
      return (npn, code)
    case .boundary:
      guard let divipolaIndex else { return (nil, divipola) }
      guard var text = values[divipolaIndex].stringValue.map(Self.trimmed), !text.isEmpty
      else {
        note("divipola_missing", fid)
        return (nil, nil)
      }
      if case .integer = values[divipolaIndex], text.count < 5 {
        text = String(repeating: "0", count: 5 - text.count) + text
      }
      guard Divipola(text) != nil else {
        note("divipola_invalid", fid)
        return (nil, nil)
      }
      return (nil, text)
    default:
      return (nil, divipola)
    }
  }

  /// Without leading and trailing whitespace; the common case (printable ASCII at both ends)
  /// costs no copy and no Foundation call.
  static func trimmed(_ text: String) -> String {
    let utf8 = text.utf8
    func plain(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
    if let first = utf8.first, let last = utf8.last, plain(first) && plain(last) { return text }
    return text.trimmingCharacters(in: .whitespaces)
  }

  static func number(_ value: FieldValue) -> Double? {
    switch value {
    case .integer(let number): Double(number)
    case .real(let number): number
    case .string(let text): Double(text.replacingOccurrences(of: ",", with: "."))
    case .null: nil
    }
  }
}
