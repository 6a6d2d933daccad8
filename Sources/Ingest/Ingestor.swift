import Catalog
import Foundation
import Geo
import Logging
import NIOPosix
import Overlay
import PostgresNIO
import Store

/// Progress of a load, for a progress bar or a job row.
public struct IngestProgress: Sendable {
  public var featuresDone: Int
  public var featuresTotal: Int
  public var seconds: Double
}

/// Loads source files into a new version of a layer.
///
/// Everything happens in one transaction: the layer (when new), its staging version, the
/// features (COPY), the checks and, when asked, the publication. A refused or failed load —
/// or a process killed halfway — leaves the database exactly as it was.
public struct Ingestor: Sendable {
  let database: Database
  let catalog: DeterminantCatalog
  let logger: Logger
  /// Up to this many written parcels, R3001 and the duplicate codes run on what was kept from
  /// the load, while the indexes are built; above it, R3001 reads the shapes tile by tile from
  /// a local file and the duplicates are looked up among a filter's candidates, so memory does
  /// not grow with the layer. It sets the peak: a larger load keeps this many shapes
  /// until it passes the limit (250,000 made a million parcels peak at 200 MiB; with 100,000
  /// the million peaks where 100,000 do, about 150 MiB).
  let shapesKeptForChecks: Int

  public init(
    database: Database, catalog: DeterminantCatalog, logger: Logger, shapesKeptForChecks: Int = 100_000
  ) {
    self.database = database
    self.catalog = catalog
    self.logger = logger
    self.shapesKeptForChecks = shapesKeptForChecks
  }

  /// The sources of a load, opened and hashed on the thread pool from the moment it is made:
  /// a caller that makes it before it looks for the database (`run(_:opened:…)`) has GDAL
  /// open the files meanwhile. Nothing is written by it.
  public final class OpenedSources: Sendable {
    let plan: Task<[PlannedLayer], any Error>
    let hashes: Task<[String: String], any Error>
    /// The transformer the sources will most likely need, looked up in PROJ's database from
    /// the start, beside the opening: from the EPSG code given with `--crs` (the plan names a
    /// recognised CRS by its code: any other definition would not match it), or from EPSG:4326
    /// for GeoJSON and TopoJSON (RFC 7946's CRS84). A GeoJSON file is parsed whole when GDAL opens
    /// it (the 1,122 MGN municipalities: about 50 ms), after which the load waited for the
    /// lookup (10–17 ms). Unused when the plan finds another CRS.
    let expected: TransformerPool?

    public init(_ options: IngestOptions) {
      plan = Task { try await NIOThreadPool.singleton.runIfActive { try SourcePlan.make(options) } }
      let paths = options.paths
      hashes = Task {
        try await NIOThreadPool.singleton.runIfActive {
          try Dictionary(paths.map { ($0, try SourcePlan.sha256(of: $0)) }, uniquingKeysWith: { a, _ in a })
        }
      }
      let geoJSON = paths.allSatisfy { path in
        [".geojson", ".topojson", ".json"].contains { path.lowercased().hasSuffix($0) }
      }
      let given = options.crsDefinition.flatMap { $0.hasPrefix("EPSG:") ? $0 : nil }
      expected = (given ?? (geoJSON ? "EPSG:4326" : nil)).flatMap { definition in
        definition == "EPSG:9377" ? nil : TransformerPool(definition: definition)
      }
      if let expected { Thread.detachNewThread { expected.prepare() } }
    }

    deinit {
      plan.cancel()
      hashes.cancel()
    }
  }

  /// `ready`, when given, is awaited after the sources are opened and before the database is
  /// written: what must precede the writing (the CLI's migrations) runs while GDAL opens them.
  /// `opened`, when given, are `options`' sources opened beforehand.
  public func run(
    _ options: IngestOptions, opened: OpenedSources? = nil,
    progress: @escaping @Sendable (IngestProgress) -> Void = { _ in },
    ready: (@Sendable () async throws -> Void)? = nil
  ) async throws -> IngestReport {
    do {
      return try await load(
        options, opened: opened ?? OpenedSources(options), ready: ready, progress: progress)
    } catch let error as PostgresTransactionError {
      // The transaction was rolled back; surface the reason it failed.
      throw Self.unwrap(error.closureError ?? error)
    } catch {
      throw Self.unwrap(error)
    }
  }

