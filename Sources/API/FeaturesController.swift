import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import Store
import Synchronization

/// The CRSs every collection offers (OGC API – Features Part 2).
enum OutputCRS: CaseIterable {
  case crs84, epsg4326, epsg9377

  var uri: String {
    switch self {
    case .crs84: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    case .epsg4326: "http://www.opengis.net/def/crs/EPSG/0/4326"
    case .epsg9377: "http://www.opengis.net/def/crs/EPSG/0/9377"
    }
  }

  var srid: Int32 { self == .epsg9377 ? 9377 : 4326 }
  /// EPSG:4326 is latitude/longitude and EPSG:9377 northing/easting; CRS84 is x/y.
  var yx: Bool { self != .crs84 }

  init?(uri: String) {
    let trimmed = uri.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
    guard let found = Self.allCases.first(where: { $0.uri == trimmed }) else { return nil }
    self = found
  }
}

/// OGC API – Features Part 1 (core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by
/// reference): landing page, conformance, collections, items with keyset paging.
struct FeaturesController<Context: RequestContext>: Sendable {
  let database: Database
  /// The layer collections items requests have looked up, checked by each items statement.
  let layers = LayerCollectionCache()
  private var logger: Logger { database.logger }

  static var conformance: [String] {
    [
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
      "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ]
  }

  static var defaultLimit: Int { FeaturesControllerLimits.default }
  static var maxLimit: Int { FeaturesControllerLimits.max }

  func register(on router: Router<Context>) {
    router.get("/", use: landing)
    router.get("conformance", use: conformance)
    router.get("collections", use: collections)
    router.get("collections/:id", use: collection)
    router.get("collections/:id/items", use: items)
    router.get("collections/:id/items/:fid", use: item)
    router.get("api", use: api)
  }

  @Sendable func api(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(request, [])
    return try OpenAPIDocument.response(for: request)
  }

  // MARK: Resources

  @Sendable func landing(_ request: Request, context: Context) async throws -> Response {
    let base = Self.base(request)
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    try Self.allow(request, [])
    let body: [String: Any] = [
      "title": "Nodo AT",
      "description": language.pick(
        "Nodo de datos territoriales: catastro, POT y determinantes de ordenamiento territorial (Ley 2294 de 2023, art. 32) en EPSG:9377.",
        "Territorial data node: cadastre, POT and determinantes de ordenamiento territorial (Ley 2294 de 2023, art. 32) in EPSG:9377."
      ),
      "links": [
        Self.link(base + "/", "self", "application/json", language.pick("Esta página", "This page")),
        Self.link(
          base + "/?f=html", "alternate", "text/html",
          language.pick("Esta página en HTML", "This page as HTML")),
        Self.link(
          base + "/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0",
          language.pick("Definición OpenAPI", "OpenAPI definition")),
        Self.link(
          base + "/conformance", "conformance", "application/json",
          language.pick("Conformidad", "Conformance")),
        Self.link(
          base + "/collections", "data", "application/json", language.pick("Colecciones", "Collections")),
        Self.link(base + "/viewer", "alternate", "text/html", language.pick("Visor", "Viewer")),
      ],
    ]
    return try Self.respond(request, body, title: "Nodo AT")
  }

  @Sendable func conformance(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(request, [])
    return try Self.respond(request, ["conformsTo": Self.conformance], title: "Conformance")
  }

  @Sendable func collections(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(request, [])
    let base = Self.base(request)
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    let all = try await FeatureQueries.collections(client: database.client, logger: logger)
    let body: [String: Any] = [
      "links": [
        Self.link(base + "/collections", "self", "application/json", nil),
        Self.link(base + "/collections?f=html", "alternate", "text/html", nil),
      ],
      "collections": all.map { Self.describe($0, base: base, language: language) },
      "crs": OutputCRS.allCases.map(\.uri),
    ]
    return try Self.respond(request, body, title: language.pick("Colecciones", "Collections"))
  }

  @Sendable func collection(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(request, [])
    let info = try await find(context)
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    return try Self.respond(
      request, Self.describe(info, base: Self.base(request), language: language), title: info.id)
  }

  @Sendable func items(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(
      request,
      ["limit", "bbox", "bbox-crs", "crs", "properties", "datetime", "cursor", "filter", "filter-lang"])
    if Self.wantsHTML(request) {
      let (started, features) = try await collected(request, context)
      return HTMLPage.items(
        title: started.info.id,
        features: "[" + features.map { String(buffer: $0) }.joined(separator: ",") + "]",
        language: .init(acceptLanguage: request.headers[.acceptLanguage]))
    }
    let first = try await lookUp(request, context)
    let base = Self.base(request)
    let selfURL = base + "/collections/\(first.info.id)/items" + Self.queryString(request, replacing: [:])
    var headers = HTTPFields()
    headers[.contentType] = "application/geo+json"
    headers[.contentCrs] = "<\(first.parsed.crs.uri)>"
    let collectionURL = base + "/collections/\(first.info.id)"
    let body = ResponseBody { writer in
      var buffer = ByteBuffer(string: "{\"type\":\"FeatureCollection\",\"features\":[")
      var count = 0
      var lastID: Int64?
      var more = false
      var started = first
      var checked = false
      // Nothing is written before the first row: when it says the cached version was
      // superseded, the page is read again from the published one, under the same headers.
      rows: while true {
        for try await row in started.rows {
          if !checked {
            checked = true
            if !row.current, !started.parsed.pinned {
              started = try await lookUpAgain(request, context)
              continue rows
            }
          }
          more = more || row.more
          guard let json = row.json else { continue }
          if count > 0 { buffer.writeString(",") }
          buffer.writeImmutableBuffer(json)
          count += row.count
          lastID = row.last ?? lastID
          if buffer.readableBytes > 64 * 1024 {
            try await writer.write(buffer)
            buffer.clear()
          }
        }
        break
      }
      let info = started.info
      let revisionKey = started.parsed.revision
      var links = [
        Self.linkJSON(selfURL, "self", "application/geo+json"),
        Self.linkJSON(collectionURL, "collection", "application/json"),
      ]
      if more, let lastID {
        links.append(
          Self.linkJSON(
            base + "/collections/\(info.id)/items"
              + Self.queryString(request, replacing: ["cursor": "\(revisionKey).\(lastID)"]),
            "next", "application/geo+json"))
      }
      // Built by hand: JSONSerialization here cost a sixth of a request's CPU.
      buffer.writeString(
        "],\"numberReturned\":\(count),\"timeStamp\":\"\(Self.timestamp())\",\"links\":["
          + links.joined(separator: ",") + "]}")
      try await writer.write(buffer)
      try await writer.finish(nil)
    }
    return Response(status: .ok, headers: headers, body: body)
  }

  @Sendable func item(_ request: Request, context: Context) async throws -> Response {
    try Self.allow(request, ["crs", "properties"])
    let id = try context.parameters.require("id")
    guard let fid = context.parameters.get("fid", as: Int64.self) else {
      _ = try await find(context)
      throw Problem.featureNotFound(id, context.parameters.get("fid") ?? "")
    }
    let (started, features) = try await collected(request, context, id: fid)
    let (info, parsed, found) = (started.info, started.parsed, features.first)
    guard let json = found else { throw Problem.featureNotFound(info.id, String(fid)) }
    if Self.wantsHTML(request) {
      return HTMLPage.items(
        title: "\(info.id) / \(fid)", features: "[" + String(buffer: json) + "]",
        language: .init(acceptLanguage: request.headers[.acceptLanguage]))
    }
    let base = Self.base(request)
    let linksJSON =
      "["
      + [
        Self.linkJSON(base + "/collections/\(info.id)/items/\(fid)", "self", "application/geo+json"),
        Self.linkJSON(base + "/collections/\(info.id)", "collection", "application/json"),
      ].joined(separator: ",") + "]"
    var headers = HTTPFields()
    headers[.contentType] = "application/geo+json"
    headers[.contentCrs] = "<\(parsed.crs.uri)>"
    // The feature's closing brace gives way to its links.
    var buffer = ByteBuffer()
    buffer.reserveCapacity(json.readableBytes + linksJSON.utf8.count + 10)
    buffer.writeImmutableBuffer(json)
    buffer.moveWriterIndex(to: buffer.writerIndex - 1)
    buffer.writeString(",\"links\":")
    buffer.writeString(linksJSON)
    buffer.writeString("}")
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
  }

  // MARK: Parsing

  struct Parsed {
    var source: CollectionSource
    var query: ItemsQuery
    var crs: OutputCRS
    /// What a cursor pins: the layer version or the analysis run.
    var revision: Int64
    /// A cursor pinned another version than the published one.
    var pinned = false
  }

  /// An items statement under way, with what it was started from.
  struct Started: Sendable {
    var info: CollectionInfo
    var parsed: Parsed
    var rows: FeatureQueries.FeatureRows
  }

  /// The collection (a layer from the cache when it was looked up before), the request's
  /// parameters and its rows, started.
  func lookUp(
    _ request: Request, _ context: Context, id fid: Int64? = nil
  ) async throws -> Started {
    let id = try context.parameters.require("id")
    guard let info = layers[id] else { return try await lookUpAgain(request, context, id: fid) }
    do {
      return try await start(request, info, id: fid)
    } catch {
      // Whatever went wrong, the next request looks the layer up afresh.
      layers.remove(id)
      throw error
    }
  }

  /// The same from the store, not the cache: the first time, or after a statement said the
  /// cached version is no longer published.
  func lookUpAgain(_ request: Request, _ context: Context, id fid: Int64? = nil) async throws -> Started {
    layers.remove(try context.parameters.require("id"))
    let info = try await find(context)
    if case .layer = info.source { layers[info.id] = info }
    return try await start(request, info, id: fid)
  }

  /// Every chunk of a started statement (features joined by commas), read again from the
  /// published version when the first says the cached one was superseded (a cursor's pinned
  /// version is read as it is).
  func collected(
    _ request: Request, _ context: Context, id fid: Int64? = nil
  ) async throws -> (started: Started, features: [ByteBuffer]) {
    var started = try await lookUp(request, context, id: fid)
    var retried = false
    while true {
      var current = true
      var features: [ByteBuffer] = []
      for try await row in started.rows {
        current = current && row.current
        if let json = row.json { features.append(json) }
      }
      if current || started.parsed.pinned || retried { return (started, features) }
      started = try await lookUpAgain(request, context, id: fid)
      retried = true
    }
  }

  private func start(
    _ request: Request, _ info: CollectionInfo, id fid: Int64?
  ) async throws -> Started {
    var parsed = try await parse(request, info: info)
    if let fid {
      parsed.query.id = fid
      parsed.query.limit = 1
    }
    let rows: FeatureQueries.FeatureRows
    do {
      rows = try await FeatureQueries.items(
        parsed.source, parsed.query, client: database.client, copies: database.crs84Copies, logger: logger)
    } catch StoreError.boxOutsideProjection {
      throw Problem.badParameter(
        "bbox", es: "no se puede llevar a EPSG:9377: queda fuera del dominio de la proyección",
        en: "cannot be brought to EPSG:9377: it lies outside the projection's domain")
    }
    return Started(info: info, parsed: parsed, rows: rows)
  }

  func find(_ context: Context) async throws -> CollectionInfo {
    let id = try context.parameters.require("id")
    guard let info = try await FeatureQueries.collection(id: id, client: database.client, logger: logger)
    else {
      throw Problem.collectionNotFound(id)
    }
    return info
  }

  func parse(_ request: Request, info: CollectionInfo) async throws -> Parsed {
    let query = request.uri.queryParameters
    var limit = Self.defaultLimit
    if let text = query["limit"].map(String.init) {
      guard let value = Int(text), value >= 1 else {
        throw Problem.badParameter(
          "limit", es: "debe ser un entero mayor que 0", en: "must be an integer above 0")
      }
      limit = min(value, Self.maxLimit)
    }
    var crs = OutputCRS.crs84
    if let text = query["crs"].map(String.init) {
      guard let value = OutputCRS(uri: text) else {
        throw Problem.badParameter(
          "crs",
          es: "no es uno de los SRC ofrecidos: \(OutputCRS.allCases.map(\.uri).joined(separator: ", "))",
          en: "is not one of the offered CRSs: \(OutputCRS.allCases.map(\.uri).joined(separator: ", "))")
      }
      crs = value
    }
    var items = ItemsQuery(limit: limit, outputSRID: crs.srid, flipAxes: crs.yx)
    if let text = query["bbox"].map(String.init) {
      let numbers = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard numbers.count == 4 || numbers.count == 6, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
        throw Problem.badParameter(
          "bbox", es: "necesita 4 (o 6) números separados por comas",
          en: "needs 4 (or 6) comma-separated numbers")
      }
      let values = numbers.map { $0! }
      var box = values.count == 4 ? values : [values[0], values[1], values[3], values[4]]
      var bboxCRS = OutputCRS.crs84
      if let text = query["bbox-crs"].map(String.init) {
        guard let value = OutputCRS(uri: text) else {
          throw Problem.badParameter("bbox-crs", es: "no es un SRC ofrecido", en: "is not an offered CRS")
        }
        bboxCRS = value
      }
      if bboxCRS.yx { box = [box[1], box[0], box[3], box[2]] }
      if bboxCRS.srid == 4326, !(box[0] >= -180 && box[2] <= 180 && box[1] >= -90 && box[3] <= 90) {
        throw Problem.badParameter(
          "bbox", es: "longitudes entre −180 y 180 y latitudes entre −90 y 90",
          en: "longitudes between −180 and 180 and latitudes between −90 and 90")
      }
      guard box[0] <= box[2], box[1] <= box[3] else {
        throw Problem.badParameter(
          "bbox", es: "el mínimo debe ser menor que el máximo en cada eje",
          en: "the minimum must not exceed the maximum on each axis")
      }
      items.bbox = box
      items.bboxSRID = bboxCRS.srid
    } else if query["bbox-crs"] != nil {
      throw Problem.badParameter(
        "bbox-crs", es: "solo tiene sentido con bbox", en: "only makes sense with bbox")
    }
    if let text = query["properties"].map(String.init) {
      items.properties = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
    if let text = query["filter"].map(String.init) {
      if let lang = query["filter-lang"], lang != "cql2-text" {
        throw Problem.badParameter(
          "filter-lang", es: "solo se admite cql2-text", en: "only cql2-text is supported")
      }
      do {
        items.filter = try CQL2.parse(text)
      } catch let error as CQL2.ParseError {
        throw Problem.badParameter("filter", es: error.message(.es), en: error.message(.en))
      }
    }
    var source = info.source
    var revision = info.revision
    if let text = query["cursor"].map(String.init) {
      let parts = text.split(separator: ".")
      guard parts.count == 2, let pinned = Int64(parts[0]), let after = Int64(parts[1]) else {
        throw Problem.badParameter(
          "cursor", es: "no es un cursor de esta API", en: "is not a cursor of this API")
      }
      items.after = after
      var current = info.revision
      if case .layer(let version) = info.source { current = version }
      if case .layer = info.source, pinned != current {
        // The page before came from another version: keep reading it (old versions stay).
        guard
          try await FeatureQueries.versionBelongs(
            versionID: pinned, slug: info.id, client: database.client, logger: logger)
        else {
          throw Problem.badParameter(
            "cursor", es: "no corresponde a esta colección", en: "does not belong to this collection")
        }
        source = .layer(versionID: pinned)
      } else if pinned != current, let pinnedSource = CollectionSource.analysis(info.kind, runID: pinned) {
        source = pinnedSource
      }
      revision = pinned
    }
    if case .layer = info.source, case .layer(let version) = source { revision = version }
    return Parsed(source: source, query: items, crs: crs, revision: revision, pinned: source != info.source)
  }

  // MARK: Helpers

  /// Refuses query parameters the resource does not know (400), `f` always allowed.
  static func allow(_ request: Request, _ known: Set<String>) throws {
    for (name, value) in request.uri.queryParameters {
      let key = String(name)
      if key == "f" {
        guard ["json", "html", "geojson"].contains(String(value)) else {
          throw Problem.badParameter("f", es: "debe ser json o html", en: "must be json or html")
        }
        continue
      }
      if !known.contains(key) {
        throw Problem.badParameter(
          key, es: "parámetro desconocido (admitidos: \(known.sorted().joined(separator: ", ")))",
          en: "unknown parameter (accepted: \(known.sorted().joined(separator: ", ")))")
      }
    }
  }

  static func wantsHTML(_ request: Request) -> Bool {
    if let f = request.uri.queryParameters["f"] { return f == "html" }
    guard let accept = request.headers[.accept] else { return false }
    let html = accept.range(of: "text/html")
    let json = accept.range(of: "json")
    if let html, let json { return html.lowerBound < json.lowerBound }
    return html != nil
  }

  static func base(_ request: Request) -> String {
    let host = request.head.authority ?? "localhost"
    let scheme = request.headers[.xForwardedProto] ?? "http"
    return "\(scheme)://\(host)"
  }

  static func queryString(_ request: Request, replacing: [String: String]) -> String {
    var pairs: [(String, String)] = []
    for (name, value) in request.uri.queryParameters where replacing[String(name)] == nil {
      pairs.append((String(name), String(value)))
    }
    for (name, value) in replacing.sorted(by: { $0.key < $1.key }) { pairs.append((name, value)) }
    guard !pairs.isEmpty else { return "" }
    var query = "?"
    for (index, (name, value)) in pairs.enumerated() {
      if index > 0 { query += "&" }
      query += name
      query += "="
      query += QueryText.percentEncoded(value)
    }
    return query
  }

  /// A link object as JSON text.
  static func linkJSON(_ href: String, _ rel: String, _ type: String) -> String {
    "{\"href\":\(JSONText.quoted(href)),\"rel\":\(JSONText.quoted(rel)),\"type\":\(JSONText.quoted(type))}"
  }

  /// Now in RFC 3339 (UTC, seconds), without a formatter object per request.
  static func timestamp() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
      + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
  }

