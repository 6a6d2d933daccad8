import Geo

/// A feature named in a report: which source layer (index into ``IngestReport/sources``) and
/// its FID there.
public struct SourceFeature: Codable, Sendable, Equatable, Hashable {
  public var source: Int
  public var fid: Int64
}

/// A feature left out, and why (`null_geometry`, `empty_geometry`, `unreadable_geometry`,
/// `collapsed`, `wrong_family`).
public struct DroppedFeature: Codable, Sendable, Equatable {
  public var feature: SourceFeature
  public var reason: String
  public var detail: String?
}

/// A profile check's result: `code` names the rule, `count` how many features it concerns,
/// `examples` some of them (stored fids of the loaded version unless said otherwise).
public struct Finding: Codable, Sendable, Equatable {
  public var code: String
  public var count: Int
  public var examples: [String]
  public var detail: String?
}

/// One source layer read into the version.
public struct SourceReport: Codable, Sendable {
  public var path: String
  public var dataset: String
  public var layer: String
  public var driver: String
  public var sha256: String
  public var encoding: EncodingInfo
  public var crs: CRS
  public var crsOverridden: Bool
  public var featuresRead: Int
}

/// Everything a load did, stored with the version and printed by the CLI.
public struct IngestReport: Codable, Sendable {
  public var layer: String
  public var kind: String
  public var version: Int?
  public var status: String
  /// The same file was already loaded as this version; nothing was done.
  public var unchangedFromVersion: Int?
  public var sources: [SourceReport]
  public var geometryFamily: String?
  public var featuresRead: Int
  public var featuresWritten: Int
  public var featuresRepaired: Int
  public var featuresDropped: Int
  public var repaired: [SourceFeature]
  public var dropped: [DroppedFeature]
  public var zOrMDropped: Int
  public var curvesLinearized: Int
  /// In EPSG:9377.
  public var extent: Envelope?
  public var totalArea: Double?
  public var findings: [Finding]
  public var secondsReading: Double
  public var secondsChecking: Double
  public var secondsTotal: Double

  /// The longest list a report keeps (counts are always complete).
  public static let listLimit = 1000
}
