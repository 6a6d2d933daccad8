import CGEOS

/// Owns one GEOS context handle (`GEOS_init_r` / `GEOS_finish_r`) and the messages GEOS reports on it.
///
/// Not `Sendable`: a context belongs to one task. Create one per operation or per batch
/// (it costs about 70 ns) and move ``Geometry`` values (WKB bytes) between tasks instead.
public final class GeometryContext {
  /// Receives GEOS's error and notice messages through the handlers' `userdata`.
  final class MessageSink {
    var lastError: String?
    var lastNotice: String?
  }

  let handle: OpaquePointer
  let sink = MessageSink()
  private var wkbReader: OpaquePointer?
  private var wkbWriter: OpaquePointer?
  private var wktReader: OpaquePointer?

  /// Wraps `GEOS_init_r` (NULL on failure) and installs message handlers that record GEOS's
  /// messages so they reach the thrown ``GeoError``.
  public init() throws {
    guard let handle = GEOS_init_r() else {
      throw GeoError.geos(function: "GEOS_init_r", message: "could not create a GEOS context")
    }
    self.handle = handle
    let userdata = Unmanaged.passUnretained(sink).toOpaque()
    // GEOSContext_set*MessageHandler_r return the previous handler; nothing to check.
    _ = GEOSContext_setErrorMessageHandler_r(
      handle,
      { message, userdata in
        guard let message, let userdata else { return }
        Unmanaged<MessageSink>.fromOpaque(userdata).takeUnretainedValue().lastError = String(
          cString: message)
      }, userdata)
    _ = GEOSContext_setNoticeMessageHandler_r(
      handle,
      { message, userdata in
        guard let message, let userdata else { return }
        Unmanaged<MessageSink>.fromOpaque(userdata).takeUnretainedValue().lastNotice = String(
          cString: message)
      }, userdata)
  }

  deinit {
    if let wkbReader { GEOSWKBReader_destroy_r(handle, wkbReader) }
    if let wkbWriter { GEOSWKBWriter_destroy_r(handle, wkbWriter) }
    if let wktReader { GEOSWKTReader_destroy_r(handle, wktReader) }
    GEOS_finish_r(handle)
  }

  /// The error for a failed call to `function`, with GEOS's last message (then cleared).
  func error(_ function: String) -> GeoError {
    let message = sink.lastError ?? "failed without a message"
    sink.lastError = nil
    return .geos(function: function, message: message)
  }

  /// Checks the "NULL on exception" convention and takes ownership of the result.
  func owned(_ pointer: OpaquePointer?, _ function: String) throws -> NativeGeometry {
    guard let pointer else { throw error(function) }
    return NativeGeometry(context: self, pointer: pointer, owner: nil)
  }

  // MARK: Reading and writing

  /// Parses WKB (or EWKB) with `GEOSWKBReader_read_r` (NULL on exception).
  public func read(wkb bytes: [UInt8]) throws -> NativeGeometry {
    if wkbReader == nil {
      wkbReader = GEOSWKBReader_create_r(handle)
      guard wkbReader != nil else { throw error("GEOSWKBReader_create_r") }
    }
    let pointer = bytes.withUnsafeBufferPointer {
      GEOSWKBReader_read_r(handle, wkbReader, $0.baseAddress, $0.count)
    }
    return try owned(pointer, "GEOSWKBReader_read_r")
  }

  /// Parses a ``Geometry`` value into a live GEOS geometry owned by this context.
  public func read(_ geometry: Geometry) throws -> NativeGeometry {
    try read(wkb: geometry.wkb)
  }

  /// Parses WKT with `GEOSWKTReader_read_r` (NULL on exception).
  public func read(wkt: String) throws -> NativeGeometry {
    if wktReader == nil {
      wktReader = GEOSWKTReader_create_r(handle)
      guard wktReader != nil else { throw error("GEOSWKTReader_create_r") }
    }
    let pointer = wkt.withCString { GEOSWKTReader_read_r(handle, wktReader, $0) }
    return try owned(pointer, "GEOSWKTReader_read_r")
  }

  /// Writes 2D little-endian ISO WKB with `GEOSWKBWriter_write_r` (NULL on exception; the
  /// buffer is freed with `GEOSFree_r`). Z and M are dropped.
  func writeWKB(_ pointer: OpaquePointer) throws -> [UInt8] {
    if wkbWriter == nil {
      guard let writer = GEOSWKBWriter_create_r(handle) else {
        throw error("GEOSWKBWriter_create_r")
      }
      GEOSWKBWriter_setOutputDimension_r(handle, writer, 2)
      GEOSWKBWriter_setByteOrder_r(handle, writer, Int32(GEOS_WKB_NDR.rawValue))
      GEOSWKBWriter_setIncludeSRID_r(handle, writer, 0)
      wkbWriter = writer
    }
    var size = 0
    guard let buffer = GEOSWKBWriter_write_r(handle, wkbWriter, pointer, &size) else {
      throw error("GEOSWKBWriter_write_r")
    }
    defer { GEOSFree_r(handle, buffer) }
    return Array(UnsafeBufferPointer(start: buffer, count: size))
  }

  // MARK: Constructors

  /// A rectangle polygon, with `GEOSGeom_createRectangle_r` (NULL on exception).
  public func rectangle(_ envelope: Envelope) throws -> NativeGeometry {
    try owned(
      GEOSGeom_createRectangle_r(
        handle, envelope.minX, envelope.minY, envelope.maxX, envelope.maxY),
      "GEOSGeom_createRectangle_r")
  }

  /// Builds a collection of `type` from `parts`, with `GEOSGeom_createCollection_r` (NULL on
  /// exception). GEOS takes ownership of the parts, so they are cloned first.
  public func collection(_ type: GeometryType, of parts: [NativeGeometry]) throws -> NativeGeometry {
    var clones: [OpaquePointer?] = []
    clones.reserveCapacity(parts.count)
    for part in parts {
      guard let clone = GEOSGeom_clone_r(handle, part.pointer) else {
        clones.forEach { GEOSGeom_destroy_r(handle, $0) }
        throw error("GEOSGeom_clone_r")
      }
      clones.append(clone)
    }
    let pointer = clones.withUnsafeMutableBufferPointer {
      GEOSGeom_createCollection_r(handle, Int32(type.rawValue), $0.baseAddress, UInt32($0.count))
    }
    if pointer == nil { clones.forEach { GEOSGeom_destroy_r(handle, $0) } }
    return try owned(pointer, "GEOSGeom_createCollection_r")
  }

  /// Builds polygons from noded linework, with `GEOSPolygonize_r` (NULL on exception). The
  /// result is a geometry collection of polygons.
  public func polygonize(_ lines: [NativeGeometry]) throws -> NativeGeometry {
    let pointers: [OpaquePointer?] = lines.map { $0.pointer }
    let result = withExtendedLifetime(lines) {
      pointers.withUnsafeBufferPointer {
        GEOSPolygonize_r(handle, $0.baseAddress, UInt32($0.count))
      }
    }
    return try owned(result, "GEOSPolygonize_r")
  }
}
