import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An RFC 9457 problem: every error the API answers is one, as `application/problem+json`,
/// with `title` and `detail` in the client's language (Spanish unless `Accept-Language` asks
/// for English).
public struct Problem: Error, Sendable {
  public var status: HTTPResponse.Status
  /// A stable identifier of the kind of problem; the response's `type` is `/problems/<slug>`.
  public var slug: String
  public var title: LocalizedText
  public var detail: LocalizedText
  /// Extra members (RFC 9457 extensions), e.g. the failing check.
  public var extensions: [String: String]

  public init(
    status: HTTPResponse.Status, slug: String, title: LocalizedText, detail: LocalizedText,
    extensions: [String: String] = [:]
  ) {
    self.status = status
    self.slug = slug
    self.title = title
    self.detail = detail
    self.extensions = extensions
  }

  /// The body for `language`.
  func body(language: Language, instance: String?) -> [String: String] {
    var body = extensions
    body["type"] = "/problems/\(slug)"
    body["title"] = title.text(language)
    body["status"] = nil
    body["detail"] = detail.text(language)
    if let instance { body["instance"] = instance }
    return body
  }

  /// Encodes the problem as the response for `request`.
  func response(for request: Request) -> Response {
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    var object: [String: Any] = body(language: language, instance: request.uri.path)
    object["status"] = Int(status.code)
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
      ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/problem+json"
    headers[.contentLanguage] = language.rawValue
    return Response(
      status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}

/// Text in Spanish and English.
public struct LocalizedText: Sendable, Equatable {
  public var es: String
  public var en: String
  public init(es: String, en: String) {
    self.es = es
    self.en = en
  }
  public func text(_ language: Language) -> String { language.pick(es, en) }
}

extension Problem {
  static func notFound(path: String) -> Problem {
    Problem(
      status: .notFound, slug: "not-found",
      title: .init(es: "Recurso no encontrado", en: "Resource not found"),
      detail: .init(
        es: "No existe ningún recurso en \(path).", en: "There is no resource at \(path)."))
  }

  static func methodNotAllowed(method: String, path: String) -> Problem {
    Problem(
      status: .methodNotAllowed, slug: "method-not-allowed",
      title: .init(es: "Método no permitido", en: "Method not allowed"),
      detail: .init(
        es: "\(path) no acepta el método \(method).", en: "\(path) does not accept \(method)."))
  }

  /// PostgreSQL text cannot hold U+0000: a path or parameter carrying one is refused up front.
  static func nullCharacter() -> Problem {
    Problem(
      status: .badRequest, slug: "null-character",
      title: .init(es: "Solicitud inválida", en: "Invalid request"),
      detail: .init(
        es: "La dirección contiene un carácter nulo (%00), que ningún recurso ni parámetro admite.",
        en: "The address contains a null character (%00), which no resource or parameter accepts."))
  }

  static func internalError() -> Problem {
    Problem(
      status: .internalServerError, slug: "internal-error",
      title: .init(es: "Error interno", en: "Internal error"),
      detail: .init(
        es: "El servidor falló al atender la solicitud; el detalle quedó en el registro del servicio.",
        en: "The server failed to handle the request; the details are in the service log."))
  }
}
