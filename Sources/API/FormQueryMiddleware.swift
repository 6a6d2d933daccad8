import HTTPTypes
import Hummingbird

/// Reads a `+` in the query as a space, as HTML forms, Python's `requests` (hence OWSLib),
/// Werkzeug, Starlette and Go's `net/url` do: Hummingbird decodes only `%XX`, so a CQL2 filter
/// sent as `filter=npn+LIKE+...` was refused. A `+` meant as such comes as `%2B` (the links
/// this service writes encode it so). Before any route, so every query parameter reads alike.
struct FormQueryMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard let path = request.head.path, let rewritten = Self.spaces(in: path) else {
      return try await next(request, context)
    }
    var head = request.head
    head.path = rewritten
    return try await next(Request(head: head, body: request.body), context)
  }

  /// `path` with each `+` of its query written `%20`; nil when its query has none.
  static func spaces(in path: String) -> String? {
    let bytes = path.utf8
    guard let question = bytes.firstIndex(of: UInt8(ascii: "?")),
      bytes[question...].contains(UInt8(ascii: "+"))
    else { return nil }
    var out = Array(bytes[..<question])
    out.reserveCapacity(bytes.count + 8)
    for byte in bytes[question...] {
      if byte == UInt8(ascii: "+") {
        out.append(contentsOf: "%20".utf8)
      } else {
        out.append(byte)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
