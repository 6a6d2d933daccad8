import Analysis
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import Store

/// Analyses (start one, read its summary), a municipality's latest results, a parcel's
/// "reporte de cruces", and the catalogue the engine applies.
struct AnalysisController<Context: RequestContext>: Sendable {
  let database: Database
  let catalog: DeterminantCatalog
  let matrix: CompatibilityMatrix
  let access: AccessPolicy
  private var logger: Logger { database.logger }

  func register(on router: Router<Context>) {
    router.post("analyses", use: start)
    router.get("analyses/:id", use: run)
    router.get("municipalities/:divipola/summary", use: municipality)
    router.get("parcels/:npn/affectations", use: parcel)
    router.get("determinant-types", use: determinantTypes)
    router.get("compatibility", use: compatibility)
    router.post("affectations", use: anyArea)
  }

  /// Buffer rules of the catalogue for SQL: type code → {"fixed": m} or {"field", "byValue"}.
  var bufferRulesJSON: String {
    var rules: [String: Any] = [:]
    for code in catalog.allCodes {
      guard let rule = catalog.descriptor(code)?.buffer else { continue }
      if rule.kind == "fixed", let meters = rule.meters {
        rules[code] = ["fixed": meters]
      } else if rule.kind == "byRoadOrder", let field = rule.field, let values = rule.metersEachSide {
        rules[code] = ["field": field, "byValue": values]
      }
    }
    return String(
      decoding: (try? JSONSerialization.data(withJSONObject: rules, options: [.sortedKeys]))
        ?? Data("{}".utf8), as: UTF8.self)
  }

