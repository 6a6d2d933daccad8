import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Store

/// Who is calling: a key's id and role, or nobody (writes allowed without a key only with
/// `--allow-unauthenticated-writes`).
struct Caller: Sendable {
  var keyID: Int64?
  var role: Role?
  var divipola: [String]?
}

/// API keys (`Authorization: Bearer nodo_…`) with roles and optional DIVIPOLA scopes. Reads are
/// public unless `requireKeyForReads`; writes need a key with the role. A missing or unknown
/// key is 401, a wrong role or scope 403. Every write is audited.
struct AccessPolicy: Sendable {
  let database: Database
  let allowUnauthenticatedWrites: Bool
  let requireKeyForReads: Bool

  private var logger: Logger { database.logger }

  /// The key presented, verified; nil when there is none. A malformed or unknown key is 401.
  func caller(_ request: Request) async throws -> Caller? {
    guard let header = request.headers[.authorization] else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw Problem.unauthorized(invalid: true)
    }
    guard
      let record = try await AccessRepository.verify(
        String(parts[1]).trimmingCharacters(in: .whitespaces), client: database.client, logger: logger)
    else { throw Problem.unauthorized(invalid: true) }
    return Caller(keyID: record.id, role: record.role, divipola: record.divipola)
  }

  /// The caller, who must hold `role` (admin holds every role) and, with a scoped key,
  /// `divipola` in its scope.
  func require(_ role: Role, divipola: String? = nil, request: Request) async throws -> Caller {
    guard let caller = try await caller(request) else {
      if allowUnauthenticatedWrites { return Caller(keyID: nil, role: nil, divipola: nil) }
      throw Problem.unauthorized(invalid: false)
    }
    guard caller.role == role || caller.role == .admin else {
      await audit(
        caller, action: "denied", target: request.uri.path, result: "403 role \(caller.role?.rawValue ?? "-")"
      )
      throw Problem.forbidden(
        es:
          "Esta operación necesita el rol \(role.rawValue); la clave tiene \(caller.role?.rawValue ?? "ninguno").",
        en: "This operation needs the \(role.rawValue) role; the key has \(caller.role?.rawValue ?? "none").")
    }
    if let scope = caller.divipola, caller.role != .admin {
      guard let divipola, scope.contains(divipola) else {
        await audit(caller, action: "denied", target: request.uri.path, result: "403 scope")
        throw Problem.forbidden(
          es:
            "La clave solo vale para \(scope.joined(separator: ", ")); esta operación es de \(divipola ?? "otro ámbito").",
          en:
            "The key is only valid for \(scope.joined(separator: ", ")); this operation is for \(divipola ?? "another scope")."
        )
      }
    }
    return caller
  }

  /// Records a write (who, what, when, result); never fails the request.
  func audit(_ caller: Caller, action: String, target: String?, result: String) async {
    do {
      try await AccessRepository.record(
        keyID: caller.keyID, role: caller.role?.rawValue ?? "anonymous", action: action, target: target,
        result: result, client: database.client, logger: logger)
    } catch {
      logger.error(
        "audit event not recorded", metadata: ["action": "\(action)", "error": "\(describe(error))"])
    }
  }
}

/// With `requireKeyForReads`, every route but the operational ones needs a valid key.
struct ReadAccessMiddleware<Context: RequestContext>: RouterMiddleware {
  let policy: AccessPolicy

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws
    -> Response
  {
    if policy.requireKeyForReads, !["/health", "/ready", "/metrics"].contains(request.uri.path) {
      guard try await policy.caller(request) != nil else { throw Problem.unauthorized(invalid: false) }
    }
    return try await next(request, context)
  }
}

extension Problem {
  static func unauthorized(invalid: Bool) -> Problem {
    Problem(
      status: .unauthorized, slug: "unauthorized",
      title: .init(es: "Se necesita una clave de API", en: "An API key is needed"),
      detail: invalid
        ? .init(
          es: "La clave presentada no es válida o fue revocada.",
          en: "The key presented is not valid or was revoked.")
        : .init(
          es:
            "Envíe una clave en el encabezado Authorization: Bearer nodo_…; un administrador la crea con nodo-at keys create.",
          en:
            "Send a key in the Authorization: Bearer nodo_… header; an administrator creates one with nodo-at keys create."
        ))
  }

  static func forbidden(es: String, en: String) -> Problem {
    Problem(
      status: .forbidden, slug: "forbidden", title: .init(es: "No permitido", en: "Forbidden"),
      detail: .init(es: es, en: en))
  }
}
