import CGEOS

/// The OGC geometry types, with GEOS's type ids (`GEOSGeomTypeId_r`) as raw values.
public enum GeometryType: Int, Sendable, Codable, CaseIterable {
  case point = 0
  case lineString = 1
  case linearRing = 2
  case polygon = 3
  case multiPoint = 4
  case multiLineString = 5
  case multiPolygon = 6
  case geometryCollection = 7

  /// Point, line or polygon: what a layer of this type holds.
  public var family: GeometryFamily {
    switch self {
    case .point, .multiPoint: .point
    case .lineString, .linearRing, .multiLineString: .line
    case .polygon, .multiPolygon: .polygon
    case .geometryCollection: .mixed
    }
  }
}

/// The dimension family of a layer's geometries.
public enum GeometryFamily: String, Sendable, Codable {
  case point, line, polygon, mixed
}

/// A live GEOS geometry owned by one ``GeometryContext``.
///
/// Frees itself with `GEOSGeom_destroy_r` unless it is *borrowed* — a part returned by
/// `GEOSGetGeometryN_r` belongs to its parent, which `owner` keeps alive.
public final class NativeGeometry {
  public let context: GeometryContext
  let pointer: OpaquePointer
  /// Set for a borrowed part: the geometry that owns `pointer`.
  private let owner: NativeGeometry?

  init(context: GeometryContext, pointer: OpaquePointer, owner: NativeGeometry?) {
    self.context = context
    self.pointer = pointer
    self.owner = owner
  }

  deinit {
    if owner == nil { GEOSGeom_destroy_r(context.handle, pointer) }
  }

  private var handle: OpaquePointer { context.handle }

  /// Back to a sendable WKB value (2D, little-endian).
  public func geometry() throws -> Geometry {
    Geometry(trustedWKB: try context.writeWKB(pointer))
  }

  // MARK: Properties

  /// `GEOSGeomTypeId_r` (-1 on exception).
  public func type() throws -> GeometryType {
    let id = GEOSGeomTypeId_r(handle, pointer)
    guard id >= 0, let type = GeometryType(rawValue: Int(id)) else {
      throw context.error("GEOSGeomTypeId_r")
    }
    return type
  }

  /// `GEOSArea_r` (0 on exception). Planar, in the units of the CRS.
  public func area() throws -> Double {
    var area = 0.0
    guard GEOSArea_r(handle, pointer, &area) != 0 else { throw context.error("GEOSArea_r") }
    return area
  }

  /// `GEOSLength_r` (0 on exception).
  public func length() throws -> Double {
    var length = 0.0
    guard GEOSLength_r(handle, pointer, &length) != 0 else { throw context.error("GEOSLength_r") }
    return length
  }

  /// `GEOSisEmpty_r` (2 on exception).
  public func isEmpty() throws -> Bool {
    try predicate(GEOSisEmpty_r(handle, pointer), "GEOSisEmpty_r")
  }

  /// `GEOSisValid_r` (2 on exception).
  public func isValid() throws -> Bool {
    try predicate(GEOSisValid_r(handle, pointer), "GEOSisValid_r")
  }

  /// Why the geometry is invalid, from `GEOSisValidReason_r` (NULL on exception; freed with
  /// `GEOSFree_r`). "Valid Geometry" when it is valid.
  public func validityReason() throws -> String {
    guard let reason = GEOSisValidReason_r(handle, pointer) else {
      throw context.error("GEOSisValidReason_r")
    }
    defer { GEOSFree_r(handle, reason) }
    return String(cString: reason)
  }

