import Catalog
import Fixtures
import Foundation
import Geo
import Ingest
import Logging
import NodoTestSupport
import PostgresNIO
import Store
import Testing

@Suite("Synthetic municipality generator")
struct GeneratorTests {
  static let output: MunicipalityGenerator.Output = {
    // swift-format-ignore: NeverUseForceTry
    try! MunicipalityGenerator(parcels: 300, seed: 11).generate()
  }()

  func theme(_ name: String) throws -> Theme {
    try #require(Self.output.themes.first { $0.name == name })
  }

  /// The union of a theme's geometries, in `context`.
  func union(_ name: String, _ context: GeometryContext) throws -> NativeGeometry {
    let parts = try theme(name).features.map { try context.read($0.geometry) }
    return try context.collection(.geometryCollection, of: parts).unaryUnion()
  }

  @Test("exactly N parcels with valid 30-digit NPNs, consistent condición, unique")
  func parcels() throws {
    let lots = try theme("predios")
    #expect(lots.features.count == 300)
    var seen = Set<String>()
    for feature in lots.features {
      guard case .string(let npn) = feature.values[0], case .string(let condition) = feature.values[2] else {
        Issue.record("npn or condición missing")
        continue
      }
      #expect(NumeroPredial.validate(npn) == nil, "\(npn)")
      #expect(NumeroPredial(npn)?.divipola.code == "25999")
      #expect(NumeroPredial(npn).map { String($0.condicion) } == condition)
      #expect(seen.insert(npn).inserted, "duplicate \(npn)")
    }
  }

  @Test("the parcels form a coverage: valid, and the union's area is the sum of the areas")
  func coverage() throws {
    let context = try GeometryContext()
    var sum = 0.0
    for feature in try theme("predios").features {
      let geometry = try context.read(feature.geometry)
      #expect(try geometry.isValid())
      sum += try geometry.area()
    }
    let unionArea = try union("predios", context).area()
    #expect(abs(unionArea - sum) / sum < 1e-9, "union \(unionArea) vs sum \(sum)")
  }

  @Test("the interesting cases occur")
  func interestingCases() throws {
    let context = try GeometryContext()
    let paramo = try union("paramo", context)
    let reserve = try union("reserva_forestal", context)
    // Same level (1c páramo, 1b reserve) overlapping: no legal winner.
    #expect(try paramo.intersection(with: reserve).area() > 10_000)
    // Three determinants stacked: APPA (2), tourism project (6), landslide risk (1d).
    let stacked = try union("appa", context).intersection(with: union("proyecto_turistico", context))
      .intersection(with: union("amenaza_remocion", context))
    #expect(try stacked.area() > 1_000)
    // Urban land over level-1 determinants: the flood zone and the river's ronda.
    let classes = try theme("pot_clases")
    let urban = try context.read(
      try #require(classes.features.first { $0.values[0] == .string("urbano") }).geometry)
    #expect(try urban.intersection(with: union("amenaza_inundacion", context)).area() > 1_000)
    #expect(try urban.intersection(with: union("rios", context).buffer(30)).area() > 1_000)
    // Expansion land over a level-1 determinant too.
    let expansion = try context.read(
      try #require(classes.features.first { $0.values[0] == .string("expansion") }).geometry)
    #expect(try expansion.intersection(with: union("amenaza_inundacion", context)).area() > 100)
    // Parcels wholly inside and partly inside a determinant.
    let flood = try PreparedGeometry(union("amenaza_inundacion", context))
    var whole = 0
    var partial = 0
    for feature in try theme("predios").features {
      let lot = try context.read(feature.geometry)
      if try flood.contains(lot) {
        whole += 1
      } else if try flood.intersects(lot), try lot.intersection(with: flood.base).area() > 1 {
        partial += 1
      }
    }
    #expect(whole > 0 && partial > 0, "whole \(whole), partial \(partial)")
    // Sustracciones are cut out of the reserve.
    let sustracciones = try union("reserva_sustracciones", context)
    #expect(try reserve.intersection(with: sustracciones).area() < 1e-6)
    // Every art. 32 level is present, plus an ethnic condicionante.
    let catalog = try DeterminantCatalog.bundled()
    var levels = Set<Int>()
    var ethnic = false
    for theme in Self.output.themes where theme.fields.first?.name == "nombre" {
      for feature in theme.features {
        guard case .string(let code) = feature.values[1] else { continue }
        switch catalog.entry(code) {
        case .type(let type): levels.insert(type.level)
        case .subtype(_, let type): levels.insert(type.level)
        case .condicionante(let c): ethnic = ethnic || c.ethnic
        case nil: Issue.record("unknown code \(code)")
        }
      }
    }
    #expect(levels == [1, 2, 3, 4, 5, 6])
    #expect(ethnic)
  }

  @Test("the same seed writes byte-identical files; another seed does not")
  func determinism() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nodo-fx-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: base) }
    func files(_ seed: UInt64, _ name: String) throws -> [String: Data] {
      let folder = base.appendingPathComponent(name)
      try FixtureWriter.write(MunicipalityGenerator(parcels: 120, seed: seed).generate(), to: folder)
      var out: [String: Data] = [:]
      for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
        out[file] = try Data(contentsOf: folder.appendingPathComponent(file))
      }
      return out
    }
    let first = try files(5, "a")
    let second = try files(5, "b")
    let other = try files(6, "c")
    #expect(first.keys.sorted() == second.keys.sorted())
    #expect(first.count == 18)
    for (name, data) in first { #expect(second[name] == data, "\(name) differs") }
    #expect(first["predios.zip"] != other["predios.zip"])
  }

  @Test(
    "the committed fixture loads, and PostGIS finds the parcels a coverage",
    .enabled(
      if: FileManager.default.fileExists(
        atPath: RealData.projectRoot.appendingPathComponent("fixtures/predios.zip").path)))
  func committedFixture() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("fixture")
    let logger = TestDatabase.shared.logger
    let folder = RealData.projectRoot.appendingPathComponent("fixtures")
    let report = try await Database.withDatabase(url, logger: logger) { database in
      try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        IngestOptions(
          paths: [folder.appendingPathComponent("predios.zip").path], layer: "predios", kind: .cadastral,
          divipola: "25999", mappings: [("area", "area_decl")], publish: true))
    }
    #expect(report.featuresWritten == 400)
    #expect(
      !report.findings.contains { ["parcel_overlap", "npn_invalid", "npn_duplicate"].contains($0.code) })
    let (sum, union) = try await Database.withDatabase(url, logger: logger) { database in
      let rows = try await database.client.query(
        "SELECT sum(ST_Area(geom)), ST_Area(ST_Union(geom)) FROM feature", logger: logger)
      for try await pair in rows.decode((Double, Double).self) { return pair }
      return (0.0, -1.0)
    }
    #expect(abs(sum - union) / sum < 1e-9)
  }
}