  /// The transformer pool of each of `crss`: one per CRS, not per source layer (the 57
  /// reserves, in three CRSs, made 57 lookups), `expected` for its own; and the pools made here,
  /// still to prepare.
  static func transformerPools(
    for crss: [CRS], expected: TransformerPool?
  ) -> (pools: [TransformerPool], made: [TransformerPool]) {
    var known: [String: TransformerPool] = [:]
    if let expected, let definition = expected.definition { known[definition] = expected }
    let direct = TransformerPool(definition: nil)
    var made: [TransformerPool] = []
    let pools = crss.map { crs in
      guard let definition = TransformerPool.definition(of: crs) else { return direct }
      if let pool = known[definition] { return pool }
      let pool = TransformerPool(definition: definition)
      known[definition] = pool
      made.append(pool)
      return pool
    }
    return (pools, made)
  }

  static func unwrap(_ error: any Error) -> any Error {
    if let error = error as? LayerError { return IngestError.layer(error) }
    return error
  }

  private func load(
    _ options: IngestOptions, opened: OpenedSources, ready: (@Sendable () async throws -> Void)?,
    progress: @escaping @Sendable (IngestProgress) -> Void
  ) async throws -> IngestReport {
    let started = ContinuousClock.now
    try validate(options)
    // Opening the sources and hashing them (up to gigabytes) blocks: on the thread pool, never
    // on the threads that serve HTTP. Nothing below needs the plan before the version's empty
    // partition exists: the layer is locked and found, the version and its table made, while
    // GDAL still opens the sources (a GeoPackage of 90 tables in about 20 ms). Each layer's
    // transformer to EPSG:9377 is looked up in PROJ's database on a thread of its own as soon
    // as the plan is made.
    let planned = Task { () throws -> (plan: [PlannedLayer], transformers: [TransformerPool]) in
      let plan = try await opened.plan.value
      let (transformers, made) = Self.transformerPools(for: plan.map(\.crs), expected: opened.expected)
      if !made.isEmpty { Thread.detachNewThread { made.forEach { $0.prepare() } } }
      return (plan, transformers)
    }
    try await ready?()
    // The SHA-256 of each source path. A path that cannot be hashed cannot be planned either:
    // the plan's error, which names what is wrong with the source, comes first.
    let hashes: [String: String]
    do {
      hashes = try await opened.hashes.value
    } catch {
      _ = try await planned.value
      throw error
    }
    // What was loaded: each path's hash, combined when there are several. Every path yields a
    // layer or the plan refuses it, so the paths name the version's sources.
    let paths = options.paths.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    let combinedHash =
      paths.count == 1 ? hashes[paths[0]] ?? "" : Self.combine(paths.map { hashes[$0] ?? "" })
    let sourceName = paths.sorted().map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
    let logger = self.logger

    return try await database.client.withConnection { connection in
      try await connection.withTransaction(logger: logger) { connection in
        try await LayerRepository.lockLayer(options.layer, on: connection, logger: logger)
        let existing = try await LayerRepository.find(options.layer, on: connection, logger: logger)
        if let existing,
          let number = try await LayerRepository.versionWithHash(
            layerID: existing.id, sha256: combinedHash, on: connection, logger: logger)
        {
          // Still refused when the sources cannot be read as asked (a layer name not in them).
          _ = try await planned.value
          var report = Self.emptyReport(options)
          report.status = "unchanged"
          report.unchangedFromVersion = number
          report.secondsTotal = (ContinuousClock.now - started).seconds
          return report
        }
        let layer = try await LayerRepository.ensureLayer(
          NewLayer(
            slug: options.layer, kind: options.kind, divipola: options.divipola,
            determinantType: options.type, sustraccionOf: options.sustraccionOf),
          existing: existing, on: connection, logger: logger)
        let version = try await LayerRepository.createVersion(
          layerID: layer.id, sourceName: sourceName, sha256: combinedHash,
          createdBy: options.createdBy, on: connection, logger: logger)
        try await LayerRepository.createPartition(versionID: version.id, on: connection, logger: logger)
        // A source GDAL cannot read fails the load here: the transaction, rolled back, leaves
        // nothing of it.
        let (plan, transformers) = try await planned.value
        logger.debug("ingest plan", metadata: ["plan_s": "\((ContinuousClock.now - started).seconds)"])
        let sourceHashes = plan.map { hashes[$0.path] ?? "" }
        let total = plan.reduce(0) { $0 + ($1.info.featureCount ?? 0) }

        var report = Self.emptyReport(options)
        report.version = version.number
        let load = try await copy(
          plan, hashes: sourceHashes, transformers: transformers, options: options, versionID: version.id,
          total: total,
          started: started, connection: connection, progress: progress)
        report.sources = load.sources
        report.geometryFamily = load.family?.rawValue
        report.featuresRead = load.read
        report.featuresWritten = load.written
        report.featuresRepaired = load.repaired.count
        report.featuresDropped = load.dropped.count
        report.repaired = Array(load.repaired.prefix(IngestReport.listLimit))
        report.dropped = Array(load.dropped.prefix(IngestReport.listLimit))
        report.zOrMDropped = load.zm
        report.curvesLinearized = load.linearized
        // R3001 needs only the written shapes: it runs while PostgreSQL builds the indexes, on
        // the shapes kept, or tile by tile from the local file they went to past the limit.
        let tolerance = options.overlapTolerance
        defer { load.spill?.remove() }
        try load.spill?.flush()
        var overlapCheck: Task<[QualityChecks.Overlap], any Error>?
        if options.kind == .cadastral {
          if let shapes = load.shapes.elements {
            overlapCheck = Task { try await self.parcelOverlaps(shapes, minimumArea: tolerance) }
          } else if let spill = load.spill, let extent = load.extent {
            let layout = TileLayout(
              extent: extent, count: load.written, perTile: max(1, shapesKeptForChecks / 5),
              corners: load.corners)
            let (file, directory) = (spill.file, spill.directory)
            overlapCheck = Task {
              try await self.spilledParcelOverlaps(
                file, in: directory, layout: layout, minimumArea: tolerance)
            }
          }
        }
        defer { overlapCheck?.cancel() }
        // So do the duplicate codes (70 ms for 100,000 NPNs, after the indexes, before).
        let duplicateCheck = load.codes.elements.map { codes in Task { Self.duplicates(codes) } }
        try await LayerRepository.attachPartition(
          versionID: version.id, rows: load.written, indexDivipola: options.kind == .boundary, on: connection,
          logger: logger)
        report.secondsReading = (ContinuousClock.now - started).seconds

        if load.written == 0 {
          throw IngestError.emptyLayer(path: plan[0].path, layer: plan[0].info.name)
        }
        if !load.outside.isEmpty && !options.allowOutsideColombia {
          throw IngestError.outsideColombia(
            count: load.outside.count, examples: Array(load.outside.prefix(10)))
        }

        let checking = ContinuousClock.now
        report.findings = load.findings
        report.findings += try await tableChecks(
          options, versionID: version.id, processorFoundNPN: load.foundNPN, overlapCheck: overlapCheck,
          duplicateCheck: duplicateCheck, repeats: load.repeats,
          connection: connection)
        report.secondsChecking = (ContinuousClock.now - checking).seconds
        if options.strict && !report.findings.isEmpty { throw IngestError.strictFindings(report.findings) }

        report.extent = load.extent
        report.totalArea = load.family == .polygon ? load.area : nil
        report.status = options.publish ? "published" : "staging"
        report.secondsTotal = (ContinuousClock.now - started).seconds

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        let first = plan[0]
        try await LayerRepository.finishVersion(
          versionID: version.id, encoding: load.sources.map(\.encoding.name).joined(separator: ","),
          sourceCRS: first.crs.name, sourceEPSG: first.crs.epsg, crsConfidence: first.crs.confidence,
          family: load.family?.rawValue ?? "mixed", read: load.read, written: load.written,
          repaired: load.repaired.count, dropped: load.dropped.count, extent: load.extent, reportJSON: json,
          on: connection, logger: logger)
        if options.publish {
          try await LayerRepository.publish(
            layerID: layer.id, versionID: version.id, on: connection, logger: logger)
        }
        return report
      }
    }
  }

