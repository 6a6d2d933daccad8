import Foundation
import Geo

/// Writes a generated municipality the way technicians receive data: one GeoPackage with a
/// layer per theme, and each theme again as a zipped shapefile — most in EPSG:9377 UTF-8, but
/// `pot_clases` with a Latin-1 DBF and its `.cpg`, `pot_zonificacion` with a Latin-1 DBF and no
/// `.cpg` (nor language-driver byte), the reserve and its sustracciones in EPSG:3116 and the
/// páramo and the resguardo in EPSG:4686.
public enum FixtureWriter {
  /// Theme → (EPSG, DBF encoding, keep .cpg).
  static let shapefileVariants: [String: (epsg: Int, encoding: String, keepCPG: Bool)] = [
    "pot_clases": (9377, "ISO-8859-1", true),
    "pot_zonificacion": (9377, "ISO-8859-1", false),
    "reserva_forestal": (3116, "UTF-8", true),
    "reserva_sustracciones": (3116, "UTF-8", true),
    "paramo": (4686, "UTF-8", true),
    "resguardo": (4686, "UTF-8", true),
  ]

  public static func write(_ output: MunicipalityGenerator.Output, to directory: URL) throws {
    let manager = FileManager.default
    try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    // Fixed timestamps inside the GeoPackage, so the same seed gives the same bytes.
    GDAL.setConfigOption("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z")
    defer { GDAL.setConfigOption("OGR_CURRENT_DATE", nil) }

    let gpkg = directory.appendingPathComponent("municipio.gpkg")
    try? manager.removeItem(at: gpkg)
    let writer = try VectorWriter(path: gpkg.path, driver: "GPKG")
    writer.begin()
    for theme in output.themes {
      try writer.createLayer(
        theme.name, epsg: 9377, type: theme.type, fields: theme.fields, options: ["SPATIAL_INDEX=YES"])
      for feature in theme.features {
        try writer.write(theme.name, values: feature.values, geometry: feature.geometry)
      }
    }
    try writer.close()

    let scratch = directory.appendingPathComponent(".shp-\(UUID().uuidString.prefix(8))")
    try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? manager.removeItem(at: scratch) }
    for theme in output.themes {
      let variant = shapefileVariants[theme.name] ?? (9377, "UTF-8", true)
      let folder = scratch.appendingPathComponent(theme.name)
      try manager.createDirectory(at: folder, withIntermediateDirectories: true)
      let shp = folder.appendingPathComponent(theme.name + ".shp")
      let shapefile = try VectorWriter(path: shp.path, driver: "ESRI Shapefile")
      try shapefile.createLayer(
        theme.name, epsg: variant.epsg, type: theme.type, fields: theme.fields,
        options: ["ENCODING=\(variant.encoding)"])
      let context = try GeometryContext()
      let transformer = variant.epsg == 9377 ? nil : try Transformer(fromEPSG: 9377, toEPSG: variant.epsg)
      for feature in theme.features {
        var geometry = feature.geometry
        if let transformer { geometry = try transformer.transform(context.read(geometry)).geometry() }
        try shapefile.write(theme.name, values: feature.values, geometry: geometry)
      }
      try shapefile.close()
      let stem = folder.appendingPathComponent(theme.name).path
      if !variant.keepCPG {
        try? manager.removeItem(atPath: stem + ".cpg")
        try clearLanguageDriver(dbf: stem + ".dbf")
      }
      let members = ["shp", "shx", "dbf", "prj", "cpg"].map { stem + "." + $0 }.filter {
        manager.fileExists(atPath: $0)
      }
      let zip = directory.appendingPathComponent(theme.name + ".zip")
      try? manager.removeItem(at: zip)
      try VectorWriter.zip(
        members.map { ($0, theme.name + "/" + ($0 as NSString).lastPathComponent) }, to: zip.path)
    }
  }

  /// Sets the DBF header's language-driver byte (offset 29) to 0: "no code page declared",
  /// as many real files have.
  static func clearLanguageDriver(dbf path: String) throws {
    guard let handle = FileHandle(forUpdatingAtPath: path) else { return }
    defer { try? handle.close() }
    try handle.seek(toOffset: 29)
    try handle.write(contentsOf: Data([0]))
  }
}
