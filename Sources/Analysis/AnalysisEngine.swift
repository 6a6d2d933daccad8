import Catalog
import Foundation
import Geo
import Logging
import NIOPosix
import Overlay
import PostgresNIO
import Store

/// A determinant or condicionante feature as the run used it.
public struct ShapeInfo: Sendable, Codable, Equatable {
  public var shapeID: Int
  public var layerID: Int64
  public var layer: String
  public var versionID: Int64
  public var fid: Int64
  public var typeCode: String
  /// The code and its parent type's: what the compatibility matrix matches.
  public var codes: [String]
  public var level: Int?
  public var literal: String?
  public var ethnic: Bool
  public var name: String
  public var authority: String
  public var legalAct: String?
  public var cutoffDate: String?
  public var legalBasis: String
  /// The determinant's internal zoning value (attribute `zona`), e.g. Ley 2 zone A/B/C.
  public var zone: String?
  public var area: Double
}

/// What one run found, for people and for other systems.
public struct AnalysisSummary: Sendable, Codable, Equatable {
  public var runID: Int64
  public var divipola: String
  /// The run covered a zone given with the request, not the whole municipality.
  public var zone: Bool
  public var scopeArea: Double
  public var layers: [String]
  public var shapes: Int
  /// Features left out and why: `no_buffer_rule`, `outside_scope`, `unknown_type`.
  public var shapesSkipped: [String: Int]
  public var faces: Int
  /// Faces covered by two or more ranked determinants, slivers excluded.
  public var confluences: Int
  public var confluenceArea: Double
  /// Confluences by the pairs of levels that meet in them ("1-1", "1-3"): a face where
  /// levels 1, 1 and 3 meet counts once for 1-1 and once for 1-3.
  public var confluencesByLevelPair: [String: Int]
  /// Confluences by resolution (`prevalece`, `requiere_coordinacion`).
  public var resolutions: [String: Int]
  public var concertacionEtnica: Int
  public var slivers: Int
  public var sliverArea: Double
  public var conflicts: Int
  public var conflictAreaByQuality: [String: Double]
  public var parcels: Int
  public var affectedParcels: Int
  public var affectations: Int
  public var affectationSliversDropped: Int
  public var timings: [String: Double]
  public var parameters: AnalysisParameters
}

/// Why a run cannot start.
public enum AnalysisError: LocalizedFailure, Sendable, Equatable {
  case invalidDivipola(String)
  case noBoundary(String)
  /// The zone given as the scope does not meet the municipality.
  case zoneOutside(String)

  public var code: String {
    switch self {
    case .invalidDivipola: "invalid_divipola"
    case .noBoundary: "no_boundary"
    case .zoneOutside: "zone_outside"
    }
  }

  public func message(_ language: Language) -> String {
    switch (self, language) {
    case (.invalidDivipola(let code), .es): "«\(code)» no es un código DIVIPOLA de 5 dígitos."
    case (.invalidDivipola(let code), .en): "\"\(code)\" is not a 5-digit DIVIPOLA code."
    case (.noBoundary(let code), .es):
      "No hay un límite municipal publicado para \(code): cargue una capa de tipo boundary "
        + "(p. ej. el MGN del DANE con --map divipola=MPIO_CCNCT) y publíquela."
    case (.noBoundary(let code), .en):
      "No published municipal boundary for \(code): load a boundary layer (e.g. DANE's MGN with "
        + "--map divipola=MPIO_CCNCT) and publish it."
    case (.zoneOutside(let code), .es): "La zona indicada no tiene área dentro del municipio \(code)."
    case (.zoneOutside(let code), .en): "The zone given has no area inside municipality \(code)."
    }
  }
}

/// The conflict engine (DESIGN §1): for one municipality, reads the published layers, builds
/// the confluence faces, applies art. 32, finds POT conflicts and parcel affectations, and
/// persists the run with its provenance. GEOS work runs on NIO's thread pool, one GEOS
/// context per task, never on the cooperative pool.
public struct AnalysisEngine: Sendable {
  public typealias Progress = @Sendable (_ fraction: Double, _ stage: String) -> Void

  public var database: Database
  public var catalog: DeterminantCatalog
  public var matrix: CompatibilityMatrix
  public var parameters: AnalysisParameters
  public var softwareVersion: String

