import Catalog
import Foundation
import Hummingbird

/// The OpenAPI 3.0 document served at `/api`: every route of the router, its parameters and
/// responses. `APITests` checks it against the running router (every documented path answers,
/// every parameter is accepted) and validates it with openapi-spec-validator.
enum OpenAPIDocument {
  static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/parameters/\(name)"] }
  static func response(_ description: String, _ type: String = "application/json") -> [String: Any] {
    ["description": description, "content": [type: ["schema": ["type": "object"]]]]
  }
  static var problem: [String: Any] {
    [
      "description": "RFC 9457 problem",
      "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
    ]
  }

  static func get(
    _ summary: String, tags: [String], parameters: [[String: Any]] = [], responses: [String: Any]
  ) -> [String: Any] {
    var all = responses
    all["400"] = problem
    all["default"] = problem
    return ["summary": summary, "tags": tags, "parameters": parameters + [ref("f")], "responses": all]
  }

  static func write(
    _ summary: String, tags: [String], parameters: [[String: Any]] = [], body: String?,
    responses: [String: Any]
  )
    -> [String: Any]
  {
    var all = responses
    all["400"] = problem
    all["401"] = problem
    all["403"] = problem
    all["default"] = problem
    var operation: [String: Any] = [
      "summary": summary, "tags": tags, "parameters": parameters, "responses": all,
      "security": [["apiKey": [] as [String]]],
    ]
    if let body {
      operation["requestBody"] = ["required": true, "content": [body: ["schema": ["type": "object"]]]]
    }
    return operation
  }

  static func path(
    _ name: String, _ description: String, schema: [String: Any] = ["type": "string"]
  ) -> [String: Any] {
    ["name": name, "in": "path", "required": true, "description": description, "schema": schema]
  }

