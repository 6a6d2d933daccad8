import Catalog
import Foundation
import Hummingbird
import Logging
import NIOCore
import Store

/// Key management and the audit trail: admin only.
struct AdminController<Context: RequestContext>: Sendable {
  let database: Database
  let access: AccessPolicy
  private var logger: Logger { database.logger }

  func register(on router: Router<Context>) {
    router.get("keys", use: list)
    router.post("keys", use: create)
    router.delete("keys/:id", use: revoke)
    router.get("audit", use: audit)
  }

  struct NewKey: Decodable {
    var role: String
    var divipola: [String]?
    var label: String?
  }

  @Sendable func list(_ request: Request, context: Context) async throws -> JSONResponse {
    _ = try await access.require(.admin, request: request)
    return try JSONResponse(["keys": try await AccessRepository.list(client: database.client, logger: logger)]
    )
  }

  @Sendable func create(_ request: Request, context: Context) async throws -> Response {
    let caller = try await access.require(.admin, request: request)
    let buffer = try await request.body.collect(upTo: 16 * 1024)
    guard let body = try? JSONDecoder().decode(NewKey.self, from: Data(buffer.readableBytesView)),
      let role = Role(rawValue: body.role)
    else {
      throw Problem.badRequest(
        es:
          "El cuerpo debe ser JSON: {\"role\": \"technician|planner|admin\", \"divipola\": [\"NNNNN\"], \"label\": \"…\"}.",
        en:
          "The body must be JSON: {\"role\": \"technician|planner|admin\", \"divipola\": [\"NNNNN\"], \"label\": \"…\"}."
      )
    }
    if let codes = body.divipola, let bad = codes.first(where: { Divipola($0) == nil }) {
      throw Problem.badRequest(
        es: "«\(bad)» no es un código DIVIPOLA.", en: "\"\(bad)\" is not a DIVIPOLA code.")
    }
    let (key, record) = try await AccessRepository.create(
      role: role, divipola: body.divipola, label: body.label, client: database.client, logger: logger)
    await access.audit(
      caller, action: "key.create", target: "key \(record.id)", result: "role \(role.rawValue)")
    var response = try JSONResponse(CreatedKey(key: key, record: record)).response(
      from: request, context: context)
    response.status = .created
    return response
  }

  @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
    let caller = try await access.require(.admin, request: request)
    guard let id = context.parameters.get("id", as: Int64.self),
      try await AccessRepository.revoke(id: id, client: database.client, logger: logger)
    else {
      throw Problem(
        status: .notFound, slug: "key-not-found",
        title: .init(es: "Clave no encontrada", en: "Key not found"),
        detail: .init(
          es: "No hay una clave activa con ese número.", en: "There is no active key with that number."))
    }
    await access.audit(caller, action: "key.revoke", target: "key \(id)", result: "revoked")
    return Response(status: .noContent)
  }

  @Sendable func audit(_ request: Request, context: Context) async throws -> JSONResponse {
    _ = try await access.require(.admin, request: request)
    let limit = min(request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100, 1_000)
    return try JSONResponse([
      "events": try await AccessRepository.audit(limit: limit, client: database.client, logger: logger)
    ])
  }
}

/// A new key, shown once.
struct CreatedKey: Encodable {
  var key: String
  var record: APIKeyRecord
}
