import CGDAL

/// Process-wide GDAL set-up and error state helpers.
public enum GDAL {
  /// Runs `GDALAllRegister()` once, and routes CPL errors to the quiet handler so they are read
  /// from `CPLGetLastErrorMsg()` and surface in thrown errors instead of on stderr.
  private static let registration: Void = {
    CPLSetErrorHandler(CPLQuietErrorHandler)
    // Shapefiles without .shx must fail, not be silently rebuilt.
    CPLSetConfigOption("SHAPE_RESTORE_SHX", "NO")
    GDALAllRegister()
  }()

  /// Registers all drivers (idempotent, thread-safe).
  public static func register() { _ = registration }

  /// `GDAL_VERSION_NUM` and the release name.
  public static var version: String {
    GDALVersionInfo("RELEASE_NAME").map { String(cString: $0) } ?? "unknown"
  }

  /// `CPLGetLastErrorMsg()`: thread-local; read it right after the failing call.
  static func lastErrorMessage() -> String {
    CPLGetLastErrorMsg().map { String(cString: $0) } ?? ""
  }

  /// Calls `body` with a NULL-terminated `char**` option list built from `options`
  /// (each string `strdup`ed, freed afterwards).
  static func withOptions<R>(
    _ options: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R
  ) -> R {
    var list: [UnsafeMutablePointer<CChar>?] = options.map { strdup($0) }
    list.append(nil)
    defer { list.forEach { free($0) } }
    return list.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
  }
}

extension GDAL {
  /// Like ``withOptions(_:_:)`` for functions taking `const char* const*`.
  static func withConstOptions<R>(
    _ options: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R
  ) -> R {
    withOptions(options) { list in
      list.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: options.count + 1) {
        body(UnsafePointer($0))
      }
    }
  }
}

extension GDAL {
  /// `CPLSetConfigOption`: process-wide GDAL settings (for example `OGR_CURRENT_DATE`, which
  /// makes GeoPackage timestamps reproducible).
  public static func setConfigOption(_ key: String, _ value: String?) {
    register()
    CPLSetConfigOption(key, value)
  }
}
