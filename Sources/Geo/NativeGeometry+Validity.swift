import CGEOS

/// What ``NativeGeometry/repaired()`` did to a geometry.
public struct Repair: Sendable, Equatable {
  /// GEOS's reason the input was invalid (`GEOSisValidReason_r`), nil when it was valid.
  public var reason: String?
  /// Parts that were not polygons (collapsed lines or points) and were dropped.
  public var droppedNonPolygonalParts: Int
  /// Planar area before and after, for polygonal input (the "before" of an invalid polygon is
  /// GEOS's area of the invalid shape, which can be misleading; it is kept for the report).
  public var areaBefore: Double
  public var areaAfter: Double

  public var changed: Bool { reason != nil || droppedNonPolygonalParts > 0 }
}

extension NativeGeometry {
  /// Makes the geometry valid with `GEOSMakeValidWithParams_r` (NULL on exception) using the
  /// "structure" method for polygons (bow-ties become two polygons, holes are kept as holes),
  /// then keeps only the polygonal parts as a MultiPolygon. Lines and points are returned as
  /// they come from the "linework" method.
  ///
  /// Returns the repaired geometry (or a clone when it was already valid) and what changed.
  public func repaired() throws -> (geometry: NativeGeometry, repair: Repair) {
    let type = try type()
    let polygonal = type.family == .polygon
    let areaBefore = polygonal ? try area() : 0
    if try isValid() {
      let valid = polygonal ? try asMultiPolygon() : try clone()
      return (
        valid,
        Repair(
          reason: nil, droppedNonPolygonalParts: 0, areaBefore: areaBefore, areaAfter: areaBefore)
      )
    }
    let reason = try validityReason()
    let handle = context.handle
    guard let params = GEOSMakeValidParams_create_r(handle) else {
      throw context.error("GEOSMakeValidParams_create_r")
    }
    defer { GEOSMakeValidParams_destroy_r(handle, params) }
    let method = polygonal ? GEOS_MAKE_VALID_STRUCTURE : GEOS_MAKE_VALID_LINEWORK
    // Both setters return 0 on exception.
    guard GEOSMakeValidParams_setMethod_r(handle, params, method) != 0 else {
      throw context.error("GEOSMakeValidParams_setMethod_r")
    }
    guard GEOSMakeValidParams_setKeepCollapsed_r(handle, params, 0) != 0 else {
      throw context.error("GEOSMakeValidParams_setKeepCollapsed_r")
    }
    let fixed = try context.owned(
      GEOSMakeValidWithParams_r(handle, pointer, params), "GEOSMakeValidWithParams_r")
    guard polygonal else {
      return (
        fixed, Repair(reason: reason, droppedNonPolygonalParts: 0, areaBefore: 0, areaAfter: 0)
      )
    }
    var polygons: [NativeGeometry] = []
    let dropped = try fixed.collectPolygons(into: &polygons)
    let multi = try context.collection(.multiPolygon, of: polygons)
    return (
      multi,
      Repair(
        reason: reason, droppedNonPolygonalParts: dropped, areaBefore: areaBefore,
        areaAfter: try multi.area())
    )
  }

  /// This polygon or multipolygon as a MultiPolygon (a clone when it already is one).
  public func asMultiPolygon() throws -> NativeGeometry {
    switch try type() {
    case .multiPolygon: return try clone()
    case .polygon: return try context.collection(.multiPolygon, of: [self])
    default:
      var polygons: [NativeGeometry] = []
      _ = try collectPolygons(into: &polygons)
      return try context.collection(.multiPolygon, of: polygons)
    }
  }

  /// Promotes a single geometry to its multi type (point → multipoint, and so on).
  public func asMulti() throws -> NativeGeometry {
    switch try type() {
    case .point: return try context.collection(.multiPoint, of: [self])
    case .lineString, .linearRing: return try context.collection(.multiLineString, of: [self])
    case .polygon: return try context.collection(.multiPolygon, of: [self])
    default: return try clone()
    }
  }

  /// Appends the polygon parts (borrowed) found at any depth; returns how many non-polygon
  /// parts were skipped.
  func collectPolygons(into polygons: inout [NativeGeometry]) throws -> Int {
    switch try type() {
    case .polygon:
      if try !isEmpty() { polygons.append(self) }
      return 0
    case .multiPolygon, .geometryCollection:
      var skipped = 0
      for index in 0..<(try partCount()) {
        skipped += try part(index).collectPolygons(into: &polygons)
      }
      return skipped
    default:
      return try isEmpty() ? 0 : 1
    }
  }
}