  public init(
    database: Database, catalog: DeterminantCatalog, matrix: CompatibilityMatrix,
    parameters: AnalysisParameters, softwareVersion: String
  ) {
    self.database = database
    self.catalog = catalog
    self.matrix = matrix
    self.parameters = parameters
    self.softwareVersion = softwareVersion
  }

  var client: PostgresClient { database.client }
  var logger: Logger { database.logger }

  /// Analyses the municipality, or only `zone` of it (the part of the polygon inside the
  /// municipality): a zone run is stored like any other but never becomes the municipality's
  /// latest results.
  public func run(
    divipola: String, zone: Zone? = nil, progress: Progress? = nil
  ) async throws -> AnalysisSummary {
    guard Divipola(divipola) != nil else { throw AnalysisError.invalidDivipola(divipola) }
    guard
      let scope = try await AnalysisRepository.scope(
        divipola: divipola, zone: zone, client: client, logger: logger)
    else {
      throw AnalysisError.noBoundary(divipola)
    }
    if zone != nil, try Self.area(of: Geometry(postgisWKB: scope.wkb)) <= 0 {
      throw AnalysisError.zoneOutside(divipola)
    }
    let parametersJSON = String(decoding: try JSONEncoder.sorted.encode(parameters), as: UTF8.self)
    let runID = try await AnalysisRepository.createRun(
      divipola: divipola, zone: zone != nil, parametersJSON: parametersJSON, softwareVersion: softwareVersion,
      client: client, logger: logger)
    do {
      return try await execute(
        runID: runID, divipola: divipola, scope: scope, zoned: zone != nil, progress: progress)
    } catch {
      try? await AnalysisRepository.failRun(runID, error: describe(error), client: client, logger: logger)
      throw error
    }
  }

