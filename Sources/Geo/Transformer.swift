import CGEOS
import CPROJ

/// A coordinate transformation between two CRSs, owning its `PJ_CONTEXT` and `PJ`.
///
/// Input and output use GIS axis order (longitude/easting first) whatever the CRS declares:
/// the operation is normalised with `proj_normalize_for_visualization`. Not `Sendable`:
/// creating one looks the operation up in PROJ's database (10–20 ms), so cache one per worker
/// task, and give other threads `copy()`s.
public final class Transformer {
  public let source: String
  public let target: String
  private let context: OpaquePointer
  private let operation: OpaquePointer

  /// `proj_context_create` (NULL on failure), `proj_create_crs_to_crs` (NULL on error) and
  /// `proj_normalize_for_visualization` (NULL on error). `source` and `target` are anything
  /// PROJ accepts: "EPSG:4686", a WKT string, a PROJ string.
  public init(from source: String, to target: String) throws {
    guard let context = proj_context_create() else {
      throw GeoError.proj(function: "proj_context_create", message: "could not create a context")
    }
    func fail(_ function: String) -> GeoError {
      let code = proj_context_errno(context)
      let message = proj_context_errno_string(context, code).map { String(cString: $0) }
      return .proj(function: function, message: message ?? "error \(code)")
    }
    guard let raw = proj_create_crs_to_crs(context, source, target, nil) else {
      let error = fail("proj_create_crs_to_crs")
      proj_context_destroy(context)
      throw error
    }
    defer { proj_destroy(raw) }
    guard let normalized = proj_normalize_for_visualization(context, raw) else {
      let error = fail("proj_normalize_for_visualization")
      proj_context_destroy(context)
      throw error
    }
    self.context = context
    self.operation = normalized
    self.source = source
    self.target = target
  }

  private init(context: OpaquePointer, operation: OpaquePointer, source: String, target: String) {
    self.context = context
    self.operation = operation
    self.source = source
    self.target = target
  }

  /// The same operation with a context of its own, for use on another thread while this one
  /// is not in use (`proj_clone`: about 0.3 ms, no database lookup). Nil when PROJ cannot
  /// clone it.
  public func copy() -> Transformer? {
    guard let context = proj_context_create() else { return nil }
    guard let operation = proj_clone(context, self.operation) else {
      proj_context_destroy(context)
      return nil
    }
    return Transformer(context: context, operation: operation, source: source, target: target)
  }

  /// Convenience for EPSG codes.
  public convenience init(fromEPSG source: Int, toEPSG target: Int) throws {
    try self.init(from: "EPSG:\(source)", to: "EPSG:\(target)")
  }

  deinit {
    proj_destroy(operation)
    proj_context_destroy(context)
  }

  /// Transforms coordinate arrays in place with `proj_trans_generic` (returns the count of
  /// transformed points; failed points become `HUGE_VAL`, checked here).
  public func transform(x: inout [Double], y: inout [Double]) throws {
    precondition(x.count == y.count, "x and y must have the same length")
    let count = x.count
    guard count > 0 else { return }
    proj_errno_reset(operation)
    let stride = MemoryLayout<Double>.stride
    let done = x.withUnsafeMutableBufferPointer { xs in
      y.withUnsafeMutableBufferPointer { ys in
        proj_trans_generic(
          operation, PJ_FWD, xs.baseAddress, stride, count, ys.baseAddress, stride, count,
          nil, 0, 0, nil, 0, 0)
      }
    }
    let failed = x.indices.first { !x[$0].isFinite || !y[$0].isFinite }
    if done != count || failed != nil {
      let code = proj_errno(operation)
      let message = proj_context_errno_string(context, code).map { String(cString: $0) }
      let which = failed.map { " (point \($0))" } ?? ""
      throw GeoError.proj(
        function: "proj_trans_generic",
        message: (message ?? "transformation failed") + which)
    }
  }

  /// Transforms one point.
  public func transform(x: Double, y: Double) throws -> (x: Double, y: Double) {
    var xs = [x]
    var ys = [y]
    try transform(x: &xs, y: &ys)
    return (xs[0], ys[0])
  }

  /// Transforms a box by densifying its edges (`proj_trans_bounds`, 0 on failure).
  public func transform(_ envelope: Envelope) throws -> Envelope {
    var out = Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0)
    let ok = proj_trans_bounds(
      context, operation, PJ_FWD, envelope.minX, envelope.minY, envelope.maxX, envelope.maxY,
      &out.minX, &out.minY, &out.maxX, &out.maxY, 21)
    guard ok != 0, out.minX.isFinite, out.maxY.isFinite else {
      let code = proj_context_errno(context)
      let message = proj_context_errno_string(context, code).map { String(cString: $0) }
      throw GeoError.proj(function: "proj_trans_bounds", message: message ?? "failed")
    }
    return out
  }

  /// Carries the PROJ operation and the first failure through GEOS's callback `userdata`.
  private final class CoordinateSink {
    let operation: OpaquePointer
    var failed = false
    init(operation: OpaquePointer) { self.operation = operation }
  }

  /// Transforms every coordinate of `geometry` with `GEOSGeom_transformXY_r` (NULL on
  /// exception), calling `proj_trans` per vertex. Z is not carried.
  public func transform(_ geometry: NativeGeometry) throws -> NativeGeometry {
    let sink = CoordinateSink(operation: operation)
    let context = geometry.context
    let result = withExtendedLifetime(sink) {
      GEOSGeom_transformXY_r(
        context.handle, geometry.pointer,
        { x, y, userdata in
          guard let x, let y, let userdata else { return 0 }
          let sink = Unmanaged<CoordinateSink>.fromOpaque(userdata).takeUnretainedValue()
          let out = proj_trans(sink.operation, PJ_FWD, proj_coord(x.pointee, y.pointee, 0, 0))
          guard out.xy.x.isFinite, out.xy.y.isFinite else {
            sink.failed = true
            return 0
          }
          x.pointee = out.xy.x
          y.pointee = out.xy.y
          return 1
        }, Unmanaged.passUnretained(sink).toOpaque())
    }
    if sink.failed || result == nil {
      if let result { GEOSGeom_destroy_r(context.handle, result) }
      let code = proj_errno(operation)
      let message = proj_context_errno_string(self.context, code).map { String(cString: $0) }
      throw GeoError.proj(
        function: "proj_trans", message: message ?? "a coordinate could not be transformed")
    }
    return try context.owned(result, "GEOSGeom_transformXY_r")
  }
}
