import CGDAL

/// How a layer's text was decoded, and why.
public struct EncodingInfo: Sendable, Codable, Equatable {
  /// "UTF-8", "ISO-8859-1", "CP1252", ...
  public var name: String
  /// `cpg` (.cpg file), `ldid` (DBF language driver byte), `format` (the format is always
  /// Unicode), `detected` (no declaration: valid UTF-8 stays UTF-8, else Windows-1252),
  /// `user` (given with `--encoding`).
  public var source: String

  public init(name: String, source: String) {
    self.name = name
    self.source = source
  }
}

/// What a technician wants to know about a layer before loading it.
public struct LayerInfo: Sendable, Codable {
  public var index: Int
  public var name: String
  public var featureCount: Int?
  /// OGR's geometry type name ("Polygon", "3D Multi Polygon", ...).
  public var geometryType: String
  public var family: GeometryFamily?
  /// False for attribute-only tables (`wkbNone`); true also when the type is unknown or mixed.
  public var hasGeometry: Bool
  public var crs: CRS?
  /// In the layer's own CRS.
  public var extent: Envelope?
  public var fields: [FieldInfo]
  public var encoding: EncodingInfo
}

/// A GDAL vector dataset opened read-only (`GDALOpenEx`), closed with `GDALClose`.
///
/// Any path GDAL accepts works, including `/vsizip/` archives. Not `Sendable`: one per task.
public final class VectorSource {
  public let path: String
  private let dataset: UnsafeMutableRawPointer
  /// The encoding the user forced, if any.
  private let forcedEncoding: String?

