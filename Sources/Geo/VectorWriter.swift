import CGDAL

/// Writes features to a new GDAL vector dataset (GeoPackage, shapefile, ...).
///
/// Owns a `GDALDatasetH` created with `GDALCreate` and closed with `GDALClose` by ``close()``
/// (or at deinit). Not `Sendable`.
public final class VectorWriter {
  private var dataset: UnsafeMutableRawPointer?
  private var layers: [String: (handle: UnsafeMutableRawPointer, fields: [FieldInfo])] = [:]
  private var inTransaction = false

  /// `GDALGetDriverByName` (NULL when unknown) and `GDALCreate` (NULL on failure).
  public init(path: String, driver: String, options: [String] = []) throws {
    GDAL.register()
    guard let handle = GDALGetDriverByName(driver) else {
      throw GeoError.gdal(function: "GDALGetDriverByName", message: "no GDAL driver \(driver)")
    }
    nodo_cpl_error_reset()
    let dataset = GDAL.withOptions(options) { GDALCreate(handle, path, 0, 0, 0, GDT_Unknown, $0) }
    guard let dataset else {
      throw GeoError.gdal(function: "GDALCreate", message: GDAL.lastErrorMessage())
    }
    self.dataset = dataset
  }

  deinit { if let dataset { GDALClose(dataset) } }

  /// Creates a layer (`GDALDatasetCreateLayer`, NULL on failure) with its fields
  /// (`OGR_L_CreateField`, OGRERR_NONE on success).
  public func createLayer(
    _ name: String, epsg: Int, type: GeometryType, fields: [FieldInfo], options: [String] = []
  ) throws {
    guard let dataset else { throw GeoError.gdal(function: "GDALDatasetCreateLayer", message: "closed") }
    let srs = try SpatialReference(epsg: epsg)
    let ogrType: OGRwkbGeometryType
    switch type {
    case .point: ogrType = wkbPoint
    case .multiPoint: ogrType = wkbMultiPoint
    case .lineString, .linearRing: ogrType = wkbLineString
    case .multiLineString: ogrType = wkbMultiLineString
    case .polygon: ogrType = wkbPolygon
    case .multiPolygon: ogrType = wkbMultiPolygon
    case .geometryCollection: ogrType = wkbGeometryCollection
    }
    nodo_cpl_error_reset()
    let layer = GDAL.withOptions(options) { GDALDatasetCreateLayer(dataset, name, srs.handle, ogrType, $0) }
    guard let layer else {
      throw GeoError.gdal(function: "GDALDatasetCreateLayer", message: GDAL.lastErrorMessage())
    }
    for field in fields {
      let ogrField: OGRFieldType
      switch field.type {
      case .integer: ogrField = OFTInteger
      case .integer64: ogrField = OFTInteger64
      case .real: ogrField = OFTReal
      case .date: ogrField = OFTDate
      default: ogrField = OFTString
      }
      guard let definition = OGR_Fld_Create(field.name, ogrField) else {
        throw GeoError.gdal(function: "OGR_Fld_Create", message: GDAL.lastErrorMessage())
      }
      defer { OGR_Fld_Destroy(definition) }
      if field.type == .string { OGR_Fld_SetWidth(definition, 254) }
      guard OGR_L_CreateField(layer, definition, 1) == 0 else {
        throw GeoError.gdal(function: "OGR_L_CreateField", message: GDAL.lastErrorMessage())
      }
    }
    layers[name] = (layer, fields)
  }

  /// Starts a transaction (`GDALDatasetStartTransaction`); GeoPackages write far faster so.
  public func begin() {
    guard let dataset, !inTransaction else { return }
    inTransaction = GDALDatasetStartTransaction(dataset, 0) == 0
  }

