import API
import Analysis
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Metrics
import NIOCore
import NodoTestSupport
import PostgresNIO
import Prometheus
import Store
import Testing

@Suite("Analyses, parcel reports, any-area checks and access control over HTTP", .serialized)
struct AnalysisAPITests {
  /// A parcel of the demo municipality with affectations.
  static func affectedNPN(_ database: Database) async throws -> String {
    let rows = try await database.client.query(
      "SELECT npn FROM affectation WHERE npn IS NOT NULL ORDER BY area_m2 DESC LIMIT 1",
      logger: database.logger)
    for try await npn in rows.decode(String.self) { return npn }
    throw CancellationError()
  }

  @Test("a parcel's reporte de cruces in JSON, GeoJSON, CSV and HTML, with the legal basis per row")
  func parcelReport() async throws {
    try await DemoDatabase.withAPI { client, database in
      let npn = try await Self.affectedNPN(database)
      try await client.execute(uri: "/parcels/\(npn)/affectations", method: .get) { response in
        #expect(response.status == .ok)
        let body = jsonObject(response)
        let parcel = body["parcel"] as? [String: Any]
        #expect((parcel?["area_m2"] as? Double ?? 0) > 0)
        let rows = body["affectations"] as? [[String: Any]] ?? []
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { ($0["legal_basis"] as? String)?.isEmpty == false })
        #expect(rows.allSatisfy { ($0["pct_parcel"] as? Double ?? -1) > 0 })
      }
      try await client.execute(uri: "/parcels/\(npn)/affectations?f=csv", method: .get) { response in
        #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
        let lines = String(buffer: response.body).split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("npn,capa,determinante") == true)
        #expect(lines.count >= 2)
      }
      try await client.execute(uri: "/parcels/\(npn)/affectations?f=geojson", method: .get) { response in
        #expect(response.headers[.contentType] == "application/geo+json")
        let features = jsonObject(response)["features"] as? [[String: Any]] ?? []
        #expect(features.count >= 2)
        #expect(features.allSatisfy { $0["geometry"] is [String: Any] })
      }
      try await client.execute(
        uri: "/parcels/\(npn)/affectations", method: .get, headers: [.accept: "text/html"]
      ) {
        response in
        #expect(String(buffer: response.body).contains("Reporte de cruces"))
      }
      try await client.execute(uri: "/parcels/123/affectations", method: .get) { response in
        #expect(response.status == .badRequest)
      }
      try await client.execute(uri: "/parcels/259990000000000000000000000000/affectations", method: .get) {
        response in
        #expect(response.status == .notFound)
      }
      try await client.execute(uri: "/municipalities/25999/summary", method: .get) { response in
        #expect(response.status == .ok)
        let summary = jsonObject(response)["summary"] as? [String: Any]
        #expect((summary?["confluences"] as? Int ?? 0) > 0)
        #expect((jsonObject(response)["inputs"] as? [[String: Any]])?.isEmpty == false)
      }
      try await client.execute(uri: "/determinant-types", method: .get) { response in
        #expect((jsonObject(response)["levels"] as? [Any])?.count == 6)
      }
      try await client.execute(uri: "/compatibility", method: .get) { response in
        #expect((jsonObject(response)["rules"] as? [Any])?.isEmpty == false)
      }
    }
  }

  @Test("any-area check: hit and no hit per layer, distance when not hit, art. 32 over the layers hit")
  func anyArea() async throws {
    try await DemoDatabase.withAPI { client, _ in
      // A 200 m square at the centre of the municipality (EPSG:9377), over the urban area.
      let square = """
        {"type": "Polygon", "coordinates": [[[4830900, 2120900], [4831100, 2120900], [4831100, 2121100], [4830900, 2121100], [4830900, 2120900]]]}
        """
      try await client.execute(
        uri: "/affectations?crs=http://www.opengis.net/def/crs/EPSG/0/9377", method: .post,
        body: ByteBuffer(string: square)
      ) { response in
        #expect(response.status == .ok)
        let body = jsonObject(response)
        #expect(abs((body["area_m2"] as? Double ?? 0) - 40_000) < 1)
        let layers = body["layers"] as? [[String: Any]] ?? []
        #expect(layers.count >= 10)
        #expect(layers.contains { $0["hit"] as? Bool == true })
        let missed = layers.filter { $0["hit"] as? Bool == false }
        #expect(!missed.isEmpty)
        #expect(missed.allSatisfy { ($0["distance_m"] as? Double ?? -1) > 0 })
        #expect(layers.allSatisfy { $0["data_date"] != nil })
      }
      try await client.execute(
        uri: "/affectations", method: .post, body: ByteBuffer(string: "{\"type\": \"Circle\"}")
      ) {
        response in
        #expect(response.status == .badRequest)
      }
    }
  }

  @Test("keys: 401 without, 403 for the wrong role or municipality; an analysis job runs; writes are audited")
  func accessAndJobs() async throws {
    try await DemoDatabase.withAPI { client, database in
      let planner = try await DemoDatabase.key(.planner, database: database)
      let technician = try await DemoDatabase.key(.technician, database: database)
      let elsewhere = try await DemoDatabase.key(.planner, divipola: ["05001"], database: database)
      let admin = try await DemoDatabase.key(.admin, database: database)
      let body = ByteBuffer(string: #"{"divipola": "25999"}"#)
      try await client.execute(uri: "/analyses", method: .post, body: body) { response in
        #expect(response.status == .unauthorized)
      }
      try await client.execute(
        uri: "/analyses", method: .post, headers: [.authorization: "Bearer nodo_00000000_nope"], body: body
      ) { response in
        #expect(response.status == .unauthorized)
      }
      for key in [technician, elsewhere] {
        try await client.execute(
          uri: "/analyses", method: .post, headers: [.authorization: "Bearer \(key)"], body: body
        ) {
          response in
          #expect(response.status == .forbidden)
        }
      }
      let job = try await client.execute(
        uri: "/analyses", method: .post, headers: [.authorization: "Bearer \(planner)"], body: body
      ) { response in
        #expect(response.status == .accepted)
        return response.headers[.location] ?? ""
      }
      // Run the queue: the analysis job succeeds with its summary as the result.
      let engine = try DemoDatabase.engine(database)
      let runner = JobRunner(
        database: database, catalog: try DeterminantCatalog.bundled(),
        handlers: [AnalysisEngine.jobKind: engine.jobHandler()], logger: database.logger)
      let loop = Task { await runner.runLoop() }
      defer { loop.cancel() }
      var status = ""
      // Bounded only against a hung job: the suite shares two cores.
      for _ in 0..<1_200 where status != "succeeded" && status != "failed" {
        try await Task.sleep(for: .milliseconds(100))
        status = try await client.execute(uri: job, method: .get) {
          jsonObject($0)["status"] as? String ?? ""
        }
      }
      #expect(status == "succeeded")
      try await client.execute(uri: "/audit", method: .get, headers: [.authorization: "Bearer \(planner)"]) {
        response in
        #expect(response.status == .forbidden)
      }
      try await client.execute(uri: "/audit", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
        response in
        let events = jsonObject(response)["events"] as? [[String: Any]] ?? []
        #expect(
          events.contains {
            $0["action"] as? String == "analysis.start" && $0["role"] as? String == "planner"
          })
        #expect(events.contains { $0["action"] as? String == "denied" })
        // Times as RFC 3339 text, like the jobs'.
        #expect(
          events.allSatisfy { ($0["at"] as? String).flatMap { try? Date($0, strategy: .iso8601) } != nil })
      }
      let created = try await client.execute(
        uri: "/keys", method: .post, headers: [.authorization: "Bearer \(admin)"],
        body: ByteBuffer(string: #"{"role": "technician", "divipola": ["25999"], "label": "catastro"}"#)
      ) { response in
        #expect(response.status == .created)
        return jsonObject(response)["key"] as? String ?? ""
      }
      #expect(created.hasPrefix("nodo_"))
      try await client.execute(uri: "/keys", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
        response in
        #expect(!String(buffer: response.body).contains(created))
        let keys = jsonObject(response)["keys"] as? [[String: Any]] ?? []
        #expect(!keys.isEmpty && keys.allSatisfy { ($0["createdAt"] as? String)?.hasSuffix("Z") == true })
      }
    }
  }

  @Test("reads can require a key")
  func privateReads() async throws {
    try await DemoDatabase.withAPI(requireKeyForReads: true) { client, database in
      try await client.execute(uri: "/collections", method: .get) { response in
        #expect(response.status == .unauthorized)
      }
      try await client.execute(uri: "/health", method: .get) { response in
        #expect(response.status == .ok)
      }
      let key = try await DemoDatabase.key(.technician, database: database)
      try await client.execute(uri: "/collections", method: .get, headers: [.authorization: "Bearer \(key)"])
      {
        response in
        #expect(response.status == .ok)
      }
    }
  }
}