  private func execute(
    runID: Int64, divipola: String, scope: (versionID: Int64, wkb: [UInt8]), zoned: Bool, progress: Progress?
  ) async throws -> AnalysisSummary {
    var timings: [String: Double] = [:]
    let clock = ContinuousClock()
    var mark = clock.now
    func lap(_ name: String) {
      let now = clock.now
      let elapsed = now - mark
      timings[name] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      mark = now
    }
    let scopeGeometry = Geometry(postgisWKB: scope.wkb)
    var rows = AnalysisRows()
    rows.inputs.append((scope.versionID, "boundary"))
    progress?(0.02, "load")

    // 1. Inputs: determinant and condicionante layers meeting the scope, their sustracciones.
    let layers = try await AnalysisRepository.publishedLayers(
      kinds: [.determinant, .condicionante], scope: scope.wkb, client: client, logger: logger)
    var skipped: [String: Int] = [:]
    var sustracciones: [Geometry] = []
    var sustraccionesOf: [Int64: [Int]] = [:]
    for layer in layers where layer.sustraccionOf != nil {
      rows.inputs.append((layer.versionID, "sustraccion"))
      for feature in try await AnalysisRepository.features(
        versionID: layer.versionID, scope: scope.wkb, client: client, logger: logger)
      {
        sustraccionesOf[layer.sustraccionOf!, default: []].append(sustracciones.count)
        sustracciones.append(Geometry(postgisWKB: feature.wkb))
      }
    }
    var infos: [ShapeInfo] = []
    var raws: [RawShape] = []
    for layer in layers where layer.sustraccionOf == nil {
      rows.inputs.append((layer.versionID, layer.kind.rawValue))
      let layerDescriptor = layer.determinantType.flatMap { catalog.descriptor($0) }
      for feature in try await AnalysisRepository.features(
        versionID: layer.versionID, scope: scope.wkb, client: client, logger: logger)
      {
        let attributes = Self.attributes(feature.attributesJSON)
        // A feature may name a subtype of its layer's type (IGAC's `subdet`).
        var descriptor = layerDescriptor
        if let code = attributes["subdet"] ?? attributes["cod_tipo"], let own = catalog.descriptor(code),
          let parent = layerDescriptor, own.codes.contains(parent.code)
        {
          descriptor = own
        }
        guard let descriptor else {
          skipped["unknown_type", default: 0] += 1
          continue
        }
        infos.append(
          ShapeInfo(
            shapeID: 0, layerID: layer.layerID, layer: layer.slug, versionID: layer.versionID,
            fid: feature.fid,
            typeCode: descriptor.code, codes: descriptor.codes, level: descriptor.level,
            literal: descriptor.literal,
            ethnic: descriptor.ethnic,
            name: attributes["nombre"] ?? attributes["name"] ?? layer.title ?? descriptor.name,
            authority: layer.authority ?? attributes["autoridad"] ?? descriptor.authority,
            legalAct: layer.legalAct ?? attributes["acto"] ?? attributes["acto_admin"]
              ?? attributes["acto_administrativo"],
            cutoffDate: layer.cutoffDate ?? attributes["fecha_corte"] ?? attributes["fecha_cort"],
            legalBasis: descriptor.legalBasis, zone: attributes["zona"], area: 0))
        raws.append(
          RawShape(
            geometry: Geometry(postgisWKB: feature.wkb),
            buffer: descriptor.buffer?.distance(attributes: attributes),
            subtract: sustraccionesOf[layer.layerID] ?? []))
      }
    }
    lap("load_determinants")
    progress?(0.1, "prepare")

    // 2. Buffer lines and points, remove sustracciones, clip to the scope.
    let workers = parameters.workers
    let prepared = try await Self.parallel(Self.chunks(raws.indices, count: workers * 2)) {
      [sustracciones, raws] range in
      try Preparation.prepare(Array(raws[range]), sustracciones: sustracciones, scope: scopeGeometry)
    }.flatMap { $0 }
    var shapes: [Geometry] = []
    var used: [ShapeInfo] = []
    for (info, outcome) in zip(infos, prepared) {
      switch outcome {
      case .ready(let geometry, let area):
        var info = info
        info.shapeID = used.count + 1
        info.area = area
        used.append(info)
        shapes.append(geometry)
      case .noBuffer: skipped["no_buffer_rule", default: 0] += 1
      case .empty: skipped["outside_scope", default: 0] += 1
      }
    }
    for (info, geometry) in zip(used, shapes) {
      rows.shapes.append([
        String(info.shapeID), String(info.layerID), String(info.versionID), String(info.fid), info.typeCode,
        info.level.map(String.init), info.literal, info.ethnic ? "t" : "f", info.name, info.authority,
        info.legalAct, info.cutoffDate, info.legalBasis, String(info.area), geometry.hexEWKB(srid: 9377),
      ])
    }
    lap("prepare")
    progress?(0.2, "faces")

    // 3. Confluence faces, tile by tile in parallel.
    let scopeEnvelope = try Self.envelope(of: scopeGeometry)
    let tiles = Self.tiles(scopeEnvelope, size: parameters.tileSize)
    let sliverRule = parameters.sliver
    let faces = try await Self.parallel(Self.chunks(tiles.indices, count: workers * 4, interleaved: true)) {
      [shapes] indices in
      try Faces.build(shapes, tiles: indices.map { Optional(tiles[$0]) }, sliver: sliverRule)
    }.flatMap { $0 }.sorted(by: Face.stableOrder)
    var outcomes: [PrevalenceOutcome] = []
    var summary = AnalysisSummary(
      runID: runID, divipola: divipola, zone: zoned, scopeArea: 0, layers: layers.map(\.slug),
      shapes: used.count,
      shapesSkipped: skipped, faces: faces.count, confluences: 0, confluenceArea: 0,
      confluencesByLevelPair: [:],
      resolutions: [:], concertacionEtnica: 0, slivers: 0, sliverArea: 0, conflicts: 0,
      conflictAreaByQuality: [:],
      parcels: 0, affectedParcels: 0, affectations: 0, affectationSliversDropped: 0, timings: [:],
      parameters: parameters)
    for (index, face) in faces.enumerated() {
      let members = face.members.map { used[$0] }
      let outcome = Prevalence.resolve(
        members.map {
          RankedMember(
            level: $0.level, literal: $0.literal, ethnic: $0.ethnic, name: $0.name, authority: $0.authority)
        })
      outcomes.append(outcome)
      let rankedCount = members.filter { $0.level != nil }.count
      if face.isSliver {
        summary.slivers += 1
        summary.sliverArea += face.area
      } else if rankedCount > 1 {
        summary.confluences += 1
        summary.confluenceArea += face.area
        let levels = members.compactMap(\.level).sorted()
        var pairs = Set<String>()
        for i in levels.indices {
          for j in levels.indices where j > i { pairs.insert("\(levels[i])-\(levels[j])") }
        }
        for pair in pairs { summary.confluencesByLevelPair[pair, default: 0] += 1 }
        summary.resolutions[outcome.resolution.rawValue, default: 0] += 1
      }
      if outcome.concertacionEtnica, !face.isSliver { summary.concertacionEtnica += 1 }
      rows.faces.append([
        String(index + 1), "{" + members.map { String($0.shapeID) }.joined(separator: ",") + "}",
        String(rankedCount), outcome.prevailingLevel.map(String.init), outcome.prevailingLiteral,
        outcome.resolution.rawValue, outcome.concertacionEtnica ? "t" : "f", face.isSliver ? "t" : "f",
        String(face.area), outcome.fundamento + (outcome.hint.map { ". " + $0 } ?? ""),
        face.geometry.hexEWKB(srid: 9377),
      ])
    }
    lap("faces")
    progress?(0.4, "conflicts")

    // 4. POT conflicts: faces against zoning units, where the prevailing determinants'
    // regime makes the unit's class, category, treatment or uses conditioned or forbidden.
    let potLayers = try await AnalysisRepository.publishedLayers(
      kinds: [.pot], scope: scope.wkb, client: client, logger: logger)
    var units: [(layer: PublishedLayer, feature: StoredFeature, unit: ZoningUnit, name: String?)] = []
    for layer in potLayers {
      rows.inputs.append((layer.versionID, "pot"))
      for feature in try await AnalysisRepository.features(
        versionID: layer.versionID, scope: scope.wkb, divipola: divipola, client: client, logger: logger)
      {
        let a = Self.attributes(feature.attributesJSON)
        let unit = ZoningUnit(
          clase: a["clase"], categoria: a["categoria"], tratamiento: a["tratamiento"] ?? a["tratamien"],
          usos: ZoningUnit.uses(a["usos"] ?? a["uso_ppal"] ?? a["uso_principal"]))
        units.append((layer, feature, unit, a["unidad"] ?? a["nombre"]))
      }
    }
    let ranked = faces.indices.filter { !faces[$0].isSliver && outcomes[$0].prevailingLevel != nil }
    let matrix = self.matrix
    let qualities = Set(parameters.conflictQualities)
    // Quality of each (face, unit) pair: the worst the prevailing determinants give.
    let verdict: @Sendable (Int, Int) -> (UseQuality, CompatibilityRule, [Int])? = {
      [used, outcomes, faces, units] face, unit in
      var worst: (UseQuality, CompatibilityRule, [Int])?
      for member in outcomes[face].prevailing {
        let info = used[faces[face].members[member]]
        if let (quality, rule) = matrix.quality(codes: info.codes, zone: info.zone, unit: units[unit].unit),
          qualities.contains(quality), worst == nil || quality > worst!.0
        {
          worst = (quality, rule, [info.shapeID])
        }
      }
      return worst
    }
    let unitGeometries = units.map { Geometry(postgisWKB: $0.feature.wkb) }
    let faceGeometries = ranked.map { faces[$0].geometry }
    let overlaps = try await Self.parallel(Self.chunks(faceGeometries.indices, count: workers * 2)) {
      [faceGeometries, unitGeometries, ranked] range in
      try Intersections.compute(
        left: Array(faceGeometries[range]), right: unitGeometries, keepGeometry: true,
        include: { f, u in verdict(ranked[range.lowerBound + f], u) != nil }
      ).map { overlap in
        var overlap = overlap
        overlap.left += range.lowerBound
        return overlap
      }
    }.flatMap { $0 }
    for overlap in overlaps {
      let face = ranked[overlap.left]
      guard let (quality, rule, shapeIDs) = verdict(face, overlap.right) else { continue }
      let (layer, feature, unit, name) = units[overlap.right]
      let level = outcomes[face].prevailingLevel!
      summary.conflicts += 1
      summary.conflictAreaByQuality[quality.rawValue, default: 0] += overlap.area
      rows.conflicts.append([
        String(summary.conflicts), String(layer.versionID), String(feature.fid), name, unit.clase,
        unit.categoria,
        String(face + 1), "{" + shapeIDs.map(String.init).joined(separator: ",") + "}", String(level),
        quality.rawValue, rule.reason, outcomes[face].fundamento, String(overlap.area),
        overlap.geometry?.hexEWKB(srid: 9377),
      ])
    }
    lap("conflicts")
    progress?(0.5, "affectations")

    // 5. Parcel affectations, in chunks of parcels in parallel.
    let cadastral = try await AnalysisRepository.publishedLayers(
      kinds: [.cadastral], scope: scope.wkb, client: client, logger: logger)
    var parcels: [(versionID: Int64, fid: Int64, npn: String?)] = []
    var parcelGeometries: [Geometry] = []
    var parcelEnvelopes: [Envelope] = []
    for layer in cadastral {
      rows.inputs.append((layer.versionID, "cadastral"))
      for parcel in try await AnalysisRepository.parcels(
        versionID: layer.versionID, scope: scope.wkb, divipola: divipola, zone: zoned, parts: workers,
        client: client, logger: logger)
      {
        let geometry = Geometry(postgisWKB: parcel.wkb)
        parcels.append((layer.versionID, parcel.fid, parcel.npn))
        parcelGeometries.append(geometry)
        // Parcels are polygons: their boxes come from the WKB; anything else asks GEOS.
        parcelEnvelopes.append(try Envelope(polygonWKB: geometry) ?? Self.envelope(of: geometry))
      }
    }
    lap("load_parcels")
    let levels = used.map(\.level)
    let thresholds = parameters.affectation
    // Chunks of neighbouring parcels (fid order follows the cadastre's own order, mostly
    // spatial); each reads only the shapes its box meets, not all of them.
    let chunks = Self.chunks(
      parcelGeometries.indices, count: max(workers * 4, parcelGeometries.count / 25_000))
    let shapeEnvelopes = try shapes.map { try Envelope(polygonWKB: $0) ?? Self.envelope(of: $0) }
    let done = Counter()
    // Each task also formats its COPY rows (hex EWKB, numbers as text): that work is as large as
    // the overlay's and parallelises as well.
    struct Chunk: Sendable {
      var affectations: [CopyRow] = []
      var summaries: [CopyRow] = []
      var affected = 0
      var pieces = 0
      var dropped = 0
    }
    let results = try await Self.parallel(chunks) {
      [parcelGeometries, parcelEnvelopes, shapes, parcels, used, shapeEnvelopes] range in
      var box: Envelope?
      for envelope in parcelEnvelopes[range] { box = box?.union(envelope) ?? envelope }
      let wanted =
        box.map { box in shapeEnvelopes.indices.filter { shapeEnvelopes[$0].intersects(box) } } ?? []
      let out = try Affectations.compute(
        parcels: Array(parcelGeometries[range]), envelopes: Array(parcelEnvelopes[range]),
        shapes: wanted.map { shapes[$0] }, shapeEnvelopes: wanted.map { shapeEnvelopes[$0] },
        levels: wanted.map { levels[$0] }, thresholds: thresholds,
        keepGeometry: true)
      var chunk = Chunk()
      for result in out {
        let parcel = parcels[range.lowerBound + result.parcel]
        chunk.dropped += result.dropped
        if !result.pieces.isEmpty { chunk.affected += 1 }
        for piece in result.pieces {
          let info = used[wanted[piece.shape]]
          chunk.pieces += 1
          chunk.affectations.append([
            String(parcel.versionID), String(parcel.fid), parcel.npn, String(info.shapeID),
            String(piece.area),
            String(result.parcelArea > 0 ? piece.area / result.parcelArea * 100 : 0),
            String(info.area > 0 ? piece.area / info.area * 100 : 0), piece.covered ? "t" : "f",
            piece.geometry?.hexEWKB(srid: 9377),
          ])
        }
        chunk.summaries.append([
          String(parcel.versionID), String(parcel.fid), parcel.npn, String(result.parcelArea),
          String(result.restrictedArea), String(result.freeArea), result.prevailingLevel.map(String.init),
          String(result.pieces.count), String(result.dropped),
        ])
      }
      let finished = done.add(1)
      progress?(0.5 + 0.4 * Double(finished) / Double(max(chunks.count, 1)), "affectations")
      return chunk
    }
    summary.parcels = parcels.count
    for chunk in results {
      summary.affectationSliversDropped += chunk.dropped
      summary.affectedParcels += chunk.affected
      summary.affectations += chunk.pieces
      rows.affectations += chunk.affectations
      rows.summaries += chunk.summaries
    }
    lap("affectations")
    progress?(0.92, "save")

    summary.scopeArea = try Self.area(of: scopeGeometry)
    summary.timings = timings
    let encoder = JSONEncoder.sorted
    let countsJSON = String(
      decoding: try encoder.encode([
        "shapes": used.count, "faces": faces.count, "confluences": summary.confluences,
        "slivers": summary.slivers, "conflicts": summary.conflicts, "parcels": summary.parcels,
        "affectations": summary.affectations,
      ]), as: UTF8.self)
    let timingsSoFar = String(decoding: try encoder.encode(timings), as: UTF8.self)
    let summaryJSON = String(decoding: try encoder.encode(summary), as: UTF8.self)
    try await AnalysisRepository.saveResults(
      runID: runID, scope: scope.wkb, rows: rows, countsJSON: countsJSON, timingsJSON: timingsSoFar,
      summaryJSON: summaryJSON, client: client, logger: logger)
    lap("save")
    summary.timings = timings
    progress?(1, "done")
    return summary
  }
}

