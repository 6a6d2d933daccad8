import CGDAL

/// How a CRS was recognised.
public enum CRSMethod: String, Sendable, Codable {
  /// The source declared an EPSG authority code.
  case declared
  /// The definition has the same datum, projection and parameters as an EPSG CRS, though its
  /// name differs (the ESRI "CTM12" family for EPSG:9377).
  case equivalentParameters = "equivalent_parameters"
  /// GDAL's catalogue search (`OSRFindMatches`), with its confidence.
  case catalogueMatch = "catalogue_match"
  /// Given by the user (`--crs`).
  case userSupplied = "user_supplied"
}

/// A recognised coordinate reference system.
public struct CRS: Sendable, Codable, Equatable {
  /// EPSG code of the horizontal CRS; nil when nothing in the catalogue matched.
  public var epsg: Int?
  /// Name as written in the source (for example "CTM12").
  public var name: String
  /// 0–100. 100 for declared codes and parameter-equivalent definitions; GDAL's own
  /// confidence for catalogue matches.
  public var confidence: Int
  public var method: CRSMethod?
  /// The source had a vertical part (compound CRS); only the horizontal part is used.
  public var hadVerticalPart: Bool
  public var isGeographic: Bool
  /// The horizontal CRS as WKT, for PROJ.
  public var wkt: String

  /// The string to hand to ``Transformer``: "EPSG:n" when known, else the WKT.
  public var projDefinition: String { epsg.map { "EPSG:\($0)" } ?? wkt }

  public var srid: Int32? { epsg.map { Int32($0) } }
}

/// Recognises CRS definitions from `.prj` files, layer metadata or user input.
public enum CRSIdentifier {
  /// CRSs Colombian data arrive in, tried by parameter equivalence before GDAL's catalogue, in
  /// order of preference: CTM12, MAGNA-SIRGAS geographic, the Gauss–Krüger zones (Bogotá first),
  /// WGS 84 and Web Mercator.
  public static let colombianCandidates = [9377, 4686, 3116, 3115, 3117, 3118, 3114, 4326, 3857]
  /// The geographic ones among them (the others are projected).
  static let geographicCandidates: Set<Int> = [4686, 4326]

  /// Identifies any definition GDAL accepts (WKT1, WKT2, ESRI WKT, "EPSG:n", PROJ strings).
  /// Throws ``GeoError/unknownCRS(_:)`` when GDAL cannot parse it.
  public static func identify(_ definition: String) throws -> CRS {
    GDAL.register()
    let srs = try SpatialReference(userInput: definition)
    return try identify(srs)
  }

  /// Identifies an EPSG code directly (fails when PROJ's database lacks it).
  public static func identify(epsg: Int) throws -> CRS {
    var crs = try identify("EPSG:\(epsg)")
    crs.method = .userSupplied
    return crs
  }

  static func identify(_ srs: SpatialReference) throws -> CRS {
    let hadVertical = OSRIsCompound(srs.handle) != 0
    if hadVertical {
      // OSRStripVertical returns OGRERR_NONE (0) on success.
      guard OSRStripVertical(srs.handle) == 0 else {
        throw GeoError.gdal(function: "OSRStripVertical", message: GDAL.lastErrorMessage())
      }
    }
    let name = OSRGetName(srs.handle).map { String(cString: $0) } ?? "unnamed"
    let geographic = OSRIsGeographic(srs.handle) != 0
    let wkt = try srs.wkt()
    var crs = CRS(
      epsg: nil, name: name, confidence: 0, method: nil, hadVerticalPart: hadVertical,
      isGeographic: geographic, wkt: wkt)

    if let authority = OSRGetAuthorityName(srs.handle, nil).map({ String(cString: $0) }),
      authority.uppercased() == "EPSG",
      let code = OSRGetAuthorityCode(srs.handle, nil).flatMap({ Int(String(cString: $0)) })
    {
      crs.epsg = code
      crs.confidence = 100
      crs.method = .declared
      return crs
    }
    // Only candidates of the same kind can be equivalent: each one is a lookup in PROJ's
    // database (the eight before EPSG:4326 took a GeoJSON's CRS84 about 10 ms).
    for code in colombianCandidates where geographicCandidates.contains(code) == geographic {
      guard let candidate = try? SpatialReference(epsg: code) else { continue }
      if srs.isEquivalent(to: candidate) {
        crs.epsg = code
        crs.confidence = 100
        crs.method = .equivalentParameters
        return crs
      }
    }
    if let (code, confidence) = srs.bestCatalogueMatch() {
      crs.epsg = code
      crs.confidence = confidence
      crs.method = .catalogueMatch
    }
    return crs
  }
}

/// Owns an `OGRSpatialReferenceH`, released with `OSRRelease`.
final class SpatialReference {
  let handle: UnsafeMutableRawPointer