  static func link(_ href: String, _ rel: String, _ type: String, _ title: String?) -> [String: Any] {
    var link: [String: Any] = ["href": href, "rel": rel, "type": type]
    if let title { link["title"] = title }
    return link
  }

  static func describe(_ info: CollectionInfo, base: String, language: Language) -> [String: Any] {
    let url = base + "/collections/\(info.id)"
    var title = info.title ?? info.id
    var description: String
    switch info.kind {
    case "faces":
      title = language.pick(
        "Caras de confluencia de \(info.divipola ?? "")", "Confluence faces of \(info.divipola ?? "")")
      description = language.pick(
        "Partición de los determinantes del último análisis, con la prevalencia del art. 32.",
        "Partition of the determinants of the latest analysis, with art. 32 prevalence.")
    case "conflicts":
      title = language.pick(
        "Conflictos POT de \(info.divipola ?? "")", "POT conflicts of \(info.divipola ?? "")")
      description = language.pick(
        "Donde el POT permite lo que un determinante prevaleciente prohíbe o condiciona.",
        "Where the POT allows what a prevailing determinant forbids or conditions.")
    case "affectations":
      title = language.pick(
        "Afectaciones prediales de \(info.divipola ?? "")", "Parcel affectations of \(info.divipola ?? "")")
      description = language.pick(
        "Cada determinante sobre cada predio (el cruce).", "Each determinant over each parcel (the cruce).")
    default:
      description = language.pick(
        "Capa publicada, versión \(info.revision)", "Published layer, version \(info.revision)")
      if let type = info.determinantType { description += " · " + language.pick("tipo ", "type ") + type }
    }
    var object: [String: Any] = [
      "id": info.id, "title": title, "description": description, "itemType": "feature", "kind": info.kind,
      "crs": OutputCRS.allCases.map(\.uri), "storageCrs": OutputCRS.epsg9377.uri,
      "links": [
        link(url, "self", "application/json", nil),
        link(url + "?f=html", "alternate", "text/html", nil),
        link(url + "/items", "items", "application/geo+json", title),
        link(url + "/items?f=html", "items", "text/html", title),
      ],
    ]
    if let divipola = info.divipola { object["divipola"] = divipola }
    if let extent = info.extent {
      object["extent"] = ["spatial": ["bbox": [extent], "crs": OutputCRS.crs84.uri]]
    }
    return object
  }

