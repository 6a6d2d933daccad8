import Catalog
import Foundation
import Hummingbird
import Ingest
import Logging
import NIOCore
import PostgresNIO
import Store

/// Configuration of uploads.
public struct UploadConfiguration: Sendable {
  /// Larger bodies are refused with 413.
  public var maxBytes: Int64
  /// Where uploads are streamed before their job reads them.
  public var directory: URL
  /// Writes without an API key are accepted (and audited as anonymous): for a trusted
  /// network or a demo only.
  public var allowUnauthenticatedWrites: Bool

  public init(maxBytes: Int64 = 2 << 30, directory: URL, allowUnauthenticatedWrites: Bool = false) {
    self.maxBytes = maxBytes
    self.directory = directory
    self.allowUnauthenticatedWrites = allowUnauthenticatedWrites
  }
}

/// Layers, their versions and reports; uploads that become ingest jobs; job status.
struct LayersController<Context: RequestContext>: Sendable {
  let database: Database
  let uploads: UploadConfiguration
  let access: AccessPolicy

  func register(on router: Router<Context>) {
    router.get("layers", use: list)
    router.get("layers/:slug/versions", use: versions)
    router.post("layers/:slug/versions", use: upload)
    router.get("layers/:slug/versions/:number/report", use: report)
    router.post("layers/:slug/publish", use: publish)
    router.post("layers/:slug/rollback", use: rollback)
    router.get("jobs/:id", use: job)
  }

  private var logger: Logger { database.logger }

  @Sendable func list(_ request: Request, context: Context) async throws -> JSONResponse {
    let logger = self.logger
    let layers = try await database.client.withConnection {
      try await LayerRepository.layers(on: $0, logger: logger)
    }
    return try JSONResponse(["layers": layers])
  }

  @Sendable func versions(_ request: Request, context: Context) async throws -> JSONResponse {
    let slug = try context.parameters.require("slug")
    let logger = self.logger
    let versions = try await database.client.withConnection {
      try await LayerRepository.versions(slug: slug, on: $0, logger: logger)
    }
    guard !versions.isEmpty else { throw Problem.layerNotFound(slug) }
    return try JSONResponse(["versions": versions])
  }

  @Sendable func report(_ request: Request, context: Context) async throws -> Response {
    let slug = try context.parameters.require("slug")
    guard let number = context.parameters.get("number", as: Int.self) else {
      throw Problem.badRequest(
        es: "El número de versión debe ser un entero.", en: "The version number must be an integer.")
    }
    guard
      let text = try await LayerRepository.report(
        slug: slug, number: number, client: database.client, logger: logger)
    else { throw Problem.versionNotFound(slug, number) }
    return JSONResponse.response(text)
  }