  /// What the reading produced.
  struct Load {
    var sources: [SourceReport] = []
    var family: GeometryFamily?
    var read = 0
    var written = 0
    var repaired: [SourceFeature] = []
    var dropped: [DroppedFeature] = []
    var outside: [SourceFeature] = []
    var zm = 0
    var linearized = 0
    var findings: [Finding] = []
    var foundNPN = false
    /// Written geometries, by fid, for the cadastral overlap check.
    var shapes: Kept<Shape>
    /// The written rows' box (EPSG:9377) and planar area, m².
    var extent: Envelope?
    var area = 0.0
    /// The codes that must be unique (NPN of parcels, DIVIPOLA of boundaries) with their fids.
    var codes: Kept<(code: String, fid: Int64)>
    /// Where the written parcels lie, for cutting a large version into tiles for R3001.
    var corners: CornerSample
    /// The codes that may repeat, fed with the codes `codes` does not keep.
    var repeats = RepeatCandidates()
    /// The written shapes `shapes` does not keep.
    var spill: ShapeSpill?

    init(keep limit: Int) {
      shapes = Kept(limit: limit)
      codes = Kept(limit: limit)
      corners = CornerSample(limit: max(2, limit / 2))
    }
  }

  /// Rows' data kept for the checks over the whole layer, up to `limit`: past it, none, and the
  /// checks go another way (a local file, a filter), so memory does not grow with the layer.
  struct Kept<Element> {
    let limit: Int
    /// Nil once more than `limit` were offered.
    private(set) var elements: [Element]? = []

