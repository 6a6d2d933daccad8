import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Store

/// Vector tiles of every collection in the WebMercatorQuad tile matrix set, built by
/// PostGIS (`ST_AsMVT`): `/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}`; 204 for an
/// empty tile; TileJSON metadata at `/collections/{id}/tiles/WebMercatorQuad`.
struct TilesController<Context: RequestContext>: Sendable {
  let database: Database
  let features: FeaturesController<Context>
  private var logger: Logger { database.logger }

  func register(on router: Router<Context>) {
    router.get("collections/:id/tiles", use: tilesets)
    router.get("collections/:id/tiles/WebMercatorQuad", use: tileJSON)
    router.get("collections/:id/tiles/WebMercatorQuad/:z/:x/:y", use: tile)
  }

  @Sendable func tilesets(_ request: Request, context: Context) async throws -> Response {
    try FeaturesController<Context>.allow(request, [])
    let info = try await features.find(context)
    let base = FeaturesController<Context>.base(request)
    let body: [String: Any] = [
      "tilesets": [
        [
          "title": info.id, "dataType": "vector", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
          "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
          "links": [
            FeaturesController<Context>.link(
              base + "/collections/\(info.id)/tiles/WebMercatorQuad", "self", "application/json", nil),
            FeaturesController<Context>.link(
              base + "/collections/\(info.id)/tiles/WebMercatorQuad/{tileMatrix}/{tileCol}/{tileRow}", "item",
              "application/vnd.mapbox-vector-tile", nil),
          ],
        ]
      ]
    ]
    return try FeaturesController<Context>.respond(request, body, title: info.id)
  }

  @Sendable func tileJSON(_ request: Request, context: Context) async throws -> Response {
    try FeaturesController<Context>.allow(request, [])
    let info = try await features.find(context)
    let base = FeaturesController<Context>.base(request)
    var body: [String: Any] = [
      "tilejson": "3.0.0", "name": info.id, "scheme": "xyz", "minzoom": 0, "maxzoom": 22,
      "tiles": [base + "/collections/\(info.id)/tiles/WebMercatorQuad/{z}/{x}/{y}"],
      "vector_layers": [["id": info.id, "fields": [String: String]()]],
    ]
    if let extent = info.extent {
      body["bounds"] = extent
      body["center"] = [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, 12]
    }
    return try FeaturesController<Context>.respond(request, body, title: info.id)
  }

  @Sendable func tile(_ request: Request, context: Context) async throws -> Response {
    try FeaturesController<Context>.allow(request, [])
    let info = try await features.find(context)
    guard let z = context.parameters.get("z", as: Int.self), (0...24).contains(z),
      let x = context.parameters.get("x", as: Int.self), let y = context.parameters.get("y", as: Int.self),
      x >= 0, y >= 0, x < 1 << z, y < 1 << z
    else {
      throw Problem.badParameter(
        "z/x/y", es: "fuera de la matriz WebMercatorQuad (z de 0 a 24; x, y de 0 a 2^z − 1)",
        en: "outside the WebMercatorQuad matrix (z 0 to 24; x, y 0 to 2^z − 1)")
    }
    let bytes = try await FeatureQueries.tile(
      info.source, layer: info.id, z: z, x: x, y: y, client: database.client, logger: logger)
    var headers = HTTPFields()
    headers[.cacheControl] = "public, max-age=60"
    guard !bytes.isEmpty else { return Response(status: .noContent, headers: headers) }
    headers[.contentType] = "application/vnd.mapbox-vector-tile"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
