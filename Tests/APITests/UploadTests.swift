import API
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NIOCore
import NodoTestSupport
import Store
import Testing

@Suite(
  "Uploads become ingest jobs",
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct UploadTests {
  struct Ready: ReadinessCheck {
    func check() async -> Readiness { Readiness(failure: nil, migrationVersion: 1, expectedVersion: 1) }
  }

  /// The Ramsar shapefile as a zip, built with Python's zipfile.
  static func ramsarZip(in scratch: Scratch) throws -> Data {
    let zip = scratch.path("ramsar.zip")
    try scratch.python(
      "import sys, os, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  for f in os.listdir(sys.argv[2]): z.write(os.path.join(sys.argv[2], f), 'h/' + f)",
      [zip, RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")])
    return try Data(contentsOf: URL(fileURLWithPath: zip))
  }

  /// Polls a job until it ends; returns its JSON. The bound only stops a hung job: the whole
  /// suite runs in parallel on two cores, where a 12-feature job has taken more than 10 s.
  static func finishedJob(_ url: String, client: some TestClientProtocol) async throws -> [String: Any] {
    for _ in 0..<2_400 {
      let job = try await client.execute(uri: url, method: .get) { response in
        try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
          ?? [:]
      }
      if let status = job["status"] as? String, status == "succeeded" || status == "failed" { return job }
      try await Task.sleep(for: .milliseconds(50))
    }
    return [:]
  }

  /// The router with a job runner working, for `body`'s requests.
  static func withJobRunner(
    _ url: DatabaseURL, uploads: UploadConfiguration,
    _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
  ) async throws {
    let logger = TestDatabase.shared.logger
    try await Database.withDatabase(url, logger: logger) { database in
      let runner = JobRunner(database: database, catalog: try DeterminantCatalog.bundled(), logger: logger)
      let loop = Task { await runner.runLoop() }
      defer { loop.cancel() }
      let app = Application(
        router: buildRouter(readiness: Ready(), database: database, options: try .testing(uploads)))
      try await app.test(.router) { client in try await body(client) }
    }
  }

  @Test("POST a zip: 202 with a job that loads and publishes the layer; report served; 413 over the limit")
  func uploadFlow() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("upload")
    let scratch = try Scratch()
    let directory = scratch.directory
    let body = try Self.ramsarZip(in: scratch)
    let uploads = UploadConfiguration(
      maxBytes: Int64(body.count) + 10, directory: directory.appendingPathComponent("uploads"),
      allowUnauthenticatedWrites: true)
    try await Self.withJobRunner(url, uploads: uploads) { client in
      let jobURL = try await client.execute(
        uri: "/layers/ramsar/versions?kind=determinant&type=2&publish=true&filename=ramsar.zip",
        method: .post,
        body: ByteBuffer(bytes: [UInt8](body))
      ) { response in
        #expect(response.status == .accepted)
        return response.headers[.location] ?? ""
      }
      #expect(jobURL.hasPrefix("/jobs/"))
      let finished = try await Self.finishedJob(jobURL, client: client)
      let status = finished["status"] as? String
      #expect(status == "succeeded")
      try await client.execute(uri: "/layers/ramsar/versions/1/report", method: .get) { response in
        #expect(response.status == .ok)
        let report =
          try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        #expect(report?["featuresWritten"] as? Int == 12)
        #expect(report?["status"] as? String == "published")
      }
      try await client.execute(
        uri: "/layers/other/versions?kind=determinant&type=2", method: .post,
        body: ByteBuffer(repeating: 0, count: body.count + 100)
      ) { response in
        #expect(response.status == .contentTooLarge)
        #expect(response.headers[.contentType] == "application/problem+json")
      }
      try await client.execute(uri: "/layers/nope/versions/1/report", method: .get) { response in
        #expect(response.status == .notFound)
      }
    }
    // The uploaded file is removed once its job has run.
    let left = (try? FileManager.default.subpathsOfDirectory(atPath: uploads.directory.path)) ?? []
    #expect(!left.contains { $0.hasSuffix(".zip") })
  }

  @Test("a GeoJSON body without a filename is read as GeoJSON, from its Content-Type")
  func geoJSONBody() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("upload-geojson")
    let scratch = try Scratch()
    let body = try Data(
      contentsOf: URL(
        fileURLWithPath: RealData.path("colombia_mgn2018_geojson/co_2018_MGN_DPTO_POLITICO.geojson")))
    let uploads = UploadConfiguration(
      directory: scratch.directory.appendingPathComponent("uploads"), allowUnauthenticatedWrites: true)
    try await Self.withJobRunner(url, uploads: uploads) { client in
      let jobURL = try await client.execute(
        uri: "/layers/dptos/versions?kind=boundary&map=divipola%3DDPTO_CCDGO", method: .post,
        headers: [.contentType: "application/geo+json"], body: ByteBuffer(bytes: [UInt8](body))
      ) { response in
        #expect(response.status == .accepted)
        return response.headers[.location] ?? ""
      }
      let finished = try await Self.finishedJob(jobURL, client: client)
      #expect(finished["status"] as? String == "succeeded", "\(finished)")
      try await client.execute(uri: "/layers/dptos/versions/1/report", method: .get) { response in
        let report =
          try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        #expect(report?["featuresWritten"] as? Int == 33)
      }
    }
  }

  @Test("a multipart/form-data upload: parameters as form fields, the file as its part")
  func multipart() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("multipart")
    let scratch = try Scratch()
    let directory = scratch.directory
    let zip = try Self.ramsarZip(in: scratch)
    let boundary = "nodo-boundary-7MA4YWxk"
    var body = Data()
    for (name, value) in [("kind", "determinant"), ("type", "2"), ("publish", "true")] {
      body += Data(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    body += Data(
      "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"humedales.zip\"\r\nContent-Type: application/zip\r\n\r\n"
        .utf8)
    body += zip
    body += Data("\r\n--\(boundary)--\r\n".utf8)
    let payload = [UInt8](body)
    let uploads = UploadConfiguration(
      directory: directory.appendingPathComponent("uploads"), allowUnauthenticatedWrites: true)
    try await Self.withJobRunner(url, uploads: uploads) { client in
      let job = try await client.execute(
        uri: "/layers/humedales/versions", method: .post,
        headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
        body: ByteBuffer(bytes: payload)
      ) { response in
        #expect(response.status == .accepted)
        let object =
          try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        #expect(object?["bytes"] as? Int == zip.count)
        return response.headers[.location] ?? ""
      }
      let finished = try await Self.finishedJob(job, client: client)
      let status = finished["status"] as? String
      let name = (finished["params"] as? [String: Any])?["originalName"] as? String
      #expect(status == "succeeded")
      #expect(name == "humedales.zip")
    }
  }

  @Test("writes without a key are refused with 401 unless enabled")
  func writesDisabled() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("nowrites")
    let logger = Logger(label: "upload-test")
    let uploads = UploadConfiguration(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent("nodo-x"))
    try await Database.withDatabase(url, logger: logger) { database in
      let app = Application(
        router: buildRouter(readiness: Ready(), database: database, options: try .testing(uploads)))
      try await app.test(.router) { client in
        try await client.execute(
          uri: "/layers/x/versions?kind=determinant&type=2", method: .post, headers: [.acceptLanguage: "en"],
          body: ByteBuffer(string: "x")
        ) { response in
          #expect(response.status == .unauthorized)
          #expect(String(buffer: response.body).contains("nodo-at keys create"))
        }
        try await client.execute(uri: "/layers/x/rollback", method: .post) { response in
          #expect(response.status == .unauthorized)
        }
      }
    }
  }
}

extension APIOptions {
  /// The bundled catalogue and matrix with `uploads`.
  static func testing(_ uploads: UploadConfiguration, requireKeyForReads: Bool = false) throws -> APIOptions {
    APIOptions(
      uploads: uploads, requireKeyForReads: requireKeyForReads, catalog: try DeterminantCatalog.bundled(),
      matrix: try CompatibilityMatrix.bundled())
  }
}