  /// Opens `path` as a vector dataset (`GDALOpenEx`, NULL on failure, message from
  /// `CPLGetLastErrorMsg`). `encoding` forces the DBF code page of shapefiles.
  public init(path: String, encoding: String? = nil) throws {
    GDAL.register()
    self.path = path
    self.forcedEncoding = encoding
    var options: [String] = []
    if let encoding { options.append("ENCODING=\(encoding)") }
    nodo_cpl_error_reset()
    let flags = UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY)
    let handle = GDAL.withConstOptions(options) { openOptions in
      GDALOpenEx(path, flags, nil, options.isEmpty ? nil : openOptions, nil)
    }
    guard let handle else {
      let message = GDAL.lastErrorMessage()
      throw GeoError.gdal(
        function: "GDALOpenEx",
        message: message.isEmpty ? "not a vector dataset GDAL can read: \(path)" : message)
    }
    self.dataset = handle
  }

  deinit { GDALClose(dataset) }

  /// The GDAL driver's short name ("ESRI Shapefile", "GPKG", "GeoJSON", "OpenFileGDB", ...).
  public var driverName: String {
    GDALGetDatasetDriver(dataset).flatMap { GDALGetDriverShortName($0) }.map {
      String(cString: $0)
    } ?? "unknown"
  }

  public var layerCount: Int { Int(GDALDatasetGetLayerCount(dataset)) }

  func layerHandle(_ index: Int) throws -> UnsafeMutableRawPointer {
    guard index >= 0, index < layerCount, let layer = GDALDatasetGetLayer(dataset, Int32(index))
    else {
      throw GeoError.gdal(function: "GDALDatasetGetLayer", message: "no layer \(index) in \(path)")
    }
    return layer
  }

  /// The index of the layer called `name`.
  public func layerIndex(named name: String) throws -> Int {
    for index in 0..<layerCount {
      let layer = try layerHandle(index)
      if OGR_L_GetName(layer).map({ String(cString: $0) }) == name { return index }
    }
    throw GeoError.gdal(function: "GDALDatasetGetLayerByName", message: "no layer named \(name)")
  }

  /// A layer's name and whether it has geometry, without counting, scanning or recognising its
  /// CRS (`layerInfo` does all three).
  public func layerName(_ index: Int) throws -> (name: String, hasGeometry: Bool) {
    let layer = try layerHandle(index)
    return (try name(ofLayer: index), OGR_L_GetGeomType(layer) != wkbNone)
  }

  /// Only the name of a layer: no more than the driver knows from opening the dataset (the
  /// geometry type makes a GeoPackage read the layer's table definition).
  public func name(ofLayer index: Int) throws -> String {
    OGR_L_GetName(try layerHandle(index)).map { String(cString: $0) } ?? "layer\(index)"
  }

  /// Describes one layer. `exactCount` forces a scan where the driver does not know the count
  /// (`OGR_L_GetFeatureCount(layer, 1)`).
  public func layerInfo(_ index: Int, exactCount: Bool = true, extent: Bool = true) throws -> LayerInfo {
    let layer = try layerHandle(index)
    let name = try name(ofLayer: index)
    let count = OGR_L_GetFeatureCount(layer, exactCount ? 1 : 0)
    let type = OGR_L_GetGeomType(layer)
    let typeName = OGRGeometryTypeToName(type).map { String(cString: $0) } ?? "Unknown"
    let envelope = extent ? try self.extent(index) : nil
    var crs: CRS?
    if let borrowed = OGR_L_GetSpatialRef(layer) {
      crs = try CRSIdentifier.identify(SpatialReference(cloning: borrowed))
    }
    return LayerInfo(
      index: index, name: name, featureCount: count >= 0 ? Int(count) : nil,
      geometryType: typeName, family: Self.family(type), hasGeometry: type != wkbNone, crs: crs,
      extent: envelope, fields: fields(layer), encoding: declaredEncoding(layer))
  }

  /// The extent of layer `index` in its own CRS, nil for an empty layer. Some drivers read the
  /// whole layer for it (GeoJSON parses the file once more).
  public func extent(_ index: Int) throws -> Envelope? {
    let layer = try layerHandle(index)
    var envelope = OGREnvelope()
    // OGR_L_GetExtent returns OGRERR_NONE (0) on success, an error for an empty layer.
    guard OGR_L_GetExtent(layer, &envelope, 1) == 0 else { return nil }
    return Envelope(minX: envelope.MinX, minY: envelope.MinY, maxX: envelope.MaxX, maxY: envelope.MaxY)
  }

  /// All layers, described.
  public func layers() throws -> [LayerInfo] {
    try (0..<layerCount).map { try layerInfo($0) }
  }

  private func fields(_ layer: UnsafeMutableRawPointer) -> [FieldInfo] {
    guard let definition = OGR_L_GetLayerDefn(layer) else { return [] }
    return (0..<OGR_FD_GetFieldCount(definition)).compactMap { index in
      guard let field = OGR_FD_GetFieldDefn(definition, index) else { return nil }
      let name = OGR_Fld_GetNameRef(field).map { String(cString: $0) } ?? "field\(index)"
      return FieldInfo(name: name, type: Self.fieldType(OGR_Fld_GetType(field)))
    }
  }

  /// The encoding GDAL applies to this layer, or `detected` when it passes bytes through.
  func declaredEncoding(_ layer: UnsafeMutableRawPointer) -> EncodingInfo {
    if let forcedEncoding { return EncodingInfo(name: forcedEncoding, source: "user") }
    guard driverName == "ESRI Shapefile" else {
      return EncodingInfo(name: "UTF-8", source: "format")
    }
    func item(_ key: String) -> String? {
      GDALGetMetadataItem(layer, key, "SHAPEFILE").map { String(cString: $0) }.flatMap {
        $0.isEmpty ? nil : $0
      }
    }
    if let cpg = item("ENCODING_FROM_CPG") { return EncodingInfo(name: cpg, source: "cpg") }
    if let ldid = item("ENCODING_FROM_LDID") { return EncodingInfo(name: ldid, source: "ldid") }
    if let source = item("SOURCE_ENCODING") { return EncodingInfo(name: source, source: "ldid") }
    return EncodingInfo(name: "UTF-8", source: "detected")
  }

  /// Streams the features of layer `index` to `body`, one at a time, without loading the layer.
  /// Curves are linearised and Z/M dropped in the WKB handed out.
  ///
  /// Returns the encoding actually used: for a layer without a declared code page it is
  /// "UTF-8" when every text value was valid UTF-8, else "CP1252".
  @discardableResult
  public func forEachFeature(
    inLayer index: Int, _ body: (Feature) throws -> Void
  ) throws -> EncodingInfo {
    let reader = try LayerReader(source: self, layer: index)
    while true {
      let batch = try reader.next(max: 1024)
      if batch.isEmpty { break }
      try batch.forEach(body)
    }
    return reader.encoding
  }

  /// Reads the next feature of `layer` (`OGR_L_GetNextFeature`, NULL at the end or on error;
  /// the feature is freed with `OGR_F_Destroy`). Nil at the end of the layer.
  func nextFeature(
    _ layer: UnsafeMutableRawPointer, types: [OGRFieldType], detect: Bool, usedFallback: inout Bool
  ) throws -> Feature? {
    nodo_cpl_error_reset()
    guard let feature = OGR_L_GetNextFeature(layer) else {
      if CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal {
        throw GeoError.gdal(function: "OGR_L_GetNextFeature", message: GDAL.lastErrorMessage())
      }
      return nil
    }
    defer { OGR_F_Destroy(feature) }
    var values: [FieldValue] = []
    values.reserveCapacity(types.count)
    for (field, type) in types.enumerated() {
      values.append(value(feature, Int32(field), type, detect: detect, usedFallback: &usedFallback))
    }
    var out = Feature(
      fid: OGR_F_GetFID(feature), values: values, wkb: nil, droppedZM: false, linearized: false)
    if let geometry = OGR_F_GetGeometryRef(feature) {
      try export(geometry, into: &out)
    }
    return out
  }

  func fieldTypes(_ layer: UnsafeMutableRawPointer) throws -> [OGRFieldType] {
    guard let definition = OGR_L_GetLayerDefn(layer) else {
      throw GeoError.gdal(function: "OGR_L_GetLayerDefn", message: GDAL.lastErrorMessage())
    }
    return (0..<OGR_FD_GetFieldCount(definition)).map {
      OGR_Fld_GetType(OGR_FD_GetFieldDefn(definition, $0))
    }
  }

  /// Fills `feature.wkb` from a borrowed OGR geometry (`OGR_G_ExportToIsoWkb`, OGRERR_NONE on
  /// success). Curves go through `OGR_G_GetLinearGeometry` (NULL on failure, freed with
  /// `OGR_G_DestroyGeometry`).
  private func export(_ borrowed: UnsafeMutableRawPointer, into feature: inout Feature) throws {
    var geometry = borrowed
    var linear: UnsafeMutableRawPointer?
    defer { if let linear { OGR_G_DestroyGeometry(linear) } }
    if OGR_G_HasCurveGeometry(borrowed, 1) != 0 {
      guard let converted = OGR_G_GetLinearGeometry(borrowed, 0, nil) else {
        throw GeoError.gdal(function: "OGR_G_GetLinearGeometry", message: GDAL.lastErrorMessage())
      }
      linear = converted
      geometry = converted
      feature.linearized = true
    }
    if OGR_G_Is3D(geometry) != 0 || OGR_G_IsMeasured(geometry) != 0 {
      OGR_G_FlattenTo2D(geometry)
      OGR_G_SetMeasured(geometry, 0)
      feature.droppedZM = true
    }
    let size = Int(OGR_G_WkbSize(geometry))
    var failed = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      failed = OGR_G_ExportToIsoWkb(geometry, wkbNDR, buffer.baseAddress) != 0
      count = failed ? 0 : size
    }
    if failed {
      throw GeoError.gdal(function: "OGR_G_ExportToIsoWkb", message: GDAL.lastErrorMessage())
    }
    feature.wkb = bytes
  }

  private func value(
    _ feature: UnsafeMutableRawPointer, _ field: Int32, _ type: OGRFieldType, detect: Bool,
    usedFallback: inout Bool
  ) -> FieldValue {
    guard OGR_F_IsFieldSetAndNotNull(feature, field) != 0 else { return .null }
    switch type {
    case OFTInteger, OFTInteger64:
      return .integer(OGR_F_GetFieldAsInteger64(feature, field))
    case OFTReal:
      return .real(OGR_F_GetFieldAsDouble(feature, field))
    case OFTDate, OFTDateTime, OFTTime:
      var year: Int32 = 0
      var month: Int32 = 0
      var day: Int32 = 0
      var hour: Int32 = 0
      var minute: Int32 = 0
      var second: Float = 0
      var zone: Int32 = 0
      guard
        OGR_F_GetFieldAsDateTimeEx(
          feature, field, &year, &month, &day, &hour, &minute, &second, &zone) != 0
      else { return .null }
      let date = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
      let time = "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(Int32(second), 2))"
      switch type {
      case OFTDate: return .string(date)
      case OFTTime: return .string(time)
      default: return .string("\(date)T\(time)")
      }
    default:
      guard let raw = OGR_F_GetFieldAsString(feature, field) else { return .null }
      let length = strlen(raw)
      return raw.withMemoryRebound(to: UInt8.self, capacity: length) { pointer in
        let buffer = UnsafeBufferPointer(start: pointer, count: length)
        if detect {
          let (text, fallback) = TextDecoding.utf8OrWindows1252(buffer)
          if fallback { usedFallback = true }
          return .string(text)
        }
        return .string(String(decoding: buffer, as: UTF8.self))
      }
    }
  }

  private func pad(_ value: Int32, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }

  static func fieldType(_ type: OGRFieldType) -> FieldType {
    switch type {
    case OFTInteger: .integer
    case OFTInteger64: .integer64
    case OFTReal: .real
    case OFTDate: .date
    case OFTTime: .time
    case OFTDateTime: .dateTime
    case OFTBinary: .binary
    case OFTIntegerList, OFTInteger64List, OFTRealList, OFTStringList: .list
    default: .string
    }
  }

  static func family(_ type: OGRwkbGeometryType) -> GeometryFamily? {
    let flat = OGR_GT_Flatten(type)
    if OGR_GT_IsSubClassOf(flat, wkbCurvePolygon) != 0
      || OGR_GT_IsSubClassOf(flat, wkbMultiSurface) != 0
    {
      return .polygon
    }
    if OGR_GT_IsSubClassOf(flat, wkbCurve) != 0 || OGR_GT_IsSubClassOf(flat, wkbMultiCurve) != 0 {
      return .line
    }
    if flat == wkbPoint || flat == wkbMultiPoint { return .point }
    if flat == wkbGeometryCollection { return .mixed }
    return nil
  }
}