  /// Writes one feature (`OGR_F_Create`, `OGR_G_CreateFromWkb` and `OGR_L_CreateFeature`, each
  /// OGRERR_NONE / non-NULL on success; the feature is freed with `OGR_F_Destroy`).
  public func write(_ layerName: String, values: [FieldValue], geometry: Geometry) throws {
    guard let (layer, fields) = layers[layerName] else {
      throw GeoError.gdal(function: "OGR_L_CreateFeature", message: "no layer \(layerName)")
    }
    guard let feature = OGR_F_Create(OGR_L_GetLayerDefn(layer)) else {
      throw GeoError.gdal(function: "OGR_F_Create", message: GDAL.lastErrorMessage())
    }
    defer { OGR_F_Destroy(feature) }
    for (index, value) in values.enumerated() where index < fields.count {
      switch value {
      case .null: OGR_F_SetFieldNull(feature, Int32(index))
      case .integer(let number): OGR_F_SetFieldInteger64(feature, Int32(index), number)
      case .real(let number): OGR_F_SetFieldDouble(feature, Int32(index), number)
      case .string(let text): OGR_F_SetFieldString(feature, Int32(index), text)
      }
    }
    var ogrGeometry: OGRGeometryH?
    let status = geometry.wkb.withUnsafeBytes {
      OGR_G_CreateFromWkb($0.baseAddress, nil, &ogrGeometry, Int32($0.count))
    }
    guard status == 0, let ogrGeometry else {
      throw GeoError.gdal(function: "OGR_G_CreateFromWkb", message: GDAL.lastErrorMessage())
    }
    // OGR_F_SetGeometryDirectly takes ownership of the geometry.
    guard OGR_F_SetGeometryDirectly(feature, ogrGeometry) == 0 else {
      throw GeoError.gdal(function: "OGR_F_SetGeometryDirectly", message: GDAL.lastErrorMessage())
    }
    guard OGR_L_CreateFeature(layer, feature) == 0 else {
      throw GeoError.gdal(function: "OGR_L_CreateFeature", message: GDAL.lastErrorMessage())
    }
  }

  /// Commits (`GDALDatasetCommitTransaction`) and closes (`GDALClose`, which flushes).
  public func close() throws {
    guard let dataset else { return }
    if inTransaction {
      guard GDALDatasetCommitTransaction(dataset) == 0 else {
        throw GeoError.gdal(function: "GDALDatasetCommitTransaction", message: GDAL.lastErrorMessage())
      }
      inTransaction = false
    }
    GDALClose(dataset)
    self.dataset = nil
  }

  /// Packs `files` into a new zip at `path` under their base names (`CPLCreateZip`,
  /// `CPLCreateFileInZip`, `CPLWriteFileInZip`, `CPLCloseFileInZip`, `CPLCloseZip`; CE_None = 0
  /// on success).
  public static func zip(_ files: [(path: String, name: String)], to path: String) throws {
    GDAL.register()
    guard let zip = CPLCreateZip(path, nil) else {
      throw GeoError.gdal(function: "CPLCreateZip", message: GDAL.lastErrorMessage())
    }
    var failure: GeoError?
    for file in files {
      guard let handle = VSIFOpenL(file.path, "rb") else {
        failure = .gdal(function: "VSIFOpenL", message: "cannot read \(file.path)")
        break
      }
      defer { _ = VSIFCloseL(handle) }
      guard CPLCreateFileInZip(zip, file.name, nil) == CE_None else {
        failure = .gdal(function: "CPLCreateFileInZip", message: GDAL.lastErrorMessage())
        break
      }
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = buffer.withUnsafeMutableBytes { VSIFReadL($0.baseAddress, 1, $0.count, handle) }
        if count == 0 { break }
        let status = buffer.withUnsafeBytes { CPLWriteFileInZip(zip, $0.baseAddress, Int32(count)) }
        if status != CE_None {
          failure = .gdal(function: "CPLWriteFileInZip", message: GDAL.lastErrorMessage())
          break
        }
      }
      _ = CPLCloseFileInZip(zip)
      if failure != nil { break }
    }
    guard CPLCloseZip(zip) == CE_None, failure == nil else {
      throw failure ?? .gdal(function: "CPLCloseZip", message: GDAL.lastErrorMessage())
    }
  }
}