  static var document: [String: Any] {
    let collectionID = path(
      "collectionId", "Collection id (a layer slug or analysis-NNNNN-faces|conflicts|affectations)")
    let paths: [String: Any] = [
      "/": [
        "get": get("Landing page", tags: ["OGC API Features"], responses: ["200": response("Landing page")])
      ],
      "/api": [
        "get": get(
          "This OpenAPI document", tags: ["OGC API Features"],
          responses: ["200": response("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0")])
      ],
      "/conformance": [
        "get": get(
          "Conformance classes", tags: ["OGC API Features"], responses: ["200": response("Conformance")])
      ],
      "/collections": [
        "get": get(
          "Collections: published layers and analysis results", tags: ["OGC API Features"],
          responses: ["200": response("Collections")])
      ],
      "/collections/{collectionId}": [
        "get": get(
          "One collection", tags: ["OGC API Features"], parameters: [collectionID],
          responses: ["200": response("Collection"), "404": problem])
      ],
      "/collections/{collectionId}/items": [
        "get": get(
          "Features, in pages linked by rel=next (keyset cursor)", tags: ["OGC API Features"],
          parameters: [
            collectionID, ref("limit"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("properties"),
            ref("datetime"), ref("filter"), ref("filter-lang"), ref("cursor"),
          ],
          responses: ["200": response("GeoJSON FeatureCollection", "application/geo+json"), "404": problem])
      ],
      "/collections/{collectionId}/items/{featureId}": [
        "get": get(
          "One feature", tags: ["OGC API Features"],
          parameters: [
            collectionID, path("featureId", "Feature id", schema: ["type": "integer"]), ref("crs"),
            ref("properties"),
          ],
          responses: ["200": response("GeoJSON Feature", "application/geo+json"), "404": problem])
      ],
      "/collections/{collectionId}/tiles": [
        "get": get(
          "Tilesets of a collection", tags: ["Tiles"], parameters: [collectionID],
          responses: ["200": response("Tilesets"), "404": problem])
      ],
      "/collections/{collectionId}/tiles/WebMercatorQuad": [
        "get": get(
          "TileJSON of a collection", tags: ["Tiles"], parameters: [collectionID],
          responses: ["200": response("TileJSON"), "404": problem])
      ],
      "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}": [
        "get": get(
          "A Mapbox Vector Tile (204 when empty)", tags: ["Tiles"],
          parameters: [
            collectionID, path("z", "Zoom 0–24", schema: ["type": "integer", "minimum": 0, "maximum": 24]),
            path("x", "Column", schema: ["type": "integer", "minimum": 0]),
            path("y", "Row", schema: ["type": "integer", "minimum": 0]),
          ],
          responses: [
            "200": response("MVT", "application/vnd.mapbox-vector-tile"),
            "204": ["description": "Empty tile"], "404": problem,
          ])
      ],
      "/layers": [
        "get": get(
          "Layers and their published versions", tags: ["Layers"], responses: ["200": response("Layers")])
      ],
      "/layers/{slug}/versions": [
        "get": get(
          "A layer's versions", tags: ["Layers"], parameters: [path("slug", "Layer slug")],
          responses: ["200": response("Versions"), "404": problem]),
        "post": write(
          "Upload a file (body or multipart `file`) as a new version: 202 and a job", tags: ["Layers"],
          parameters: [path("slug", "Layer slug")]
            + [
              "kind", "type", "divipola", "crs", "encoding", "source_layer", "map", "publish", "strict",
              "filename",
            ].map {
              ["name": $0, "in": "query", "required": $0 == "kind", "schema": ["type": "string"]]
            }, body: "application/octet-stream", responses: ["202": response("Job queued"), "413": problem]),
      ],
      "/layers/{slug}/versions/{number}/report": [
        "get": get(
          "The ingest report of a version", tags: ["Layers"],
          parameters: [
            path("slug", "Layer slug"), path("number", "Version number", schema: ["type": "integer"]),
          ], responses: ["200": response("Report"), "404": problem])
      ],
      "/layers/{slug}/publish": [
        "post": write(
          "Publish a version (newest by default)", tags: ["Layers"],
          parameters: [
            path("slug", "Layer slug"), ["name": "version", "in": "query", "schema": ["type": "integer"]],
          ], body: nil, responses: ["200": response("Published"), "404": problem])
      ],
      "/layers/{slug}/rollback": [
        "post": write(
          "Publish the previous version again (admin)", tags: ["Layers"],
          parameters: [path("slug", "Layer slug")], body: nil,
          responses: ["200": response("Rolled back"), "409": problem])
      ],
      "/jobs/{id}": [
        "get": get(
          "A job: status, progress, result or error", tags: ["Jobs"],
          parameters: [path("id", "Job id", schema: ["type": "integer"])],
          responses: ["200": response("Job"), "404": problem])
      ],
      "/analyses": [
        "post": write(
          "Start the analysis of a municipality (planner): 202 and a job", tags: ["Analysis"],
          body: "application/json", responses: ["202": response("Job queued")])
      ],
      "/analyses/{id}": [
        "get": get(
          "A run: provenance, parameters, summary, timings", tags: ["Analysis"],
          parameters: [path("id", "Run id", schema: ["type": "integer"])],
          responses: ["200": response("Run"), "404": problem])
      ],
      "/municipalities/{divipola}/summary": [
        "get": get(
          "The latest run of a municipality", tags: ["Analysis"],
          parameters: [
            path("divipola", "DIVIPOLA code", schema: ["type": "string", "pattern": "^[0-9]{5}$"])
          ], responses: ["200": response("Run"), "404": problem])
      ],
      "/parcels/{npn}/affectations": [
        "get": get(
          "The reporte de cruces of a parcel (f=json, geojson, csv or html)", tags: ["Analysis"],
          parameters: [
            path(
              "npn", "Número predial nacional (30 digits)",
              schema: ["type": "string", "pattern": "^[0-9]{30}$"])
          ], responses: ["200": response("Affectations"), "404": problem])
      ],
      "/affectations": [
        "post": write(
          "Any-area check: a GeoJSON geometry against every determinant layer", tags: ["Analysis"],
          body: "application/json",
          responses: ["200": response("Per layer: hit, area, %, distance, prevalence")]
        ).merging(["security": [] as [Any]]) { $1 }
      ],
      "/determinant-types": [
        "get": get(
          "The determinant catalogue (art. 32 levels, types, condicionantes)", tags: ["Catalogue"],
          responses: ["200": response("Catalogue")])
      ],
      "/compatibility": [
        "get": get(
          "The compatibility matrix (determinant × POT → use quality)", tags: ["Catalogue"],
          responses: ["200": response("Matrix")])
      ],
      "/keys": [
        "get": write("API keys (admin)", tags: ["Access"], body: nil, responses: ["200": response("Keys")]),
        "post": write(
          "Create a key (admin); the key is in the response only", tags: ["Access"], body: "application/json",
          responses: ["201": response("Key")]),
      ],
      "/keys/{id}": [
        "delete": write(
          "Revoke a key (admin)", tags: ["Access"],
          parameters: [path("id", "Key id", schema: ["type": "integer"])], body: nil,
          responses: ["204": ["description": "Revoked"], "404": problem])
      ],
      "/audit": [
        "get": write(
          "Audit events (admin)", tags: ["Access"],
          parameters: [["name": "limit", "in": "query", "schema": ["type": "integer"]]], body: nil,
          responses: ["200": response("Events")])
      ],
      "/health": ["get": ["summary": "Liveness", "tags": ["Ops"], "responses": ["200": response("Alive")]]],
      "/ready": [
        "get": [
          "summary": "Readiness: database reachable, migrations current", "tags": ["Ops"],
          "responses": ["200": response("Ready"), "503": problem],
        ]
      ],
      "/metrics": [
        "get": [
          "summary": "Prometheus metrics", "tags": ["Ops"],
          "responses": ["200": response("Metrics", "text/plain")],
        ]
      ],
      "/viewer": [
        "get": [
          "summary": "Map viewer for planners", "tags": ["Viewer"],
          "responses": ["200": response("HTML page", "text/html")],
        ]
      ],
    ]
    let crsList = OutputCRS.allCases.map(\.uri)
    return [
      "openapi": "3.0.3",
      "info": [
        "title": "Nodo AT", "version": NodoVersionText.current,
        "description":
          "Territorial data node: OGC API – Features (Part 1 core, Part 2 CRS), analyses under Ley 2294 de 2023 art. 32, parcel affectations.",
      ],
      "servers": [["url": "/"]],
      "paths": paths,
      "components": [
        "securitySchemes": [
          "apiKey": [
            "type": "http", "scheme": "bearer", "description": "nodo_… key from `nodo-at keys create`",
          ]
        ],
        "schemas": [
          "Problem": [
            "type": "object",
            "properties": [
              "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
              "detail": ["type": "string"], "instance": ["type": "string"],
            ],
          ]
        ],
        "parameters": [
          "f": [
            "name": "f", "in": "query", "required": false,
            "schema": ["type": "string", "enum": ["json", "html", "geojson", "csv"]],
          ],
          "limit": [
            "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
            "schema": [
              "type": "integer", "minimum": 1, "maximum": FeaturesControllerLimits.max,
              "default": FeaturesControllerLimits.default,
            ],
          ],
          "bbox": [
            "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
            "schema": ["type": "array", "minItems": 4, "maxItems": 6, "items": ["type": "number"]],
          ],
          "bbox-crs": [
            "name": "bbox-crs", "in": "query", "required": false,
            "schema": ["type": "string", "format": "uri", "enum": crsList],
          ],
          "crs": [
            "name": "crs", "in": "query", "required": false,
            "schema": ["type": "string", "format": "uri", "enum": crsList],
          ],
          "properties": [
            "name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
            "schema": ["type": "array", "items": ["type": "string"]],
          ],
          "datetime": [
            "name": "datetime", "in": "query", "required": false,
            "description": "Accepted; no collection has a temporal extent yet", "schema": ["type": "string"],
          ],
          "filter": [
            "name": "filter", "in": "query", "required": false,
            "description":
              "CQL2-text subset: comparisons, AND/OR/NOT, LIKE, IN, IS NULL, S_INTERSECTS with WKT or BBOX (CRS84)",
            "schema": ["type": "string"],
          ],
          "filter-lang": [
            "name": "filter-lang", "in": "query", "required": false,
            "schema": ["type": "string", "enum": ["cql2-text"]],
          ],
          "cursor": [
            "name": "cursor", "in": "query", "required": false,
            "description": "Opaque cursor from a rel=next link", "schema": ["type": "string"],
          ],
        ],
      ],
    ]
  }

  static func response(for request: Request) throws -> Response {
    if FeaturesController<BasicRequestContext>.wantsHTML(request) {
      return HTMLPage.resource(
        title: "OpenAPI",
        body: [
          "links": [
            [
              "href": "/api?f=json", "rel": "service-desc",
              "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI 3.0 (JSON)",
            ]
          ]
        ], language: .init(acceptLanguage: request.headers[.acceptLanguage]))
    }
    let data = try JSONSerialization.data(
      withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    var response = JSONResponse.response(data)
    response.headers[.contentType] = "application/vnd.oai.openapi+json;version=3.0"
    return response
  }
}

enum FeaturesControllerLimits {
  static let `default` = 100
  static let max = 10_000
}

enum NodoVersionText {
  static var current: String { Catalog.NodoVersion.current }
}
