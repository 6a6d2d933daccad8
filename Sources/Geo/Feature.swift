/// The type of an attribute column, as GDAL reports it.
public enum FieldType: String, Sendable, Codable {
  case integer, integer64, real, string, date, time, dateTime, binary, list
}

/// An attribute column of a layer.
public struct FieldInfo: Sendable, Codable, Equatable {
  public var name: String
  public var type: FieldType

  public init(name: String, type: FieldType) {
    self.name = name
    self.type = type
  }
}

/// One attribute value, decoded to Swift.
public enum FieldValue: Sendable, Equatable, Hashable {
  case null
  case integer(Int64)
  case real(Double)
  /// Text, already decoded to Unicode with the layer's encoding. Dates and times are
  /// ISO 8601 text.
  case string(String)

  public var stringValue: String? {
    switch self {
    case .null: nil
    case .integer(let value): String(value)
    case .real(let value): String(value)
    case .string(let value): value
    }
  }
}

/// One feature read from a layer: its source FID, attribute values aligned with the layer's
/// ``LayerInfo/fields``, and its geometry as 2D little-endian ISO WKB (nil when the source has
/// a null geometry). The WKB is as GDAL wrote it: parse it with GEOS to validate.
public struct Feature: Sendable {
  public var fid: Int64
  public var values: [FieldValue]
  public var wkb: [UInt8]?
  /// The source geometry had Z or M values, which were dropped.
  public var droppedZM: Bool
  /// The source geometry had curves, which were linearised.
  public var linearized: Bool
}