    init(limit: Int) { self.limit = limit }

    /// Keeps `element` while under the limit, and returns what is not kept for the other way:
    /// nothing while under it, everything kept so far with `element` when it passes it, then
    /// `element` alone.
    mutating func append(_ element: Element) -> [Element] {
      guard elements != nil else { return [element] }
      // In place: a copy taken out of the optional would copy every element on each append.
      elements!.append(element)
      guard elements!.count > limit else { return [] }
      defer { elements = nil }
      return elements!
    }
  }

  /// What a processor needs, for building one per task.
  struct ProcessorSetup: Sendable {
    var fields: [FieldInfo]
    var mappings: [FieldMapping]
    var kind: LayerKind
    var divipola: String?
    var extra: [(String, String)]
    var family: GeometryFamily?
    var writer: FeatureRowWriter
    /// The layer's transformers to EPSG:9377, lent to one chunk at a time.
    var transformers: TransformerPool
  }

  /// A source layer's PROJ transformers to EPSG:9377, lent to one chunk at a time and kept for
  /// the layer's batches. Making one looks the operation up in PROJ's database (10–20 ms, the
  /// first in a process more): one is made, by `prepare()` while the load opens its
  /// transaction, and the lent ones are copies of it (0.3 ms), as many as chunks run at once.
  /// The one copied from is never used to transform.
  final class TransformerPool: @unchecked Sendable {
    /// PROJ's name for the source CRS; nil when the source is in EPSG:9377.
    let definition: String?
    private let lock = NSLock()
    private var original: Transformer?
    private var idle: [Transformer] = []

    /// Nil `definition`: the source is in EPSG:9377.
    init(definition: String?) { self.definition = definition }

    /// PROJ's name for `crs`; nil for EPSG:9377, which needs no transformer.
    static func definition(of crs: CRS) -> String? { crs.epsg == 9377 ? nil : crs.projDefinition }

    /// Makes the transformer the others copy, unless made already (a failure is met again,
    /// and thrown, by `borrow`).
    func prepare() {
      lock.withLock { _ = try? madeOriginal() }
    }

    /// A transformer for the caller alone until `giveBack`; nil for a source in EPSG:9377.
    func borrow() throws -> Transformer? {
      try lock.withLock {
        if let known = idle.popLast() { return known }
        guard let original = try madeOriginal() else { return nil }
        return try original.copy() ?? Transformer(from: original.source, to: original.target)
      }
    }

    func giveBack(_ transformer: Transformer?) {
      guard let transformer else { return }
      lock.withLock { idle.append(transformer) }
    }

    /// The transformer copied from, made on first call; nil for a source in EPSG:9377. Under
    /// `lock`.
    private func madeOriginal() throws -> Transformer? {
      guard let definition else { return nil }
      if let original { return original }
      let made = try Transformer(from: definition, to: "EPSG:9377")
      original = made
      return made
    }
  }

  /// One task's share of a batch.
  struct ChunkResult: Sendable {
    var outcomes: [Outcome]
    /// The COPY rows of the features kept, in order.
    var rows: [UInt8]
    var findings: [String: [Int64]]
    var family: GeometryFamily?
    var hasNPN: Bool
    var extent: Envelope?
    var area: Double
  }

  /// A chunk of a batch under way, and the features it was given.
  struct PendingChunk {
    var task: Task<ChunkResult, any Error>
    var features: ArraySlice<Feature>
    /// The plan item the features come from.
    var source: Int
  }

  /// Chunks a batch is cut into per core: enough for the first rows to reach PostgreSQL early.
  static let chunksPerCore = 4

  /// Processes `features` (numbered from `firstFID`) with a processor of its own (GEOS state
  /// never crosses tasks) and a transformer no other task holds meanwhile.
  static func process(
    _ features: ArraySlice<Feature>, firstFID: Int64, setup: ProcessorSetup
  ) throws -> ChunkResult {
    let transformer = try setup.transformers.borrow()
    defer { setup.transformers.giveBack(transformer) }
    let processor = try FeatureProcessor(
      fields: setup.fields, mappings: setup.mappings, transformer: transformer,
      kind: setup.kind, divipola: setup.divipola, extra: setup.extra)
    processor.family = setup.family
    var outcomes: [Outcome] = []
    outcomes.reserveCapacity(features.count)
    var rows: [UInt8] = []
    rows.reserveCapacity(features.count * 768)
    for (offset, feature) in features.enumerated() {
      outcomes.append(
        processor.process(feature, fid: firstFID + Int64(offset), writer: setup.writer, rows: &rows))
    }
    return ChunkResult(
      outcomes: outcomes, rows: rows, findings: processor.findings, family: processor.family,
      hasNPN: processor.hasNPN,
      extent: processor.extent, area: processor.area)
  }

