import Catalog
import Crypto
import Foundation
import Geo
import Store

/// One source layer to read: where it is, what it holds, the CRS to read it in.
struct PlannedLayer: Sendable {
  var path: String
  var dataset: String
  var layerIndex: Int
  var info: LayerInfo
  var driver: String
  var crs: CRS
  var crsOverridden: Bool
  /// The dataset as the plan opened it, read again by the load: GDAL parses a GeoJSON or
  /// TopoJSON whole when it opens it (0.3 s for Cambridge's 13,116 parcels), which the load
  /// paid a second time.
  var opened: OpenedSource
}

/// Lets an open GDAL dataset cross from the plan, made on the thread pool, to the load. Safe
/// because one task uses it at a time: the plan, then the load's reads, one call after another.
final class OpenedSource: @unchecked Sendable {
  let source: VectorSource
  init(_ source: VectorSource) { self.source = source }
}

/// Resolves the paths a technician gave into source layers, refusing what cannot be loaded
/// before anything touches the database.
enum SourcePlan {
  static func make(_ options: IngestOptions) throws -> [PlannedLayer] {
    guard !options.paths.isEmpty else { throw IngestError.noSources }
    var override: CRS?
    if let text = options.crs, let definition = options.crsDefinition {
      do {
        override = try CRSIdentifier.identify(definition)
        override?.method = .userSupplied
      } catch let error as GeoError {
        throw IngestError.badOption("--crs \(text): \(error.message)")
      }
    }
    var planned: [PlannedLayer] = []
    for path in options.paths {
      try checkExists(path)
      try checkArchive(path, limit: options.maxUncompressedBytes)
      let datasets: [String]
      do {
        datasets = try VectorSource.datasets(at: path)
      } catch let error as GeoError {
        throw IngestError.source(path: path, error)
      }
      var found: [PlannedLayer] = []
      var available: [String] = []
      var sources: [VectorSource] = []
      // One layer asked for by name ("*" asks for all).
      let named = options.sourceLayer.flatMap { $0 == "*" ? nil : $0 }
      for dataset in datasets {
        let source: VectorSource
        do {
          source = try VectorSource(path: dataset, encoding: options.encoding)
        } catch let error as GeoError {
          throw IngestError.source(path: path, error)
        }
        sources.append(source)
        let opened = OpenedSource(source)
        for index in 0..<source.layerCount {
          let info: LayerInfo
          do {
            // A named layer is found by its name alone: describing every layer of a
            // GeoPackage (exact counts, extents, CRS recognition) took most of a small load's
            // time, and even asking each one's geometry type reads its table's definition
            // (lc_terreno is the 27th of 90 tables). The others are listed only when the name
            // is not found.
            if let named {
              guard try source.name(ofLayer: index) == named, try source.layerName(index).hasGeometry
              else { continue }
            }
            // Without the extent, which only the refusal of a source without a CRS needs:
            // GDAL's GeoJSON driver parses the whole file once more to give it.
            info = try source.layerInfo(index, extent: false)
          } catch let error as GeoError {
            throw IngestError.source(path: path, error)
          }
          guard info.hasGeometry else { continue }
          if named == nil { available.append(info.name) }
          guard (info.featureCount ?? 0) > 0 else {
            if options.sourceLayer != nil { throw IngestError.emptyLayer(path: path, layer: info.name) }
            continue
          }
          let crs: CRS
          if let override {
            crs = override
          } else if let declared = info.crs {
            guard declared.epsg != nil else {
              throw IngestError.unknownCRS(path: path, layer: info.name, name: declared.name)
            }
            crs = declared
          } else {
            let extent: Envelope?
            do {
              extent = try source.extent(index)
            } catch let error as GeoError {
              throw IngestError.source(path: path, error)
            }
            let candidates = extent.map(CRSIdentifier.candidates(forExtent:)) ?? []
            throw IngestError.noCRS(path: path, layer: info.name, candidates: candidates)
          }
          found.append(
            PlannedLayer(
              path: path, dataset: dataset, layerIndex: index, info: info, driver: source.driverName,
              crs: crs, crsOverridden: override != nil && info.crs?.epsg != override?.epsg,
              opened: opened))
        }
      }
      if let named, found.isEmpty {
        for source in sources {
          for index in 0..<source.layerCount {
            if let (name, hasGeometry) = try? source.layerName(index), hasGeometry { available.append(name) }
          }
        }
        throw IngestError.sourceLayerNotFound(path: path, layer: named, available: available)
      }
      if options.sourceLayer == nil, found.count > 1, Set(found.map(\.dataset)).count == 1 {
        throw IngestError.badOption(
          "\(path): \(found.count) capas / layers — --source-layer NAME (o/or '*'): "
            + found.map(\.info.name).joined(separator: ", "))
      }
      if found.isEmpty {
        throw IngestError.emptyLayer(path: path, layer: available.first ?? "-")
      }
      planned += found
    }
    return planned
  }

  /// Refuses archive members that climb out of the archive and archives that expand past the
  /// limit (zip bombs), from the archive's own directory, before reading any member.
  static func checkArchive(_ path: String, limit: Int64) throws {
    guard path.lowercased().hasSuffix(".zip") else { return }
    // Without a readable directory GDAL's own error (damaged or truncated) follows.
    guard let entries = ArchiveDirectory.entries(of: path) else { return }
    // GDAL decodes legacy member names with CPL_ZIP_ENCODING (CP437 by default).
    GDAL.setConfigOption("CPL_ZIP_ENCODING", ArchiveDirectory.legacyNameEncoding(entries))
    for entry in entries {
      let parts = entry.name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
      if entry.name.hasPrefix("/") || entry.name.hasPrefix("\\") || parts.contains("..") {
        throw IngestError.unsafeArchiveMember(path: path, member: entry.name)
      }
    }
    let total = entries.reduce(Int64(0)) { $0 + $1.uncompressedSize }
    if total > limit { throw IngestError.archiveTooLarge(path: path, bytes: total, limit: limit) }
  }

  /// Refuses a path that names nothing; whether it names a folder.
  @discardableResult
  static func checkExists(_ path: String) throws -> Bool {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError.source(
        path: path, .gdal(function: "stat", message: "no such file or folder: \(path)"))
    }
    return isDirectory.boolValue
  }

  /// SHA-256 of a file, or of a shapefile with its sibling files, or of every file in a
  /// folder (sorted by name): the identity of what was loaded.
  static func sha256(of path: String) throws -> String {
    let manager = FileManager.default
    var files: [String] = []
    if try checkExists(path) {
      let enumerator = manager.enumerator(atPath: path)
      while let name = enumerator?.nextObject() as? String {
        var childIsDirectory: ObjCBool = false
        let full = path + "/" + name
        if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
          files.append(full)
        }
      }
      files.sort()
    } else if path.lowercased().hasSuffix(".shp") {
      let stem = String(path.dropLast(4))
      files =
        [path]
        + ["shx", "dbf", "prj", "cpg", "SHX", "DBF", "PRJ", "CPG"].map { stem + "." + $0 }
        .filter { manager.fileExists(atPath: $0) }
    } else {
      files = [path]
    }
    var hasher = SHA256()
    for file in files {
      guard manager.isReadableFile(atPath: file) else { continue }
      // Mapped, not read: reading each megabyte into memory allocated for it cost more CPU than
      // hashing it (2 MB: 5.6 ms of CPU beside the plan with the reads, 2.5 mapped).
      hasher.update(data: try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped))
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }
}

extension SourcePlan {
  static func sha256(text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
  }
}