  /// `OSRNewSpatialReference` (NULL on failure) + `OSRSetFromUserInput` (OGRERR_NONE = 0 on
  /// success).
  init(userInput: String) throws {
    guard let handle = OSRNewSpatialReference(nil) else {
      throw GeoError.gdal(function: "OSRNewSpatialReference", message: GDAL.lastErrorMessage())
    }
    self.handle = handle
    nodo_cpl_error_reset()
    guard OSRSetFromUserInput(handle, userInput) == 0 else {
      let message = GDAL.lastErrorMessage()
      throw GeoError.unknownCRS(
        message.isEmpty ? "GDAL could not read the definition" : message)
    }
    OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
  }

  /// `OSRImportFromEPSG` (OGRERR_NONE = 0 on success).
  init(epsg: Int) throws {
    guard let handle = OSRNewSpatialReference(nil) else {
      throw GeoError.gdal(function: "OSRNewSpatialReference", message: GDAL.lastErrorMessage())
    }
    self.handle = handle
    guard OSRImportFromEPSG(handle, Int32(epsg)) == 0 else {
      throw GeoError.unknownCRS("EPSG:\(epsg) is not in PROJ's database")
    }
    OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
  }

  /// Clones a borrowed handle (a layer's) with `OSRClone` (NULL on failure).
  init(cloning borrowed: UnsafeMutableRawPointer) throws {
    guard let handle = OSRClone(borrowed) else {
      throw GeoError.gdal(function: "OSRClone", message: GDAL.lastErrorMessage())
    }
    self.handle = handle
  }

  deinit { OSRRelease(handle) }

  /// `OSRExportToWkt` (OGRERR_NONE on success; the string is freed with `CPLFree`).
  func wkt() throws -> String {
    var out: UnsafeMutablePointer<CChar>?
    guard OSRExportToWkt(handle, &out) == 0, let out else {
      throw GeoError.gdal(function: "OSRExportToWkt", message: GDAL.lastErrorMessage())
    }
    defer { VSIFree(out) }
    return String(cString: out)
  }

  /// True when both have the same projection method, parameters, ellipsoid and datum shift,
  /// whatever their names: `OSRIsSameEx` ignoring axis order, or else the same PROJ string
  /// parameters (`OSRExportToProj4`). ESRI definitions such as "CTM12" carry the datum as
  /// "D_MAGNA" with no shift, which `OSRIsSameEx` does not equate with EPSG:9377's
  /// "Marco_Geocentrico_Nacional_de_Referencia" with a zero TOWGS84.
  func isEquivalent(to other: SpatialReference) -> Bool {
    let same = GDAL.withConstOptions([
      "IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
      "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS",
    ]) { options in
      OSRIsSameEx(handle, other.handle, options) != 0
    }
    if same { return true }
    guard let mine = projParameters(), let theirs = other.projParameters() else { return false }
    guard mine.keys == theirs.keys else { return false }
    for (key, value) in mine {
      guard let otherValue = theirs[key] else { return false }
      if value == otherValue { continue }
      guard let a = Double(value), let b = Double(otherValue),
        abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
      else { return false }
    }
    return true
  }

  /// The PROJ string's parameters (`OSRExportToProj4`, OGRERR_NONE on success, freed with
  /// `CPLFree`), without those that carry no geometry: `+no_defs`, `+type=crs`, `+wktext`, and
  /// an all-zero `+towgs84`.
  func projParameters() -> [String: String]? {
    var out: UnsafeMutablePointer<CChar>?
    guard OSRExportToProj4(handle, &out) == 0, let out else { return nil }
    defer { VSIFree(out) }
    var parameters: [String: String] = [:]
    for token in String(cString: out).split(separator: " ") where token.hasPrefix("+") {
      let pair = token.dropFirst().split(separator: "=", maxSplits: 1)
      let key = String(pair[0])
      let value = pair.count > 1 ? String(pair[1]) : ""
      if ["no_defs", "type", "wktext"].contains(key) { continue }
      if key == "towgs84", value.split(separator: ",").allSatisfy({ Double($0) == 0 }) { continue }
      parameters[key] = value
    }
    return parameters.isEmpty ? nil : parameters
  }

  /// The best EPSG match from `OSRFindMatches` (NULL when none; the array is freed with
  /// `OSRFreeSRSArray`, the confidences with `CPLFree`).
  func bestCatalogueMatch() -> (Int, Int)? {
    var count: Int32 = 0
    var confidences: UnsafeMutablePointer<Int32>?
    guard let matches = OSRFindMatches(handle, nil, &count, &confidences) else { return nil }
    defer {
      OSRFreeSRSArray(matches)
      VSIFree(confidences)
    }
    for index in 0..<Int(count) {
      guard let match = matches[index],
        let authority = OSRGetAuthorityName(match, nil).map({ String(cString: $0) }),
        authority == "EPSG",
        let code = OSRGetAuthorityCode(match, nil).flatMap({ Int(String(cString: $0)) })
      else { continue }
      return (code, Int(confidences?[index] ?? 0))
    }
    return nil
  }
}