  /// Reads every planned layer in turn (GDAL, sequentially), processes each batch on all
  /// cores, and streams the rows into COPY. Stored fids follow source order; a dropped feature
  /// leaves a gap. `hashes` and `transformers` go by plan item.
  private func copy(
    _ plan: [PlannedLayer], hashes: [String], transformers: [TransformerPool], options: IngestOptions,
    versionID: Int64, total: Int,
    started: ContinuousClock.Instant, connection: PostgresConnection,
    progress: @escaping @Sendable (IngestProgress) -> Void
  ) async throws -> Load {
    var load = Load(keep: shapesKeptForChecks)
    var nextFID: Int64 = 1
    var planIndex = 0
    var reader: LayerReader?
    var setup: ProcessorSetup?
    var findingFIDs: [String: [Int64]] = [:]
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    var readAhead: Task<[Feature], any Error>?
    var nextBatchSize = Self.firstBatchSize
    /// Chunks under way, in fid order.
    var pending: [PendingChunk] = []
    defer {
      readAhead?.cancel()
      for chunk in pending { chunk.task.cancel() }
    }
    /// Time spent waiting for GDAL and for processed chunks; the rest of the load is COPY.
    var stages = (reading: Duration.zero, processing: Duration.zero)

    /// Adds a processed chunk of `features` (of plan item `source`) to the load; returns how
    /// many rows it wrote.
    func record(_ chunk: ChunkResult, of features: ArraySlice<Feature>, source: Int) throws -> Int {
      if load.family == nil, let family = chunk.family { load.family = family }
      for (code, fids) in chunk.findings { findingFIDs[code, default: []] += fids }
      if options.kind == .cadastral && chunk.hasNPN { load.foundNPN = true }
      if let extent = chunk.extent { load.extent = load.extent.map { $0.union(extent) } ?? extent }
      load.area += chunk.area
      var written = 0
      for (feature, outcome) in zip(features, chunk.outcomes) {
        load.read += 1
        if feature.droppedZM { load.zm += 1 }
        if feature.linearized { load.linearized += 1 }
        let named = SourceFeature(source: source, fid: feature.fid)
        switch outcome {
        case .row(let fid, let code, let repaired, let outside, let shape):
          written += 1
          if let code {
            for (passed, _) in load.codes.append((code, fid)) { load.repeats.offer(passed) }
          }
          if let shape {
            load.corners.append(x: shape.envelope.minX, y: shape.envelope.minY)
            let passed = load.shapes.append(shape)
            if !passed.isEmpty {
              if load.spill == nil { load.spill = try ShapeSpill() }
              for shape in passed { try load.spill?.append(shape) }
            }
          }
          if repaired { load.repaired.append(named) }
          if outside { load.outside.append(named) }
        case .dropped(let reason, let detail):
          load.dropped.append(DroppedFeature(feature: named, reason: reason, detail: detail))
        }
      }
      load.written += written
      return written
    }

    try await LayerRepository.copyFeatures(versionID: versionID, on: connection, logger: logger) {
      while true {
        if !pending.isEmpty {
          let next = pending.removeFirst()
          let waited = ContinuousClock.now
          let chunk = try await next.task.value
          stages.processing += ContinuousClock.now - waited
          let written = try record(chunk, of: next.features, source: next.source)
          if setup != nil { setup!.family = load.family }
          progress(
            IngestProgress(
              featuresDone: load.read, featuresTotal: total, seconds: (ContinuousClock.now - started).seconds)
          )
          if written > 0 {
            var rows = ByteBuffer()
            rows.writeBytes(chunk.rows)
            return rows
          }
          continue
        }
        if reader == nil {
          guard planIndex < plan.count else { return nil }
          let item = plan[planIndex]
          nextBatchSize = Self.firstBatchSize
          do {
            reader = try LayerReader(source: item.opened.source, layer: item.layerIndex)
          } catch let error as GeoError {
            throw IngestError.source(path: item.path, error)
          }
          setup = ProcessorSetup(
            fields: item.info.fields, mappings: options.mappings, kind: options.kind,
            divipola: options.divipola, extra: plan.count > 1 ? [("_source", item.info.name)] : [],
            family: load.family, writer: FeatureRowWriter(versionID: versionID),
            transformers: transformers[planIndex])
          load.sources.append(
            SourceReport(
              path: item.path, dataset: item.dataset, layer: item.info.name, driver: item.driver,
              sha256: hashes[planIndex], encoding: item.info.encoding, crs: item.crs,
              crsOverridden: item.crsOverridden, featuresRead: 0))
        }
        let batch: [Feature]
        let waited = ContinuousClock.now
        do {
          // GDAL reads block too: on the thread pool, one call at a time. The next batch is
          // read while this one is processed (the box is touched by one task at a time: the
          // read-ahead is awaited before another starts).
          let box = ReaderBox(reader!)
          let size = nextBatchSize
          let pending =
            readAhead
            ?? Task {
              try await NIOThreadPool.singleton.runIfActive { try box.reader.next(max: size) }
            }
          readAhead = nil
          batch = try await pending.value
          nextBatchSize = min(Self.batchSize, size * 2)
          if batch.count == size {
            let ahead = nextBatchSize
            readAhead = Task {
              try await NIOThreadPool.singleton.runIfActive { try box.reader.next(max: ahead) }
            }
          }
        } catch let error as GeoError {
          throw IngestError.source(path: plan[planIndex].path, error)
        }
        stages.reading += ContinuousClock.now - waited
        if batch.isEmpty {
          load.sources[load.sources.count - 1].featuresRead = reader!.featuresRead
          load.sources[load.sources.count - 1].encoding = reader!.encoding
          reader = nil
          planIndex += 1
          continue
        }
        // The batch is cut into more chunks than cores, processed on NIO's thread pool (GEOS
        // and PROJ block; never on the cooperative pool an HTTP server shares) and handed to
        // COPY in order, each as soon as it and those before it are done: PostgreSQL parses
        // the first rows while the client still works on the rest (a dozen wetlands of 2 MB
        // were processed whole, then parsed whole).
        let chunkSetup = setup!
        let firstFID = nextFID
        nextFID += Int64(batch.count)
        let size = max(1, (batch.count + workers * Self.chunksPerCore - 1) / (workers * Self.chunksPerCore))
        for start in stride(from: 0, to: batch.count, by: size) {
          let slice = batch[start..<min(start + size, batch.count)]
          let task = Task {
            try await NIOThreadPool.singleton.runIfActive {
              try Self.process(slice, firstFID: firstFID + Int64(start), setup: chunkSetup)
            }
          }
          pending.append(PendingChunk(task: task, features: slice, source: planIndex))
        }
      }
    }
    load.findings = findingFIDs.sorted { $0.key < $1.key }.map { code, fids in
      let sorted = fids.sorted()
      return Finding(
        code: code, count: sorted.count, examples: sorted.prefix(50).map(String.init), detail: nil)
    }
    logger.debug(
      "ingest stages",
      metadata: [
        "waiting_for_gdal_s": "\(stages.reading.seconds)", "processing_s": "\(stages.processing.seconds)",
        "total_s": "\((ContinuousClock.now - started).seconds)",
      ])
    return load
  }