  static func respond(_ request: Request, _ body: [String: Any], title: String) throws -> Response {
    if wantsHTML(request) {
      return HTMLPage.resource(
        title: title, body: body, language: .init(acceptLanguage: request.headers[.acceptLanguage]))
    }
    let data = try JSONSerialization.data(
      withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
    return JSONResponse.response(data)
  }
}

extension Problem {
  static func collectionNotFound(_ id: String) -> Problem {
    Problem(
      status: .notFound, slug: "collection-not-found",
      title: .init(es: "Colección no encontrada", en: "Collection not found"),
      detail: .init(
        es: "No hay una colección «\(id)»: vea /collections.",
        en: "There is no collection \"\(id)\": see /collections."))
  }

  static func featureNotFound(_ collection: String, _ id: String) -> Problem {
    Problem(
      status: .notFound, slug: "feature-not-found",
      title: .init(es: "Entidad no encontrada", en: "Feature not found"),
      detail: .init(
        es: "La colección «\(collection)» no tiene la entidad «\(id)».",
        en: "Collection \"\(collection)\" has no feature \"\(id)\"."))
  }

  static func badParameter(_ name: String, es: String, en: String) -> Problem {
    Problem(
      status: .badRequest, slug: "invalid-parameter",
      title: .init(es: "Parámetro inválido", en: "Invalid parameter"),
      detail: .init(es: "«\(name)»: \(es).", en: "\"\(name)\": \(en)."), extensions: ["parameter": name])
  }
}

/// Layer collections by id, as items requests found them. An entry may outlive its version's
/// publication: every items statement reports whether the version it read is still the
/// published one, and the controller then drops the entry and reads again.
final class LayerCollectionCache: Sendable {
  private let entries = Mutex<[String: CollectionInfo]>([:])