  /// `POST /affectations` with a GeoJSON geometry (or Feature), CRS84 unless `crs` (in the body
  /// or the query) says EPSG:9377: per determinant layer, hit or not, hit area and share,
  /// distance to the nearest feature when not hit, level, legal basis and data date; and the
  /// art. 32 resolution among the layers hit.
  @Sendable func anyArea(_ request: Request, context: Context) async throws -> Response {
    let buffer = try await request.body.collect(upTo: 8 << 20)
    guard
      var object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
    else {
      throw Problem.badRequest(
        es: "El cuerpo debe ser una geometría GeoJSON (o un Feature) en JSON.",
        en: "The body must be a GeoJSON geometry (or Feature) as JSON.")
    }
    var crsText = request.uri.queryParameters["crs"].map(String.init) ?? (object["crs"] as? String)
    if let named = (object["crs"] as? [String: Any])?["properties"] as? [String: Any] {
      crsText = named["name"] as? String
    }
    if object["type"] as? String == "Feature" || object["geometry"] != nil {
      guard let geometry = object["geometry"] as? [String: Any] else {
        throw Problem.badRequest(es: "El Feature no tiene geometría.", en: "The Feature has no geometry.")
      }
      object = geometry
    }
    guard let type = object["type"] as? String,
      ["Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString"].contains(type)
    else {
      throw Problem.badRequest(
        es: "Se esperaba una geometría GeoJSON (Polygon, MultiPolygon, Point, LineString…).",
        en: "Expected a GeoJSON geometry (Polygon, MultiPolygon, Point, LineString…).")
    }
    var srid: Int32 = 4326
    if let crsText {
      let lowered = crsText.lowercased()
      if lowered.hasSuffix("/9377") || lowered.hasSuffix(":9377") {
        srid = 9377
      } else if !(lowered.hasSuffix("crs84") || lowered.hasSuffix("/4326") || lowered.hasSuffix(":4326")) {
        throw Problem.badParameter("crs", es: "use CRS84 o EPSG:9377", en: "use CRS84 or EPSG:9377")
      }
    }
    let geoJSON = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    let result: (area: Double, rows: [AreaCheckRow])
    do {
      result = try await AreaCheck.run(
        geoJSON: geoJSON, srid: srid, bufferRulesJSON: bufferRulesJSON, client: database.client,
        logger: logger)
    } catch let error as PSQLError {
      throw Problem.badRequest(
        es: "La geometría no se pudo leer: \(Store.describe(error)).",
        en: "The geometry could not be read: \(Store.describe(error)).")
    }
    var members: [RankedMember] = []
    var layers: [[String: Any]] = []
    for row in result.rows {
      let descriptor = row.typeCode.flatMap { catalog.descriptor($0) }
      let hit = row.hitArea > 0
      var entry: [String: Any] = [
        "layer": row.layer, "kind": row.kind, "version": row.version, "hit": hit, "hit_area_m2": row.hitArea,
        "hit_pct": result.area > 0 ? row.hitArea / result.area * 100 : (row.featuresHit > 0 ? 100 : 0),
        "features_hit": row.featuresHit,
      ]
      if !hit { entry["distance_m"] = row.distance ?? 0 }
      if let title = row.title { entry["title"] = title }
      if let code = row.typeCode { entry["type"] = code }
      if let descriptor {
        entry["type_name"] = descriptor.name
        entry["legal_basis"] = descriptor.legalBasis
        if let level = descriptor.level { entry["level"] = level }
        if let literal = descriptor.literal { entry["literal"] = literal }
        if descriptor.ethnic { entry["ethnic"] = true }
      }
      entry["authority"] = row.authority ?? descriptor?.authority ?? NSNull()
      if let act = row.legalAct { entry["legal_act"] = act }
      entry["data_date"] =
        row.cutoffDate ?? row.publishedAt.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull()
      if hit {
        members.append(
          RankedMember(
            level: descriptor?.level, literal: descriptor?.literal, ethnic: descriptor?.ethnic ?? false,
            name: row.title ?? row.layer, authority: row.authority ?? descriptor?.authority ?? ""))
      }
      layers.append(entry)
    }
    var body: [String: Any] = [
      "area_m2": result.area, "crs": srid == 9377 ? OutputCRS.epsg9377.uri : OutputCRS.crs84.uri,
      "areas": "planar, EPSG:9377", "layers": layers,
    ]
    if !members.isEmpty {
      let outcome = Prevalence.resolve(members)
      let hitLayers = layers.filter { $0["hit"] as? Bool == true }
      for index in outcome.prevailing {
        if let name = hitLayers[index]["layer"] as? String,
          let position = layers.firstIndex(where: { $0["layer"] as? String == name })
        {
          layers[position]["prevails"] = true
        }
      }
      body["layers"] = layers
      var resolution: [String: Any] = [
        "resolution": outcome.resolution.rawValue, "codes": outcome.codes, "fundamento": outcome.fundamento,
      ]
      if let level = outcome.prevailingLevel { resolution["prevailing_level"] = level }
      if let hint = outcome.hint { resolution["hint"] = hint }
      body["prevalence"] = resolution
    }
    let data = try JSONSerialization.data(
      withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
    return JSONResponse.response(data)
  }

  struct StartBody: Decodable {
    var divipola: String
  }

  /// `POST /analyses {"divipola": "25999"}` → 202 and the job's URL.
  @Sendable func start(_ request: Request, context: Context) async throws -> Response {
    let buffer = try await request.body.collect(upTo: 64 * 1024)
    guard let body = try? JSONDecoder().decode(StartBody.self, from: Data(buffer.readableBytesView)) else {
      throw Problem.badRequest(
        es: "El cuerpo debe ser JSON: {\"divipola\": \"NNNNN\"}.",
        en: "The body must be JSON: {\"divipola\": \"NNNNN\"}.")
    }
    guard Divipola(body.divipola) != nil else {
      throw Problem.badRequest(
        es: AnalysisError.invalidDivipola(body.divipola).message(.es),
        en: AnalysisError.invalidDivipola(body.divipola).message(.en))
    }
    let caller = try await access.require(.planner, divipola: body.divipola, request: request)
    let params = String(
      decoding: try JSONEncoder().encode(AnalysisJobParams(divipola: body.divipola)), as: UTF8.self)
    let id = try await JobRepository.enqueue(
      kind: AnalysisEngine.jobKind, paramsJSON: params, client: database.client, logger: logger)
    await access.audit(caller, action: "analysis.start", target: body.divipola, result: "job \(id)")
    var response = JSONResponse.response(
      #"{"job":\#(id),"status":"queued","href":"/jobs/\#(id)","divipola":"\#(body.divipola)"}"#)
    response.status = .accepted
    response.headers[.location] = "/jobs/\(id)"
    return response
  }

  @Sendable func run(_ request: Request, context: Context) async throws -> Response {
    guard let id = context.parameters.get("id", as: Int64.self),
      let run = try await AnalysisRepository.run(id: id, client: database.client, logger: logger)
    else { throw Problem.analysisNotFound(context.parameters.get("id") ?? "") }
    return try await describe(run)
  }

  @Sendable func municipality(_ request: Request, context: Context) async throws -> Response {
    let divipola = try context.parameters.require("divipola")
    guard Divipola(divipola) != nil else {
      throw Problem.badRequest(
        es: AnalysisError.invalidDivipola(divipola).message(.es),
        en: AnalysisError.invalidDivipola(divipola).message(.en))
    }
    guard
      let run = try await AnalysisRepository.run(divipola: divipola, client: database.client, logger: logger)
    else {
      throw Problem(
        status: .notFound, slug: "no-analysis",
        title: .init(es: "Sin análisis", en: "No analysis"),
        detail: .init(
          es: "El municipio \(divipola) no tiene un análisis terminado: inícielo con POST /analyses.",
          en: "Municipality \(divipola) has no finished analysis: start one with POST /analyses."))
    }
    return try await describe(run)
  }

  func describe(_ run: AnalysisRunRecord) async throws -> Response {
    let inputs = try await AnalysisRepository.inputs(runID: run.id, client: database.client, logger: logger)
    func json(_ text: String) -> Any { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) ?? [:] }
    var object: [String: Any] = [
      "id": run.id, "divipola": run.divipola, "status": run.status, "software_version": run.softwareVersion,
      "started_at": ISO8601DateFormatter().string(from: run.startedAt),
      "parameters": json(run.parametersJSON), "counts": json(run.countsJSON),
      "timings": json(run.timingsJSON),
      "summary": json(run.summaryJSON),
      "inputs": inputs.map { ["layer": $0.layer, "version": $0.version, "role": $0.role] },
      "links": [
        [
          "rel": "faces", "href": "/collections/analysis-\(run.divipola)-faces/items",
          "type": "application/geo+json",
        ],
        [
          "rel": "conflicts", "href": "/collections/analysis-\(run.divipola)-conflicts/items",
          "type": "application/geo+json",
        ],
        [
          "rel": "affectations", "href": "/collections/analysis-\(run.divipola)-affectations/items",
          "type": "application/geo+json",
        ],
      ],
    ]
    if let finished = run.finishedAt { object["finished_at"] = ISO8601DateFormatter().string(from: finished) }
    if let error = run.error { object["error"] = error }
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return JSONResponse.response(data)
  }

  /// `GET /parcels/{npn}/affectations` in JSON, GeoJSON (`f=geojson`), CSV (`f=csv`) or a
  /// printable HTML page (`f=html` or `Accept: text/html`): the "reporte de cruces".
  @Sendable func parcel(_ request: Request, context: Context) async throws -> Response {
    let npn = try context.parameters.require("npn")
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    let format = Self.format(request)
    guard NumeroPredial.validate(npn) == nil else {
      throw Problem.badRequest(
        es: "«\(npn)» no es un número predial nacional de 30 dígitos.",
        en: "\"\(npn)\" is not a 30-digit número predial nacional.")
    }
    guard
      let (totals, rows) = try await AnalysisRepository.parcelReport(
        npn: npn, geometrySRID: format == "geojson" ? 4326 : nil, client: database.client, logger: logger)
    else {
      throw Problem(
        status: .notFound, slug: "parcel-not-analysed",
        title: .init(es: "Predio sin análisis", en: "Parcel not analysed"),
        detail: .init(
          es:
            "Ningún análisis terminado incluye el predio \(npn) (¿está cargado y publicado su catastro, y analizado su municipio?).",
          en:
            "No finished analysis includes parcel \(npn) (is its cadastre loaded and published, and its municipality analysed?)."
        ))
    }
    switch format {
    case "csv": return ParcelReport.csv(totals, rows, language: language)
    case "html": return ParcelReport.html(totals, rows, language: language)
    case "geojson": return try ParcelReport.geojson(totals, rows)
    default: return try ParcelReport.json(totals, rows)
    }
  }

  static func format(_ request: Request) -> String {
    if let f = request.uri.queryParameters["f"] { return String(f) }
    let accept = request.headers[.accept] ?? ""
    if accept.contains("text/csv") { return "csv" }
    if accept.contains("application/geo+json") { return "geojson" }
    if FeaturesController<Context>.wantsHTML(request) { return "html" }
    return "json"
  }

  @Sendable func determinantTypes(_ request: Request, context: Context) async throws -> JSONResponse {
    try JSONResponse(catalog)
  }

  @Sendable func compatibility(_ request: Request, context: Context) async throws -> JSONResponse {
    try JSONResponse(matrix)
  }
}

extension Problem {
  static func analysisNotFound(_ id: String) -> Problem {
    Problem(
      status: .notFound, slug: "analysis-not-found",
      title: .init(es: "Análisis no encontrado", en: "Analysis not found"),
      detail: .init(es: "No existe el análisis «\(id)».", en: "There is no analysis \"\(id)\"."))
  }
}

/// The "reporte de cruces" of one parcel in every format.
enum ParcelReport {
  static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
  }