  /// Features read from GDAL per call, and processed together on every core, once a layer is
  /// under way.
  static let batchSize = 4_000
  /// A layer's first batch; each next one twice the last, up to `batchSize`. Reading overlaps
  /// processing only from the second batch on: 1,122 municipalities in one batch were read,
  /// then processed. (Processing and PostgreSQL's parsing overlap within a batch, by chunks.)
  static let firstBatchSize = 250

  /// Checks over the whole loaded table.
  private func tableChecks(
    _ options: IngestOptions, versionID: Int64, processorFoundNPN: Bool,
    overlapCheck: Task<[QualityChecks.Overlap], any Error>?,
    duplicateCheck: Task<[(code: String, fids: [Int64])], Never>?,
    repeats: RepeatCandidates, connection: PostgresConnection
  ) async throws -> [Finding] {
    var findings: [Finding] = []
    /// Codes that must be unique and are not: from the codes kept during the load, else from
    /// the stored version.
    func duplicates(_ column: QualityChecks.CodeColumn, finding: String) async throws {
      let found =
        if let duplicateCheck {
          await duplicateCheck.value
        } else {
          try await QualityChecks.duplicates(
            of: column, among: Array(repeats.candidates), versionID: versionID, on: connection, logger: logger
          )
        }
      guard !found.isEmpty else { return }
      findings.append(
        Finding(
          code: finding, count: found.count,
          examples: found.prefix(50).map { "\($0.code): \($0.fids.map(String.init).joined(separator: "/"))" },
          detail: nil))
    }
    switch options.kind {
    case .cadastral:
      if !processorFoundNPN {
        findings.append(Finding(code: "npn_not_mapped", count: 0, examples: [], detail: nil))
      }
      try await duplicates(.npn, finding: "npn_duplicate")
      let overlaps = try await overlapCheck?.value ?? []
      if !overlaps.isEmpty {
        let area = overlaps.reduce(0) { $0 + $1.area }
        findings.append(
          Finding(
            code: "parcel_overlap", count: overlaps.count,
            examples: overlaps.prefix(50).map {
              "\($0.fidA)×\($0.fidB) \(String(format: "%.1f", $0.area)) m²"
            },
            detail: String(format: "%.1f m², > %.2f m²", area, options.overlapTolerance)))
      }
      if options.checkGaps {
        let gaps = try await QualityChecks.gaps(
          versionID: versionID, minimumArea: options.overlapTolerance, on: connection, logger: logger)
        if !gaps.isEmpty {
          findings.append(
            Finding(
              code: "parcel_gap", count: gaps.count,
              examples: gaps.prefix(50).map { String(format: "%.1f m² @ %.1f %.1f", $0.area, $0.x, $0.y) },
              detail: String(format: "%.1f m²", gaps.reduce(0) { $0 + $1.area })))
        }
      }
    case .boundary:
      try await duplicates(.divipola, finding: "divipola_duplicate")
    default:
      break
    }
    return findings
  }

