import Analysis
import Catalog
import Foundation
import Ingest
import Logging
import NodoTestSupport
import PostgresNIO
import Store

/// A migrated database of its own, with helpers to load layers and run the engine.
struct AnalysisFixture {
  let url: DatabaseURL
  let logger: Logger

  static func make(_ label: String) async throws -> AnalysisFixture {
    AnalysisFixture(
      url: try await TestDatabase.shared.migratedDatabase(label), logger: TestDatabase.shared.logger)
  }

  @discardableResult
  func ingest(_ options: IngestOptions) async throws -> IngestReport {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        options)
    }
  }

  func analyze(
    _ divipola: String, zone: Zone? = nil, parameters: AnalysisParameters = AnalysisParameters(workers: 2)
  ) async throws
    -> AnalysisSummary
  {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      let (catalog, matrix) = try CatalogFiles.load(environment: [:])
      return try await AnalysisEngine(
        database: database, catalog: catalog, matrix: matrix, parameters: parameters, softwareVersion: "test"
      ).run(divipola: divipola, zone: zone)
    }
  }

  func stale() async throws -> [StaleMunicipality] {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      try await AnalysisRepository.staleMunicipalities(client: database.client, logger: logger)
    }
  }

  /// Rows of one text column.
  func texts(_ query: PostgresQuery) async throws -> [String] {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      var out: [String] = []
      for try await value in try await database.client.query(query, logger: logger).decode(String?.self) {
        out.append(value ?? "NULL")
      }
      return out
    }
  }

  func number(_ query: PostgresQuery) async throws -> Double {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      for try await value in try await database.client.query(query, logger: logger).decode(Double?.self) {
        return value ?? .nan
      }
      return .nan
    }
  }
}

/// GeoJSON in EPSG:9377 around a local origin, for hand-made cases.
struct HandMade {
  static let x0 = 4_900_000.0
  static let y0 = 2_100_000.0

  /// A rectangle from local coordinates (metres from the origin).
  static func box(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
    let ring = [(a, b), (c, b), (c, d), (a, d), (a, b)].map { "[\(x0 + $0.0), \(y0 + $0.1)]" }
    return "{\"type\": \"Polygon\", \"coordinates\": [[\(ring.joined(separator: ", "))]]}"
  }

  static func line(_ points: [(Double, Double)]) -> String {
    "{\"type\": \"LineString\", \"coordinates\": [\(points.map { "[\(x0 + $0.0), \(y0 + $0.1)]" }.joined(separator: ", "))]}"
  }

  /// A FeatureCollection with the given properties (JSON object text) and geometries.
  static func collection(_ features: [(properties: String, geometry: String)]) -> String {
    let items = features.map {
      "{\"type\": \"Feature\", \"properties\": \($0.properties), \"geometry\": \($0.geometry)}"
    }
    return """
      {"type": "FeatureCollection",
       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9377"}},
       "features": [\(items.joined(separator: ",\n"))]}
      """
  }
}

extension AnalysisFixture {
  /// The newest run the municipality's results come from.
  func latestRunID(_ divipola: String) async throws -> Int64? {
    let logger = self.logger
    return try await Database.withDatabase(url, logger: logger) { database in
      try await AnalysisRepository.run(divipola: divipola, client: database.client, logger: logger)?.id
    }
  }
}