  struct Body: Encodable {
    var parcel: ParcelTotals
    var affectations: [AffectationRecord]
    var areas: String
  }

  static func json(_ totals: ParcelTotals, _ rows: [AffectationRecord]) throws -> Response {
    let data = try encoder().encode(Body(parcel: totals, affectations: rows, areas: "planar, EPSG:9377"))
    return JSONResponse.response(data)
  }

  static func geojson(_ totals: ParcelTotals, _ rows: [AffectationRecord]) throws -> Response {
    var features: [String] = []
    let enc = encoder()
    for row in rows {
      var properties = row
      properties.geometry = nil
      let props = String(decoding: try enc.encode(properties), as: UTF8.self)
      features.append(#"{"type":"Feature","geometry":\#(row.geometry ?? "null"),"properties":\#(props)}"#)
    }
    var parcel = totals
    parcel.geometry = nil
    let parcelProps = String(decoding: try enc.encode(parcel), as: UTF8.self)
    features.insert(
      #"{"type":"Feature","geometry":\#(totals.geometry ?? "null"),"properties":\#(parcelProps)}"#, at: 0)
    var response = JSONResponse.response(
      "{\"type\":\"FeatureCollection\",\"features\":[" + features.joined(separator: ",") + "]}")
    response.headers[.contentType] = "application/geo+json"
    return response
  }

  static func csv(_ totals: ParcelTotals, _ rows: [AffectationRecord], language: Language) -> Response {
    func field(_ text: String?) -> String {
      let value = text ?? ""
      return value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
        ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
    func number(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    var lines = [
      language.pick(
        "npn,capa,determinante,tipo,nivel,literal,autoridad,acto,fecha_corte,area_m2,area_ha,pct_predio,pct_determinante,fundamento",
        "npn,layer,determinant,type,level,literal,authority,act,cutoff_date,area_m2,area_ha,pct_parcel,pct_determinant,legal_basis"
      )
    ]
    for row in rows {
      lines.append(
        [
          field(row.npn), field(row.layer), field(row.determinant), field(row.typeCode),
          row.level.map(String.init) ?? "",
          field(row.literal), field(row.authority), field(row.legalAct), field(row.cutoffDate),
          number(row.areaM2, 2),
          number(row.areaM2 / 10_000, 4), number(row.pctParcel, 3), number(row.pctDeterminant, 5),
          field(row.legalBasis),
        ].joined(separator: ","))
    }
    var headers = HTTPFields()
    headers[.contentType] = "text/csv; charset=utf-8"
    headers[.contentDisposition] = "attachment; filename=\"cruces-\(totals.npn ?? "predio").csv\""
    return Response(
      status: .ok, headers: headers,
      body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
  }

  static func html(_ totals: ParcelTotals, _ rows: [AffectationRecord], language: Language) -> Response {
    let e = HTMLPage.escape
    func m2(_ value: Double) -> String { String(format: "%.2f", value) }
    var body =
      "<p>" + language.pick("Análisis", "Analysis") + " \(totals.runID) · DIVIPOLA \(totals.divipola) · "
    body += language.pick("áreas planas en EPSG:9377", "planar areas in EPSG:9377") + "</p>"
    body +=
      "<table><tr><th>" + language.pick("Área del predio", "Parcel area")
      + "</th><td>\(m2(totals.areaM2)) m² ("
      + String(format: "%.4f", totals.areaM2 / 10_000) + " ha)</td></tr>"
    body +=
      "<tr><th>" + language.pick("Área restringida", "Restricted area")
      + "</th><td>\(m2(totals.restrictedM2)) m²</td></tr>"
    body +=
      "<tr><th>" + language.pick("Área libre", "Free area") + "</th><td>\(m2(totals.freeM2)) m²</td></tr>"
    body +=
      "<tr><th>"
      + language.pick("Nivel que prevalece en la mayor parte", "Prevailing level over the largest part")
      + "</th><td>\(totals.prevailingLevel.map { String($0) } ?? "—")</td></tr>"
    body +=
      "<tr><th>" + language.pick("Astillas descartadas", "Slivers dropped")
      + "</th><td>\(totals.slivers) (< \(e(totals.sliverRule)))</td></tr></table>"
    body +=
      "<h2>"
      + language.pick(
        "Determinantes y condicionantes que afectan el predio",
        "Determinants and condicionantes affecting the parcel") + "</h2>"
    if rows.isEmpty {
      body += "<p>" + language.pick("Ninguno.", "None.") + "</p>"
    } else {
      body +=
        "<table><tr>"
        + [
          language.pick("Capa / objeto", "Layer / object"), language.pick("Tipo", "Type"),
          language.pick("Nivel", "Level"),
          language.pick("Autoridad y acto", "Authority and act"),
          language.pick("Fecha de corte", "Cut-off date"),
          "m²", "ha", language.pick("% del predio", "% of parcel"),
          language.pick("% del objeto", "% of object"),
          language.pick("Fundamento", "Legal basis"),
        ].map { "<th>\(e($0))</th>" }.joined() + "</tr>"
      for row in rows {
        let level =
          row.level.map { "\($0)" + (row.literal.map { " (\($0))" } ?? "") }
          ?? language.pick("condicionante", "condicionante")
        body +=
          "<tr><td>\(e(row.layer)) — \(e(row.determinant ?? ""))</td><td>\(e(row.typeCode))</td><td>\(e(level))</td>"
        body +=
          "<td>\(e(row.authority ?? "")) · \(e(row.legalAct ?? ""))</td><td>\(e(row.cutoffDate ?? ""))</td>"
        body += "<td>\(m2(row.areaM2))</td><td>" + String(format: "%.4f", row.areaM2 / 10_000) + "</td>"
        body +=
          "<td>" + String(format: "%.2f", row.pctParcel) + "</td><td>"
          + String(format: "%.3f", row.pctDeterminant) + "</td>"
        body += "<td>\(e(row.legalBasis ?? ""))</td></tr>"
      }
      body += "</table>"
    }
    return HTMLPage.page(
      title: language.pick("Reporte de cruces del predio ", "Cruce report of parcel ") + (totals.npn ?? ""),
      language: language, body: body)
  }
}
