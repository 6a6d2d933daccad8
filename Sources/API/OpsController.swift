import Foundation
import Hummingbird

/// `/health` (the process is alive) and `/ready` (it can serve: database and schema).
struct OpsController<Context: RequestContext>: Sendable {
  let readiness: any ReadinessCheck
  let version: String

  func register(on router: Router<Context>) {
    router.get("health") { _, _ in
      try JSONResponse(["status": "ok", "version": version])
    }
    router.get("ready") { _, _ in
      let state = await readiness.check()
      switch state.failure {
      case nil:
        return try JSONResponse([
          "status": "ready", "database": "ok",
          "migration": String(state.migrationVersion ?? 0),
        ])
      case .databaseUnreachable:
        throw Problem(
          status: .serviceUnavailable, slug: "not-ready",
          title: .init(es: "Servicio no disponible", en: "Service not ready"),
          detail: .init(
            es: "La base de datos no responde.", en: "The database does not answer."),
          extensions: ["check": "database"])
      case .migrationsBehind(let current, let expected):
        let have = current.map(String.init) ?? "ninguna"
        throw Problem(
          status: .serviceUnavailable, slug: "not-ready",
          title: .init(es: "Servicio no disponible", en: "Service not ready"),
          detail: .init(
            es:
              "El esquema de la base de datos está en la migración \(have) y se espera la \(expected); ejecute `nodo-at migrate`.",
            en:
              "The database schema is at migration \(current.map(String.init) ?? "none") but \(expected) is expected; run `nodo-at migrate`."
          ),
          extensions: ["check": "migrations"])
      }
    }
  }
}

/// A JSON body with the right content type.
struct JSONResponse: ResponseGenerator {
  let data: Data
  let status: HTTPResponse.Status

  init(_ object: some Encodable, status: HTTPResponse.Status = .ok) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Times as RFC 3339 text, as the jobs' and analyses' are: not Foundation's default, seconds
    // since 2001 as a bare number.
    encoder.dateEncodingStrategy = .iso8601
    self.data = try encoder.encode(object)
    self.status = status
  }

  func response(from request: Request, context: some RequestContext) throws -> Response {
    Self.response(data, status: status)
  }

  /// A response carrying JSON that is already serialised.
  static func response(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    response(Data(text.utf8), status: status)
  }

  static func response(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}
