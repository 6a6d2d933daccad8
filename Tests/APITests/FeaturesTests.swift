import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NodoTestSupport
import PostgresNIO
import Prometheus
import Store
import Testing

@testable import API

@Suite("OGC API – Features over the demo municipality", .serialized)
struct FeaturesTests {
  @Test("the tests' JSON check finds a comma before a closing bracket, not one inside a string")
  func strictJSONCheck() {
    #expect(trailingComma(#"{"features":[{"id":1},{"id":2},],"n":2}"#) == 30)
    #expect(trailingComma(#"{"a":1 , }"#) == 7)
    #expect(trailingComma(#"{"a":",]","b":"\",}","c":[1,2]}"#) == nil)
  }

  @Test("landing page, conformance, OpenAPI document and collections")
  func discovery() async throws {
    try await DemoDatabase.withAPI { client, _ in
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok)
        let links = jsonObject(response)["links"] as? [[String: Any]] ?? []
        #expect(links.contains { $0["rel"] as? String == "service-desc" })
        #expect(links.contains { $0["rel"] as? String == "data" })
      }
      try await client.execute(uri: "/conformance", method: .get) { response in
        let classes = jsonObject(response)["conformsTo"] as? [String] ?? []
        #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"))
        #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"))
      }
      try await client.execute(uri: "/api", method: .get) { response in
        #expect(response.headers[.contentType]?.hasPrefix("application/vnd.oai.openapi+json") == true)
        let paths = jsonObject(response)["paths"] as? [String: Any] ?? [:]
        #expect(paths["/collections/{collectionId}/items"] != nil)
      }
      try await client.execute(uri: "/collections", method: .get) { response in
        let collections = jsonObject(response)["collections"] as? [[String: Any]] ?? []
        let ids = collections.compactMap { $0["id"] as? String }
        #expect(ids.contains("demo-predios"))
        #expect(ids.contains("analysis-25999-faces"))
        #expect(ids.contains("analysis-25999-conflicts"))
        #expect(ids.contains("analysis-25999-affectations"))
        let parcels = collections.first { $0["id"] as? String == "demo-predios" }
        #expect(parcels?["storageCrs"] as? String == "http://www.opengis.net/def/crs/EPSG/0/9377")
        #expect(
          (parcels?["crs"] as? [String])?.contains("http://www.opengis.net/def/crs/OGC/1.3/CRS84") == true)
      }
      try await client.execute(uri: "/collections/nope", method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/problem+json")
      }
    }
  }

  /// Follows rel=next from `uri`; returns every feature id, in order.
  static func pages(_ uri: String, client: some TestClientProtocol) async throws -> (ids: [Int], pages: Int) {
    var ids: [Int] = []
    var next: String? = uri
    var pages = 0
    while let current = next {
      let path = current.replacingOccurrences(of: #"^https?://[^/]+"#, with: "", options: .regularExpression)
      next = try await client.execute(uri: path, method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/geo+json")
        let body = jsonObject(response)
        let features = body["features"] as? [[String: Any]] ?? []
        #expect(body["numberReturned"] as? Int == features.count)
        ids += features.compactMap { $0["id"] as? Int }
        let link = (body["links"] as? [[String: Any]])?.first { $0["rel"] as? String == "next" }
        return link?["href"] as? String
      }
      pages += 1
    }
    return (ids, pages)
  }

  @Test("paging by rel=next: every parcel once, in order, with a keyset cursor")
  func paging() async throws {
    try await DemoDatabase.withAPI { client, _ in
      // Pages come from PostgreSQL in chunks of 100 features: pages that end on a chunk's
      // edge, inside one, and the last page exactly full (no next link after it).
      for (limit, expected) in [(150, 3), (100, 4), (200, 2), (400, 1), (399, 2), (1000, 1)] {
        let (ids, pages) = try await Self.pages(
          "/collections/demo-predios/items?limit=\(limit)", client: client)
        #expect(ids.count == 400, "limit \(limit)")
        #expect(Set(ids).count == 400, "limit \(limit)")
        #expect(ids == ids.sorted(), "limit \(limit)")
        #expect(pages == expected, "limit \(limit)")
      }
    }
  }

  @Test(
    "bbox in CRS84 and in EPSG:9377 (northing, easting) select the same features; crs=EPSG:9377 answers N/E")
  func bboxAndCRS() async throws {
    try await DemoDatabase.withAPI { client, _ in
      // Centre of the generated municipality, in EPSG:9377 and in CRS84.
      let (e0, n0, e1, n1) = (4_830_800.0, 2_120_800.0, 4_831_200.0, 2_121_200.0)
      let a = try await client.execute(
        uri:
          "/collections/demo-predios/items?limit=1000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/9377&bbox=\(n0),\(e0),\(n1),\(e1)",
        method: .get
      ) { response in
        #expect(response.status == .ok)
        return (jsonObject(response)["features"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
      }
      #expect(!a.isEmpty && a.count < 400)
      // Spaces around the numbers (as some clients write lists) change nothing.
      let spaced = try await client.execute(
        uri:
          "/collections/demo-predios/items?limit=1000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/9377&bbox=%20\(n0),%20\(e0)%20,\(n1)%09,\(e1)%20",
        method: .get
      ) { response in
        #expect(response.status == .ok)
        return (jsonObject(response)["features"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
      }
      #expect(spaced == a)
      let crs = try await client.execute(
        uri: "/collections/demo-predios/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/9377",
        method: .get
      ) { response in
        #expect(
          response.headers[HTTPField.Name("Content-Crs")!] == "<http://www.opengis.net/def/crs/EPSG/0/9377>")
        let feature = (jsonObject(response)["features"] as? [[String: Any]])?.first
        let geometry = feature?["geometry"] as? [String: Any]
        let coordinates = geometry?["coordinates"] as? [[[[Double]]]]
        return coordinates?.first?.first?.first ?? []
      }
      #expect(crs.count == 2 && crs[0] > 2_000_000 && crs[0] < 2_200_000 && crs[1] > 4_800_000)
      let lonLat = try await client.execute(uri: "/collections/demo-predios/items?limit=1", method: .get) {
        response in
        let geometry =
          (jsonObject(response)["features"] as? [[String: Any]])?.first?["geometry"] as? [String: Any]
        return (geometry?["coordinates"] as? [[[[Double]]]])?.first?.first?.first ?? []
      }
      #expect(lonLat.count == 2 && lonLat[0] < -70 && lonLat[1] > 3)
    }
  }

  @Test(
    "boxes small (a cached plan) and large (planned for the box), in CRS84 and EPSG:9377, select what PostGIS selects, page after page"
  )
  func boxesMatchPostGIS() async throws {
    try await DemoDatabase.withAPI { client, database in
      func ids(_ sql: String) async throws -> [Int] {
        try await database.client.query(PostgresQuery(unsafeSQL: sql), logger: database.logger)
          .decode(Int.self).reduce(into: []) { $0.append($1) }
      }
      func expected(_ box: String) async throws -> [Int] {
        try await ids(
          "SELECT f.fid::int FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'demo-predios' AND v.status = 'published' AND ST_Intersects(f.geom, \(box)) ORDER BY f.fid"
        )
      }
      let (e0, n0, e1, n1) = (4_830_800.0, 2_120_800.0, 4_831_200.0, 2_121_200.0)
      let corners = try await database.client.query(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform(ST_MakeEnvelope(4830800, 2120800, 4831200, 2121200, 9377), 4326)::box2d AS b) t",
        logger: database.logger
      ).decode((Double, Double, Double, Double).self).reduce(into: []) { $0.append($1) }
      let (x0, y0, x1, y1) = try #require(corners.first)
      let crs9377 = "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/9377"
      for (query, box, small) in [
        (
          "\(crs9377)&bbox=\(n0),\(e0),\(n1),\(e1)", "ST_MakeEnvelope(\(e0), \(n0), \(e1), \(n1), 9377)", true
        ),
        (
          "bbox=\(x0),\(y0),\(x1),\(y1)",
          "ST_Transform(ST_MakeEnvelope(\(x0), \(y0), \(x1), \(y1), 4326), 9377)", true
        ),
        (
          "bbox=\(x0 - 0.05),\(y0 - 0.05),\(x1 + 0.05),\(y1 + 0.05)",
          "ST_Transform(ST_MakeEnvelope(\(x0 - 0.05), \(y0 - 0.05), \(x1 + 0.05), \(y1 + 0.05), 4326), 9377)",
          false
        ),
      ] {
        let want = try await expected(box)
        #expect(want.count > 14 && (small ? want.count < 400 : true), "\(query): \(want.count)")
        let (got, pages) = try await Self.pages(
          "/collections/demo-predios/items?limit=7&\(query)", client: client)
        #expect(got == want, "\(query)")
        #expect(pages == (want.count + 6) / 7, "\(query)")
      }
    }
  }

  @Test(
    "unknown parameters, bad limits, bad bboxes and null characters are 400 problems; a missing feature is 404"
  )
  func errors() async throws {
    try await DemoDatabase.withAPI { client, _ in
      for uri in [
        "/collections/demo-predios/items?colour=blue", "/collections/demo-predios/items?limit=0",
        "/collections/demo-predios/items?bbox=1,2,3", "/collections/demo-predios/items?crs=EPSG:4326",
        "/collections/demo-predios/items?filter=npn%20%3D", "/collections/demo-predios/items?cursor=abc",
        "/collections?x=1",
        // PostgreSQL text cannot hold U+0000 (schemathesis found the first one as a 500).
        "/collections/demo-predios/items/7?properties=%C2%82%08,%00%C3%BB%C3%B7%C2%B5%C2%83,&f=geojson",
        "/collections/demo%00predios", "/parcels/%00/affectations",
        "/collections/demo-predios/items?filter=npn%3D%27%00%27",
        // Out of range (schemathesis sent 1.8e215), and a box PROJ cannot bring to CTM12.
        "/collections/demo-predios/items?bbox=6e-34,-9.7e-23,1.8e%2B215,1.9e%2B16",
        "/collections/demo-predios/items?bbox=16,-1,17,1",
        "/collections/demo-predios/items?bbox=16,-1,16.001,-0.999",
      ] {
        try await client.execute(uri: uri, method: .get, headers: [.acceptLanguage: "en"]) { response in
          #expect(response.status == .badRequest, "\(uri)")
          #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
          #expect((jsonObject(response)["detail"] as? String)?.isEmpty == false)
        }
      }
      try await client.execute(uri: "/collections/demo-predios/items/999999", method: .get) { response in
        #expect(response.status == .notFound)
      }
      try await client.execute(uri: "/collections/demo-predios/items/7", method: .get) { response in
        #expect(response.status == .ok)
        #expect(jsonObject(response)["id"] as? Int == 7)
      }
    }
  }

  @Test("properties selects members; CQL2 filters with LIKE, IN, comparisons and S_INTERSECTS")
  func propertiesAndFilter() async throws {
    try await DemoDatabase.withAPI { client, database in
      try await client.execute(uri: "/collections/demo-predios/items?limit=3&properties=npn", method: .get) {
        response in
        let features = jsonObject(response)["features"] as? [[String: Any]] ?? []
        #expect(features.allSatisfy { ($0["properties"] as? [String: Any])?.keys.sorted() == ["npn"] })
      }
      func count(_ filter: String) async throws -> Int {
        let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? filter
        let (ids, _) = try await Self.pages(
          "/collections/demo-predios/items?limit=1000&filter=\(encoded)", client: client)
        return ids.count
      }
      let ph = try await count("condicion = '9'")
      let expected = try await database.client.query(
        "SELECT count(*)::int FROM feature f JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'demo-predios' AND v.status = 'published' AND f.attributes->>'condicion' = '9'",
        logger: database.logger
      ).decode(Int.self).reduce(0) { $0 + $1 }
      #expect(ph == expected && ph > 0)
      #expect(try await count("condicion IN ('9') AND npn LIKE '25999%'") == ph)
      #expect(try await count("NOT condicion = '9'") == 400 - ph)
      #expect(try await count("area > 1000 OR condicion IS NULL") > 0)
      let inside = try await count(
        "S_INTERSECTS(geometry, BBOX(-76.3, 4.0, -73.0, 6.0))")
      #expect(inside == 400)
      #expect(try await count("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1, 0 0)))") == 0)
    }
  }

  @Test("a + in the query is a space, as form-encoding clients (requests, OWSLib) send it; %2B is a +")
  func formEncodedQuery() async throws {
    #expect(FormQueryMiddleware<BasicRequestContext>.spaces(in: "/a?x=1+2&y=%2B") == "/a?x=1%202&y=%2B")
    #expect(FormQueryMiddleware<BasicRequestContext>.spaces(in: "/a+b?x=1") == nil)
    #expect(FormQueryMiddleware<BasicRequestContext>.spaces(in: "/a+b") == nil)
    try await DemoDatabase.withAPI { client, _ in
      // How Python's requests writes params={"filter": "condicion IN ('9') AND npn LIKE '25999%'"}.
      let form = "condicion+IN+%28%279%27%29+AND+npn+LIKE+%2725999%25%27"
      let spaced = form.replacingOccurrences(of: "+", with: "%20")
      let (asForm, _) = try await Self.pages(
        "/collections/demo-predios/items?limit=1000&filter=\(form)", client: client)
      let (asSpaced, _) = try await Self.pages(
        "/collections/demo-predios/items?limit=1000&filter=\(spaced)", client: client)
      #expect(!asForm.isEmpty && asForm == asSpaced)
      // The self link gives the parameter back as read: the +'s as spaces, %2B as a +.
      for (query, written) in [
        ("npn+LIKE+%2725999%25%27", "npn%20LIKE"), ("npn%20LIKE%20%27%2B%25%27", "%2B%25"),
      ] {
        try await client.execute(uri: "/collections/demo-predios/items?limit=1&filter=\(query)", method: .get)
        {
          response in
          #expect(response.status == .ok)
          let links = jsonObject(response)["links"] as? [[String: Any]] ?? []
          let me = links.first { $0["rel"] as? String == "self" }?["href"] as? String ?? ""
          #expect(me.contains(written), "\(me)")
        }
      }
    }
  }

  @Test("analysis results are collections: faces carry art. 32 resolutions")
  func analysisCollections() async throws {
    try await DemoDatabase.withAPI { client, _ in
      let (ids, _) = try await Self.pages(
        "/collections/analysis-25999-faces/items?limit=1000", client: client)
      #expect(!ids.isEmpty)
      try await client.execute(
        uri:
          "/collections/analysis-25999-faces/items?limit=1000&filter=resolution%20%3D%20'requiere_coordinacion'",
        method: .get
      ) { response in
        let features = jsonObject(response)["features"] as? [[String: Any]] ?? []
        #expect(!features.isEmpty)
        let properties = features.first?["properties"] as? [String: Any]
        #expect((properties?["determinants"] as? [[String: Any]])?.count ?? 0 >= 2)
        #expect((properties?["fundamento"] as? String)?.contains("parágrafo 1") == true)
      }
    }
  }

  @Test("vector tiles: MVT from ST_AsMVT over the municipality, 204 outside it, 400 outside the matrix")
  func tiles() async throws {
    try await DemoDatabase.withAPI { client, _ in
      // The demo municipality (about −74.5°, 5.1°) at zoom 12.
      let z = 12
      let n = Double(1 << z)
      let (lon, lat) = (-74.525, 5.092)
      let x = Int((lon + 180) / 360 * n)
      let y = Int((1 - log(tan(lat * .pi / 180) + 1 / cos(lat * .pi / 180)) / .pi) / 2 * n)
      try await client.execute(
        uri: "/collections/demo-predios/tiles/WebMercatorQuad/\(z)/\(x)/\(y)", method: .get
      ) {
        response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/vnd.mapbox-vector-tile")
        #expect(response.body.readableBytes > 100)
      }
      try await client.execute(
        uri: "/collections/analysis-25999-faces/tiles/WebMercatorQuad/\(z)/\(x)/\(y)", method: .get
      ) {
        response in
        #expect(response.status == .ok)
      }
      try await client.execute(uri: "/collections/demo-predios/tiles/WebMercatorQuad/12/0/0", method: .get) {
        response in
        #expect(response.status == .noContent)
      }
      try await client.execute(uri: "/collections/demo-predios/tiles/WebMercatorQuad/3/9/0", method: .get) {
        response in
        #expect(response.status == .badRequest)
      }
      try await client.execute(uri: "/collections/demo-predios/tiles/WebMercatorQuad", method: .get) {
        response in
        let tiles = jsonObject(response)["tiles"] as? [String]
        #expect(
          tiles?.first?.hasSuffix("/collections/demo-predios/tiles/WebMercatorQuad/{z}/{x}/{y}") == true)
      }
    }
  }

  @Test(
    "/metrics counts requests and times them per route and status, errors included, with jobs and connections"
  )
  func metrics() async throws {
    let registry = PrometheusCollectorRegistry()
    try await DemoDatabase.withAPI(metrics: registry) { client, _ in
      for uri in [
        "/collections/demo-predios/items/7", "/collections/demo-predios/items/7", "/collections/nope/items",
        "/collections/demo-predios/items?limit=2",
      ] {
        try await client.execute(uri: uri, method: .get) { _ in }
      }
      let text = try await client.execute(uri: "/metrics", method: .get) { response in
        #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
        return String(buffer: response.body)
      }
      let item =
        #"http_route="/collections/{id}/items/{fid}",http_request_method="GET",http_response_status_code="200""#
      let page =
        #"http_route="/collections/{id}/items",http_request_method="GET",http_response_status_code="200""#
      let missing =
        #"http_route="/collections/{id}/items",http_request_method="GET",http_response_status_code="404""#
      for line in [
        "hb_requests{\(item)} 2", "http_server_request_duration_count{\(item)} 2", "hb_requests{\(page)} 1",
        // The streamed page is timed when its last byte is written.
        "http_server_request_duration_count{\(page)} 1", "hb_requests{\(missing)} 1",
        #"hb_request_errors{http_route="/collections/{id}/items",http_request_method="GET",error_type="404"} 1"#,
      ] {
        #expect(text.contains(line + "\n"), "\(line)")
      }
      #expect(text.contains(#"nodo_jobs{kind="ingest",status="succeeded"}"#))
      #expect(text.contains("nodo_db_connections{"))
    }
  }

  @Test("HTML for people when the browser asks for it")
  func html() async throws {
    try await DemoDatabase.withAPI { client, _ in
      for uri in [
        "/", "/collections", "/collections/demo-predios", "/collections/demo-predios/items?limit=5",
      ] {
        try await client.execute(
          uri: uri, method: .get, headers: [.accept: "text/html,application/xhtml+xml"]
        ) {
          response in
          #expect(response.status == .ok, "\(uri)")
          #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(uri)")
        }
      }
      try await client.execute(uri: "/viewer", method: .get) { response in
        #expect(String(buffer: response.body).contains("/viewer/leaflet/leaflet.js"))
      }
      try await client.execute(uri: "/viewer/leaflet/leaflet.js", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/javascript")
      }
      try await client.execute(uri: "/viewer/leaflet/../../../etc/passwd", method: .get) { response in
        #expect(response.status != .ok)
      }
    }
  }
}

@Suite("Links")
struct LinkTests {
  @Test("query values in links are percent-encoded as Foundation encodes them, separators included")
  func percentEncoding() {
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=+:/,?<>#")
    let values = [
      "-74.5,5.1,-74.4,5.2", "http://www.opengis.net/def/crs/EPSG/0/9377", "npn LIKE '2599%' AND área > 3",
      "a&b=c+d?e#f<g>h", "12.345", "Bogotá, D.C. — ñandú 🌎", "~!$'()*;@_.-", "\"quoted\" [x] {y} |z| ^ `",
      "tab\tnew\nline", "",
    ]
    for value in values {
      #expect(QueryText.percentEncoded(value) == value.addingPercentEncoding(withAllowedCharacters: allowed))
    }
  }
}