  /// R3001: pairs of written features whose interiors overlap by more than `minimumArea` m²,
  /// largest first. Checked in GEOS and plain Swift on the thread pool (runs of spatially close
  /// features, one context per run), on the geometries exactly as written.
  private func parcelOverlaps(
    _ shapes: [Shape], minimumArea: Double, owner: Envelope? = nil,
    last: (column: Bool, row: Bool) = (true, true)
  ) async throws -> [QualityChecks.Overlap] {
    let started = ContinuousClock.now
    let index = try await NIOThreadPool.singleton.runIfActive {
      try SelfOverlaps.Index(envelopes: shapes.map(\.envelope)) { shapes[$0].geometry }
    }
    let runs = index.spatialRuns(size: 2_000)
    let pairs = try await withThrowingTaskGroup(of: [SelfOverlaps.Pair].self) { group in
      for run in runs {
        group.addTask {
          try await NIOThreadPool.singleton.runIfActive {
            try SelfOverlaps.find(
              members: run, index: index, minimumArea: minimumArea,
              accept: { i, j in
                // A tile checks the pairs whose boxes' common corner (lower left) it holds.
                guard let owner else { return true }
                let (a, b) = (shapes[i].envelope, shapes[j].envelope)
                let x = max(a.minX, b.minX)
                let y = max(a.minY, b.minY)
                return x >= owner.minX && (x < owner.maxX || (last.column && x <= owner.maxX))
                  && y >= owner.minY && (y < owner.maxY || (last.row && y <= owner.maxY))
              }
            ) { shapes[$0].geometry }
          }
        }
      }
      var all: [SelfOverlaps.Pair] = []
      for try await found in group { all += found }
      return all
    }
    logger.debug(
      "R3001 overlap check",
      metadata: [
        "features": "\(shapes.count)", "pairs": "\(pairs.count)",
        "seconds": "\((ContinuousClock.now - started).seconds)",
      ])
    return pairs.map {
      let (a, b) = (shapes[$0.first].fid, shapes[$0.second].fid)
      return QualityChecks.Overlap(fidA: min(a, b), fidB: max(a, b), area: $0.area)
    }.sorted { ($1.area, $0.fidA, $0.fidB) < ($0.area, $1.fidA, $1.fidB) }
  }

  /// R3001 over a load too large to keep in memory, tile by tile from the local file its
  /// shapes went to. Tiles hold about a fifth of the kept limit (20,000) shapes each, whatever
  /// their spread (`TileLayout`). A pair is checked by the tile holding the lower-left corner
  /// of the two boxes' intersection (a point of both boxes, so both are in that tile's file):
  /// exactly once.
  private func spilledParcelOverlaps(
    _ file: URL, in directory: URL, layout: TileLayout, minimumArea: Double
  ) async throws -> [QualityChecks.Overlap] {
    let files = try await NIOThreadPool.singleton.runIfActive {
      try ShapeSpill.split(file, layout: layout, into: directory)
    }
    try? FileManager.default.removeItem(at: file)
    func read(_ index: Int) -> Task<[Shape], any Error> {
      Task {
        try await NIOThreadPool.singleton.runIfActive {
          defer { try? FileManager.default.removeItem(at: files[index]) }
          return try ShapeSpill.shapes(in: files[index])
        }
      }
    }
    // The next tile is read while this one is checked.
    var next = layout.tiles.isEmpty ? nil : read(0)
    defer { next?.cancel() }
    var found: [QualityChecks.Overlap] = []
    for (index, (tile, last)) in layout.tiles.enumerated() {
      try Task.checkCancellation()
      guard let reading = next else { break }
      let shapes = try await reading.value
      next = index + 1 < layout.tiles.count ? read(index + 1) : nil
      found += try await parcelOverlaps(shapes, minimumArea: minimumArea, owner: tile, last: last)
    }
    return found.sorted { ($1.area, $0.fidA, $0.fidB) < ($0.area, $1.fidA, $1.fidB) }
  }

