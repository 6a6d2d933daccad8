import CGEOS

/// A geometry prepared for repeated predicate tests (`GEOSPrepare_r`), kept alive with the
/// geometry it was prepared from, and freed with `GEOSPreparedGeom_destroy_r`.
public final class PreparedGeometry {
  public let base: NativeGeometry
  private let pointer: OpaquePointer

  /// `GEOSPrepare_r` (NULL on exception).
  public init(_ base: NativeGeometry) throws {
    guard let pointer = GEOSPrepare_r(base.context.handle, base.pointer) else {
      throw base.context.error("GEOSPrepare_r")
    }
    self.base = base
    self.pointer = pointer
  }

  deinit { GEOSPreparedGeom_destroy_r(base.context.handle, pointer) }

  /// `GEOSPreparedIntersects_r` (2 on exception).
  public func intersects(_ other: NativeGeometry) throws -> Bool {
    try base.predicate(
      GEOSPreparedIntersects_r(base.context.handle, pointer, other.pointer),
      "GEOSPreparedIntersects_r")
  }

  /// `GEOSPreparedContains_r` (2 on exception).
  public func contains(_ other: NativeGeometry) throws -> Bool {
    try base.predicate(
      GEOSPreparedContains_r(base.context.handle, pointer, other.pointer),
      "GEOSPreparedContains_r")
  }

  /// `GEOSPreparedContainsProperly_r` (2 on exception): `other` lies in the interior, touching
  /// no boundary. Never falls back to a full relate, unlike `covers` and `contains` when the
  /// boundaries touch.
  public func containsProperly(_ other: NativeGeometry) throws -> Bool {
    try base.predicate(
      GEOSPreparedContainsProperly_r(base.context.handle, pointer, other.pointer),
      "GEOSPreparedContainsProperly_r")
  }

  /// `GEOSPreparedCovers_r` (2 on exception).
  public func covers(_ other: NativeGeometry) throws -> Bool {
    try base.predicate(
      GEOSPreparedCovers_r(base.context.handle, pointer, other.pointer), "GEOSPreparedCovers_r")
  }
}