  subscript(id: String) -> CollectionInfo? {
    get { entries.withLock { $0[id] } }
    set { entries.withLock { $0[id] = newValue } }
  }

  func remove(_ id: String) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}

/// Values written into the query of a link.
enum QueryText {
  /// `text` with every byte outside RFC 3986's query characters, and `&=+:/,?<>#`, written as
  /// `%XX`. Foundation's `addingPercentEncoding` with a `CharacterSet` cost 7 % of the server's
  /// CPU on a page in a box (a self link and a next link per page).
  static func percentEncoded(_ text: String) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count + 16)
    for byte in text.utf8 {
      if byte < 128, queryKept[Int(byte)] {
        bytes.append(byte)
      } else {
        bytes.append(UInt8(ascii: "%"))
        bytes.append(hex[Int(byte >> 4)])
        bytes.append(hex[Int(byte & 15)])
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  private static let hex = Array("0123456789ABCDEF".utf8)

  /// ASCII bytes kept as they are in a query value: letters, digits and `-._~!$'()*;@`.
  private static let queryKept: [Bool] = (0..<128).map { byte in
    let scalar = Unicode.Scalar(UInt8(byte))
    return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
      || "-._~!$'()*;@".unicodeScalars.contains(scalar)
  }
}

extension HTTPField.Name {
  /// OGC API Features Part 2's header naming the CRS of the geometries sent.
  static let contentCrs = HTTPField.Name("Content-Crs")!
  static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
