/// An error raised by one of the C libraries Geo wraps, carrying the library's own message.
public enum GeoError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A GEOS call failed; `function` names the C function, `message` is what GEOS reported.
  case geos(function: String, message: String)
  /// A PROJ call failed.
  case proj(function: String, message: String)
  /// A GDAL/OGR call failed; `message` is `CPLGetLastErrorMsg()` read right after the call.
  case gdal(function: String, message: String)
  /// Bytes that are not a well-formed WKB geometry.
  case invalidWKB(String)
  /// A CRS that cannot be understood.
  case unknownCRS(String)

  public var description: String {
    switch self {
    case .geos(let function, let message): "GEOS \(function): \(message)"
    case .proj(let function, let message): "PROJ \(function): \(message)"
    case .gdal(let function, let message): "GDAL \(function): \(message)"
    case .invalidWKB(let message): "invalid WKB: \(message)"
    case .unknownCRS(let message): "unknown CRS: \(message)"
    }
  }

  /// The library's message without the function name, for people.
  public var message: String {
    switch self {
    case .geos(_, let message), .proj(_, let message), .gdal(_, let message): message
    case .invalidWKB(let message), .unknownCRS(let message): message
    }
  }
}