// MARK: Helpers

extension AnalysisEngine {
  /// Runs `body` on each item on NIO's blocking thread pool; results in item order.
  static func parallel<T: Sendable, R: Sendable>(
    _ items: [T], _ body: @escaping @Sendable (T) throws -> R
  ) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
      for (index, item) in items.enumerated() {
        group.addTask { (index, try await NIOThreadPool.singleton.runIfActive { try body(item) }) }
      }
      var out = [R?](repeating: nil, count: items.count)
      for try await (index, result) in group { out[index] = result }
      return out.map { $0! }
    }
  }

  /// Splits a range into at most `count` contiguous ranges.
  static func chunks(_ range: Range<Int>, count: Int) -> [Range<Int>] {
    guard !range.isEmpty else { return [] }
    let parts = max(1, min(count, range.count))
    let size = (range.count + parts - 1) / parts
    return stride(from: range.lowerBound, to: range.upperBound, by: size).map {
      $0..<min($0 + size, range.upperBound)
    }
  }

  /// Splits indices into `count` groups, round-robin (neighbouring tiles go to different
  /// workers, so dense areas spread).
  static func chunks(_ range: Range<Int>, count: Int, interleaved: Bool) -> [[Int]] {
    let parts = max(1, min(count, range.count))
    var out = [[Int]](repeating: [], count: parts)
    for (k, index) in range.enumerated() { out[k % parts].append(index) }
    return out.filter { !$0.isEmpty }
  }

  static func tiles(_ envelope: Envelope, size: Double) -> [Envelope] {
    let columns = max(1, Int((envelope.width / size).rounded(.up)))
    let rows = max(1, Int((envelope.height / size).rounded(.up)))
    var out: [Envelope] = []
    for row in 0..<rows {
      for column in 0..<columns {
        let minX = envelope.minX + Double(column) * size
        let minY = envelope.minY + Double(row) * size
        out.append(
          Envelope(
            minX: minX, minY: minY, maxX: column == columns - 1 ? envelope.maxX : minX + size,
            maxY: row == rows - 1 ? envelope.maxY : minY + size))
      }
    }
    return out
  }

  static func envelopes(of geometries: [Geometry]) throws -> [Envelope] {
    let context = try GeometryContext()
    return try geometries.map { try context.read($0).envelope() }
  }

  static func envelope(of geometry: Geometry) throws -> Envelope {
    try GeometryContext().read(geometry).envelope()
  }

  static func area(of geometry: Geometry) throws -> Double {
    try GeometryContext().read(geometry).area()
  }

  /// A feature's attributes as lower-case keys and text values.
  static func attributes(_ json: String) -> [String: String] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
      return [:]
    }
    var out: [String: String] = [:]
    for (key, value) in object {
      switch value {
      case let text as String:
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { out[key.lowercased()] = trimmed }
      case let number as NSNumber: out[key.lowercased()] = number.stringValue
      default: continue
      }
    }
    return out
  }
}

/// A thread-safe counter for progress across pool threads.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func add(_ amount: Int) -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += amount
    return value
  }
}

extension JSONEncoder {
  /// Sorted keys: the same run gives the same bytes.
  static var sorted: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
  }
}
