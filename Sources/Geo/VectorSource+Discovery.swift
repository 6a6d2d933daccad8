import CGDAL

extension VectorSource {
  /// Extensions of files GDAL opens as vector datasets in their own right.
  static let datasetExtensions: Set<String> = ["shp", "gpkg", "geojson", "json", "kml", "topojson"]

  /// The GDAL paths of the vector datasets at `path`: the file itself, the shapefiles,
  /// GeoPackages, GeoJSON, KML and FileGDBs inside a folder or a `.zip` (read in place through
  /// `/vsizip/`, at any depth). Side files (`.sbn`, `.sbx`, `.shp.xml`, `.qpj`) are ignored.
  ///
  /// Throws a ``GeoError/gdal(function:message:)`` that says what is wrong with a missing file, a
  /// damaged or truncated archive, or an archive without a readable dataset.
  public static func datasets(at path: String) throws -> [String] {
    GDAL.register()
    let lower = path.lowercased()
    if lower.hasPrefix("/vsi") { return [path] }
    var directoryFlag: Int32 = 0
    var size: Int64 = 0
    guard nodo_vsi_stat(path, &directoryFlag, &size) == 0 else {
      throw GeoError.gdal(function: "VSIStatL", message: "no such file or folder: \(path)")
    }
    let isDirectory = directoryFlag != 0
    if isDirectory && lower.hasSuffix(".gdb") { return [path] }
    if isDirectory { return try members(of: path, display: path, prefix: path) }
    if lower.hasSuffix(".zip") {
      let absolute = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
      let archive = "/vsizip/" + absolute
      return try members(of: archive, display: path, prefix: archive)
    }
    return [path]
  }

  /// Lists `directory` recursively (`VSIReadDirRecursive`, NULL when it cannot be read; freed
  /// with `CSLDestroy`) and keeps the dataset files.
  private static func members(
    of directory: String, display: String, prefix: String
  ) throws
    -> [String]
  {
    nodo_cpl_error_reset()
    guard let list = VSIReadDirRecursive(directory) else {
      let detail = GDAL.lastErrorMessage()
      throw GeoError.gdal(
        function: "VSIReadDirRecursive",
        message: "\(display): the archive is damaged or truncated; its table of contents could not be read"
          + (detail.isEmpty ? "" : " (\(detail))"))
    }
    defer { CSLDestroy(list) }
    var entries: [String] = []
    var index = 0
    while let entry = list[index] {
      entries.append(
        String(decoding: UnsafeRawBufferPointer(start: entry, count: strlen(entry)), as: UTF8.self))
      index += 1
    }
    var found: [String] = []
    var geodatabases = Set<String>()
    var sawDBF = false
    for entry in entries.sorted() {
      if entry.hasPrefix("__MACOSX") { continue }
      let components = entry.split(separator: "/")
      if let gdb = components.firstIndex(where: { $0.lowercased().hasSuffix(".gdb") }) {
        geodatabases.insert(components[...gdb].joined(separator: "/"))
        continue
      }
      let name = entry.lowercased()
      if name.hasSuffix(".dbf") { sawDBF = true }
      guard let dot = name.lastIndex(of: ".") else { continue }
      let ext = String(name[name.index(after: dot)...])
      if datasetExtensions.contains(ext) { found.append(prefix + "/" + entry) }
    }
    found += geodatabases.sorted().map { prefix + "/" + $0 }
    if found.isEmpty {
      let message =
        sawDBF
        ? "\(display) holds a .dbf table but no .shp: a shapefile needs its .shp, .shx and .dbf together"
        : "\(display) holds no vector file GDAL can read (.shp, .gpkg, .geojson, .kml, .gdb)"
      throw GeoError.gdal(function: "VSIReadDirRecursive", message: message)
    }
    return found
  }

  private static func currentDirectory() -> String {
    guard let buffer = getcwd(nil, 0) else { return "." }
    defer { free(buffer) }
    return String(cString: buffer)
  }
}