  private func validate(_ options: IngestOptions) throws {
    let slug = options.layer
    let allowed = slug.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
    }
    guard allowed, (1...63).contains(slug.count), slug.first != "-", slug.first != "_" else {
      throw IngestError.badOption(
        "--layer «\(slug)»: a–z, 0–9, - _ (1–63, sin mayúsculas ni espacios / no capitals or spaces)")
    }
    if let divipola = options.divipola, Divipola(divipola) == nil {
      throw IngestError.badOption("--divipola \(divipola): 5 dígitos / 5 digits (DANE)")
    }
    switch options.kind {
    case .determinant:
      guard let code = options.type else { throw IngestError.typeRequired(kind: "determinant") }
      switch catalog.entry(code) {
      case .type, .subtype: break
      default:
        throw IngestError.unknownType(
          code: code, kind: "determinantes",
          known: catalog.types.flatMap { [$0.code] + ($0.subtypes ?? []).map(\.code) })
      }
    case .condicionante:
      guard let code = options.type else { throw IngestError.typeRequired(kind: "condicionante") }
      guard case .condicionante = catalog.entry(code) else {
        throw IngestError.unknownType(
          code: code, kind: "condicionantes", known: catalog.condicionantes.map(\.code))
      }
    case .pot:
      // Zoning needs its class and uses to be compared with the determinants.
      // A field is there when mapped (`--map clase=CLASE_SUELO`) or already named so.
      let targets = Set(options.mappings.map(\.target))
      var missing = ["clase", "categoria", "unidad", "usos"].filter { !targets.contains($0) }
      if !missing.isEmpty {
        let columns = (try? SourcePlan.make(options).first?.info.fields.map(\.name)) ?? []
        let present = Set(columns.map { $0.lowercased() })
        missing.removeAll { present.contains($0) }
        if !missing.isEmpty {
          throw IngestError.missingMapping(profile: "pot", fields: missing, columns: columns)
        }
      }
    case .boundary:
      if options.divipola == nil && !options.mappings.contains(where: { $0.target == "divipola" }) {
        let columns = (try? SourcePlan.make(options).first?.info.fields.map(\.name)) ?? []
        throw IngestError.missingMapping(profile: "boundary", fields: ["divipola"], columns: columns)
      }
    case .cadastral:
      break
    }
  }

  static func emptyReport(_ options: IngestOptions) -> IngestReport {
    IngestReport(
      layer: options.layer, kind: options.kind.rawValue, version: nil, status: "staging",
      unchangedFromVersion: nil, sources: [], geometryFamily: nil, featuresRead: 0, featuresWritten: 0,
      featuresRepaired: 0, featuresDropped: 0, repaired: [], dropped: [], zOrMDropped: 0,
      curvesLinearized: 0, extent: nil, totalArea: nil, findings: [], secondsReading: 0,
      secondsChecking: 0, secondsTotal: 0)
  }

  /// The codes held by more than one row, in code order, each with its fids in order (what
  /// `QualityChecks.duplicates` finds in the stored version).
  static func duplicates(_ codes: [(code: String, fid: Int64)]) -> [(code: String, fids: [Int64])] {
    // One dictionary entry per code, holding where it first came; an array only for the codes
    // that repeat (an array per code was most of the check's time).
    var first: [String: Int] = [:]
    first.reserveCapacity(codes.count)
    var repeated: [Int: [Int64]] = [:]
    for (index, (code, fid)) in codes.enumerated() {
      guard let earlier = first.updateValue(index, forKey: code) else { continue }
      first[code] = earlier
      repeated[earlier, default: [codes[earlier].fid]].append(fid)
    }
    return repeated.map { (code: codes[$0.key].code, fids: $0.value.sorted()) }.sorted { $0.code < $1.code }
  }

  static func combine(_ hashes: [String]) -> String {
    SourcePlan.sha256(text: hashes.joined(separator: "\n"))
  }
}

extension Duration {
  var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }
}

/// Lets a GDAL reader cross into a thread-pool call. Safe because its one user awaits each
/// call before the next: the reader is never used from two threads at once.
private final class ReaderBox: @unchecked Sendable {
  let reader: LayerReader
  init(_ reader: LayerReader) { self.reader = reader }
}