  @Sendable func job(_ request: Request, context: Context) async throws -> Response {
    guard let id = context.parameters.get("id", as: Int64.self),
      let job = try await JobRepository.find(id: id, client: database.client, logger: logger)
    else {
      throw Problem(
        status: .notFound, slug: "job-not-found",
        title: .init(es: "Trabajo no encontrado", en: "Job not found"),
        detail: .init(es: "No existe ese trabajo.", en: "There is no such job."))
    }
    var object: [String: Any] = [
      "id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
      "created_at": ISO8601DateFormatter().string(from: job.createdAt),
    ]
    object["message"] = job.message
    object["started_at"] = job.startedAt.map { ISO8601DateFormatter().string(from: $0) }
    object["finished_at"] = job.finishedAt.map { ISO8601DateFormatter().string(from: $0) }
    for (key, text) in [("result", job.result), ("error", job.error), ("params", job.params)] {
      if let text, let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) {
        object[key] = value
      }
    }
    if var params = object["params"] as? [String: Any], var options = params["options"] as? [String: Any] {
      options["paths"] = nil  // server-side paths: not the client's business
      params["options"] = options
      object["params"] = params
    }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return JSONResponse.response(data)
  }

  /// Streams the upload to disk (never whole in memory) — the file as the body, or as the
  /// `file` part of a multipart form — refusing more than the limit, and queues an ingest
  /// job: 202 with the job's URL.
  @Sendable func upload(_ request: Request, context: Context) async throws -> Response {
    let slug = try context.parameters.require("slug")
    let caller = try await access.require(
      .technician, divipola: request.uri.queryParameters["divipola"].map(String.init), request: request)
    if let length = request.headers[.contentLength].flatMap(Int64.init), length > uploads.maxBytes {
      throw Problem.tooLarge(uploads.maxBytes)
    }
    try FileManager.default.createDirectory(at: uploads.directory, withIntermediateDirectories: true)
    let folder = uploads.directory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let staging = folder.appendingPathComponent("body")
    let receiver = UploadReceiver(limit: uploads.maxBytes)
    do {
      try await receiver.receive(
        request.body, boundary: UploadReceiver.boundary(request.headers[.contentType]), to: staging)
    } catch {
      try? FileManager.default.removeItem(at: folder)
      throw error
    }
    // Parameters come from the query string or, in a form, from its text fields.
    let query = request.uri.queryParameters
    func values(_ key: String) -> [String] {
      let fromQuery = query.getAll(key).map { String($0) }
      return fromQuery.isEmpty ? receiver.fields[key] ?? [] : fromQuery
    }
    func value(_ key: String) -> String? { values(key).first }
    guard receiver.written > 0 else {
      try? FileManager.default.removeItem(at: folder)
      throw Problem.badRequest(es: "No llegó ningún archivo.", en: "No file arrived.")
    }
    guard let kind = value("kind").flatMap(LayerKind.init(rawValue:)) else {
      try? FileManager.default.removeItem(at: folder)
      throw Problem.badRequest(
        es: "Falta el parámetro kind (cadastral, pot, determinant, condicionante o boundary).",
        en: "The kind parameter is missing (cadastral, pot, determinant, condicionante or boundary).")
    }
    let name = Self.safeName(
      value("filename") ?? receiver.filename ?? Self.defaultName(contentType: request.headers[.contentType]))
    let file = folder.appendingPathComponent(name)
    try FileManager.default.moveItem(at: staging, to: file)
    var options = IngestOptions(
      paths: [file.path], layer: slug, kind: kind, type: value("type"), divipola: value("divipola"),
      crs: value("crs"), encoding: value("encoding"), sourceLayer: value("source_layer"),
      mappings: values("map").compactMap { text in
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : nil
      },
      publish: value("publish") == "true", strict: value("strict") == "true",
      allowOutsideColombia: value("allow_outside_colombia") == "true", createdBy: "http")
    options.checkGaps = value("check_gaps") == "true"
    let params = IngestJobParams(originalName: name, options: options)
    let json = String(decoding: try JSONEncoder().encode(params), as: UTF8.self)
    let id = try await JobRepository.enqueue(
      kind: "ingest", paramsJSON: json, client: database.client, logger: logger)
    await access.audit(
      caller, action: "layer.upload", target: slug, result: "job \(id), \(receiver.written) bytes")
    var response = JSONResponse.response(
      #"{"job":\#(id),"status":"queued","href":"/jobs/\#(id)","bytes":\#(receiver.written)}"#)
    response.status = .accepted
    response.headers[.location] = "/jobs/\(id)"
    return response
  }

  @Sendable func publish(_ request: Request, context: Context) async throws -> Response {
    let slug = try context.parameters.require("slug")
    let scope = try await database.client.withConnection { [logger] in
      try await LayerRepository.find(slug, on: $0, logger: logger)
    }
    let caller = try await access.require(.technician, divipola: scope?.divipola, request: request)
    let wanted = request.uri.queryParameters.get("version").flatMap(Int.init)
    let logger = self.logger
    let number = try await database.client.withTransaction(logger: logger) { connection -> Int in
      guard let layer = try await LayerRepository.find(slug, on: connection, logger: logger) else {
        throw Problem.layerNotFound(slug)
      }
      let versions = try await LayerRepository.versions(slug: slug, on: connection, logger: logger)
      let candidate = wanted.map { w in versions.first { $0.number == w } } ?? versions.first
      guard let target = candidate, target.status != "failed"
      else { throw Problem.versionNotFound(slug, wanted ?? 0) }
      try await LayerRepository.publish(
        layerID: layer.id, versionID: target.id, on: connection, logger: logger)
      return target.number
    }
    await access.audit(caller, action: "layer.publish", target: slug, result: "version \(number)")
    return JSONResponse.response(#"{"layer":"\#(slug)","published":\#(number)}"#)
  }

  @Sendable func rollback(_ request: Request, context: Context) async throws -> Response {
    let slug = try context.parameters.require("slug")
    let caller = try await access.require(.admin, request: request)
    let logger = self.logger
    do {
      let (from, to) = try await database.client.withTransaction(logger: logger) { connection in
        try await LayerRepository.rollback(slug: slug, on: connection, logger: logger)
      }
      await access.audit(caller, action: "layer.rollback", target: slug, result: "v\(from) → v\(to)")
      return JSONResponse.response(#"{"layer":"\#(slug)","from":\#(from),"published":\#(to)}"#)
    } catch let error as PostgresTransactionError {
      if let layerError = error.closureError as? LayerError {
        throw Problem(
          status: .conflict, slug: "rollback-impossible",
          title: .init(es: "No se puede volver atrás", en: "Cannot roll back"),
          detail: .init(
            es: IngestError.layer(layerError).message(.es), en: IngestError.layer(layerError).message(.en)))
      }
      throw error
    }
  }

  /// Keeps a file name's last component, letters, digits, dot, dash and underscore.
  /// The name of a body sent without one, from its declared type: GDAL tells formats apart by
  /// extension, and a GeoJSON body taken for a zip was refused as a damaged archive. A zip when
  /// the type says nothing more.
  static func defaultName(contentType: String?) -> String {
    let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
    switch type {
    case "application/geo+json", "application/json": return "upload.geojson"
    case "application/geopackage+sqlite3": return "upload.gpkg"
    case "application/vnd.google-earth.kml+xml": return "upload.kml"
    default: return "upload.zip"
    }
  }

  static func safeName(_ name: String) -> String {
    let last = name.split(separator: "/").last.map(String.init) ?? "upload"
    let cleaned = String(
      last.unicodeScalars.map { scalar -> Character in
        CharacterSet.alphanumerics.contains(scalar) || ".-_".unicodeScalars.contains(scalar)
          ? Character(scalar) : "_"
      })
    return cleaned.isEmpty || cleaned.hasPrefix(".") ? "upload" + cleaned : cleaned
  }

}

extension Problem {
  static func badRequest(es: String, en: String) -> Problem {
    Problem(
      status: .badRequest, slug: "bad-request", title: .init(es: "Solicitud inválida", en: "Bad request"),
      detail: .init(es: es, en: en))
  }

  static func tooLarge(_ limit: Int64) -> Problem {
    Problem(
      status: .contentTooLarge, slug: "upload-too-large",
      title: .init(es: "Archivo demasiado grande", en: "Upload too large"),
      detail: .init(
        es: "El archivo supera el límite de \(limit) bytes.",
        en: "The upload exceeds the \(limit)-byte limit."),
      extensions: ["limit": String(limit)])
  }

  static func layerNotFound(_ slug: String) -> Problem {
    Problem(
      status: .notFound, slug: "layer-not-found",
      title: .init(es: "Capa no encontrada", en: "Layer not found"),
      detail: .init(es: "No existe la capa «\(slug)».", en: "There is no layer “\(slug)”."))
  }

  static func versionNotFound(_ slug: String, _ number: Int) -> Problem {
    Problem(
      status: .notFound, slug: "version-not-found",
      title: .init(es: "Versión no encontrada", en: "Version not found"),
      detail: .init(
        es: "La capa «\(slug)» no tiene la versión \(number).",
        en: "Layer “\(slug)” has no version \(number)."))
  }
}