  /// `GEOSGeom_getExtent_r` (0 on exception; fails on an empty geometry).
  public func envelope() throws -> Envelope {
    var minX = 0.0
    var minY = 0.0
    var maxX = 0.0
    var maxY = 0.0
    guard GEOSGeom_getExtent_r(handle, pointer, &minX, &minY, &maxX, &maxY) != 0 else {
      throw context.error("GEOSGeom_getExtent_r")
    }
    return Envelope(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
  }

  /// `GEOSGetNumGeometries_r` (-1 on exception); 1 for a non-collection.
  public func partCount() throws -> Int {
    let n = GEOSGetNumGeometries_r(handle, pointer)
    guard n >= 0 else { throw context.error("GEOSGetNumGeometries_r") }
    return Int(n)
  }

  /// The n-th part, borrowed from this geometry with `GEOSGetGeometryN_r` (NULL on exception).
  public func part(_ index: Int) throws -> NativeGeometry {
    guard let part = GEOSGetGeometryN_r(handle, pointer, Int32(index)) else {
      throw context.error("GEOSGetGeometryN_r")
    }
    return NativeGeometry(context: context, pointer: part, owner: self)
  }

  /// `GEOSGetSRID_r` (0 when unset) / `GEOSSetSRID_r`.
  public var srid: Int32 {
    get { GEOSGetSRID_r(handle, pointer) }
    set { GEOSSetSRID_r(handle, pointer, newValue) }
  }

  // MARK: Overlay

  /// `GEOSIntersection_r` (NULL on exception).
  public func intersection(with other: NativeGeometry) throws -> NativeGeometry {
    try context.owned(
      GEOSIntersection_r(handle, pointer, other.pointer), "GEOSIntersection_r")
  }

  /// `GEOSDifference_r` (NULL on exception).
  public func difference(_ other: NativeGeometry) throws -> NativeGeometry {
    try context.owned(GEOSDifference_r(handle, pointer, other.pointer), "GEOSDifference_r")
  }

  /// `GEOSUnion_r` (NULL on exception).
  public func union(with other: NativeGeometry) throws -> NativeGeometry {
    try context.owned(GEOSUnion_r(handle, pointer, other.pointer), "GEOSUnion_r")
  }

  /// `GEOSUnaryUnion_r` (NULL on exception): dissolves a collection.
  public func unaryUnion() throws -> NativeGeometry {
    try context.owned(GEOSUnaryUnion_r(handle, pointer), "GEOSUnaryUnion_r")
  }

  /// `GEOSClipByRect_r` (NULL on exception): a fast intersection with a rectangle.
  public func clipped(to envelope: Envelope) throws -> NativeGeometry {
    try context.owned(
      GEOSClipByRect_r(handle, pointer, envelope.minX, envelope.minY, envelope.maxX, envelope.maxY),
      "GEOSClipByRect_r")
  }

  /// `GEOSBoundary_r` (NULL on exception).
  public func boundary() throws -> NativeGeometry {
    try context.owned(GEOSBoundary_r(handle, pointer), "GEOSBoundary_r")
  }

  /// `GEOSNode_r` (NULL on exception): the linework, fully noded.
  public func noded() throws -> NativeGeometry {
    try context.owned(GEOSNode_r(handle, pointer), "GEOSNode_r")
  }

  /// `GEOSPointOnSurface_r` (NULL on exception): a point guaranteed inside a polygon.
  public func pointOnSurface() throws -> NativeGeometry {
    try context.owned(GEOSPointOnSurface_r(handle, pointer), "GEOSPointOnSurface_r")
  }

  /// `GEOSBufferWithStyle_r` (NULL on exception), round caps and joins.
  public func buffer(_ distance: Double, quadrantSegments: Int = 8) throws -> NativeGeometry {
    try context.owned(
      GEOSBufferWithStyle_r(
        handle, pointer, distance, Int32(quadrantSegments), Int32(GEOSBUF_CAP_ROUND.rawValue),
        Int32(GEOSBUF_JOIN_ROUND.rawValue), 5.0),
      "GEOSBufferWithStyle_r")
  }

  /// `GEOSDistance_r` (0 on exception).
  public func distance(to other: NativeGeometry) throws -> Double {
    var distance = 0.0
    guard GEOSDistance_r(handle, pointer, other.pointer, &distance) != 0 else {
      throw context.error("GEOSDistance_r")
    }
    return distance
  }

  /// `GEOSIntersects_r` (2 on exception).
  public func intersects(_ other: NativeGeometry) throws -> Bool {
    try predicate(GEOSIntersects_r(handle, pointer, other.pointer), "GEOSIntersects_r")
  }

  /// `GEOSEqualsExact_r` with a tolerance (2 on exception).
  public func equalsExact(_ other: NativeGeometry, tolerance: Double = 0) throws -> Bool {
    try predicate(
      GEOSEqualsExact_r(handle, pointer, other.pointer, tolerance), "GEOSEqualsExact_r")
  }

  /// `GEOSGeom_clone_r` (NULL on exception).
  public func clone() throws -> NativeGeometry {
    try context.owned(GEOSGeom_clone_r(handle, pointer), "GEOSGeom_clone_r")
  }

  /// Applies the "0 false, 1 true, 2 exception" convention of GEOS predicates.
  func predicate(_ result: CChar, _ function: String) throws -> Bool {
    switch result {
    case 0: return false
    case 1: return true
    default: throw context.error(function)
    }
  }
}
