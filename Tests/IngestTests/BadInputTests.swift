import Catalog
import Foundation
import Geo
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

/// Each bad input gets a specific error and leaves the database exactly as it was.
@Suite(
  "Ingest refuses bad input and loses nothing", .serialized,
  .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
struct BadInputTests {
  static let ramsar = RealData.path("col_otl_ambiental/ramsar_humedales/HUMEDALES_RAMSAR")

  /// A database holding one published layer, the state every refusal must leave intact.
  func fixtureWithPublishedLayer(_ label: String) async throws -> (IngestFixture, String) {
    let fixture = try await IngestFixture.make(label)
    _ = try await fixture.ingest(
      IngestOptions(paths: [Self.ramsar], layer: "target", kind: .determinant, type: "2", publish: true))
    return (fixture, try await fixture.snapshot())
  }

  func expectRefused(
    _ fixture: IngestFixture, _ before: String, _ options: IngestOptions,
    _ check: (IngestError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    do {
      _ = try await fixture.ingest(options)
      Issue.record("the load was accepted", sourceLocation: sourceLocation)
    } catch let error as IngestError {
      #expect(check(error), "unexpected error: \(error.message(.en))", sourceLocation: sourceLocation)
      // The message is a sentence in both languages.
      #expect(!error.message(.es).isEmpty && !error.message(.en).isEmpty, sourceLocation: sourceLocation)
    }
    #expect(try await fixture.snapshot() == before, sourceLocation: sourceLocation)
  }

  func options(
    _ path: String, kind: LayerKind = .determinant, type: String? = "2", strict: Bool = false,
    maxBytes: Int64 = 8 << 30
  ) -> IngestOptions {
    IngestOptions(
      paths: [path], layer: "target", kind: kind, type: type, strict: strict, maxUncompressedBytes: maxBytes)
  }

  @Test("the truncated RUNAP zip")
  func truncated() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("truncated")
    try await expectRefused(
      fixture, before, options(RealData.path("col_otl_ambiental/_broken/runap_latest_TRUNCATED.zip"))
    ) {
      if case .source(_, let error) = $0 { return error.message.contains("damaged or truncated") }
      return false
    }
  }

  @Test("a zip with only a .dbf; a shapefile without .shx; a text file renamed .shp")
  func incompleteShapefiles() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("incomplete")
    let scratch = try Scratch()
    try scratch.python(
      "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.write(sys.argv[2], 'solo.dbf')",
      [scratch.path("dbf-only.zip"), Self.ramsar + "/HUMEDALES_RAMSAR.dbf"])
    try await expectRefused(fixture, before, options(scratch.path("dbf-only.zip"))) {
      if case .source(_, let error) = $0 { return error.message.contains(".dbf") }
      return false
    }
    let folder = scratch.path("noshx")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for ext in ["shp", "dbf", "prj", "cpg"] {
      try FileManager.default.copyItem(
        atPath: Self.ramsar + "/HUMEDALES_RAMSAR.\(ext)", toPath: folder + "/h.\(ext)")
    }
    try await expectRefused(fixture, before, options(folder + "/h.shp")) {
      if case .source(_, let error) = $0 { return error.message.lowercased().contains("shx") }
      return false
    }
    let fake = try scratch.write("parcels.shp", "this is not a shapefile\n")
    try await expectRefused(fixture, before, options(fake)) {
      if case .source = $0 { return true }
      return false
    }
  }

  @Test("an empty layer")
  func emptyLayer() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("empty")
    let scratch = try Scratch()
    let path = try scratch.write("empty.geojson", #"{"type":"FeatureCollection","features":[]}"#)
    try await expectRefused(fixture, before, options(path)) {
      if case .emptyLayer = $0 { return true }
      return false
    }
  }

  @Test("a zip whose members climb out with ../ is refused and nothing is written outside")
  func zipSlip() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("slip")
    let scratch = try Scratch()
    try scratch.python(
      """
      import sys, zipfile
      with zipfile.ZipFile(sys.argv[1], 'w') as z:
          for ext in ['shp', 'shx', 'dbf', 'prj']:
              z.write(sys.argv[2] + '.' + ext, '../../evil.' + ext)
      """, [scratch.path("slip.zip"), Self.ramsar + "/HUMEDALES_RAMSAR"])
    try await expectRefused(fixture, before, options(scratch.path("slip.zip"))) {
      if case .unsafeArchiveMember(_, let member) = $0 { return member.hasPrefix("../") }
      return false
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: scratch.directory.deletingLastPathComponent().deletingLastPathComponent()
          .appendingPathComponent("evil.shp").path))
  }

  @Test("an archive that expands past the limit (zip bomb)")
  func zipBomb() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("bomb")
    let scratch = try Scratch()
    // 64 MiB of zeros compress to about 64 KiB.
    try scratch.python(
      "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('big.dbf', bytes(64 << 20))",
      [scratch.path("bomb.zip")])
    try await expectRefused(fixture, before, options(scratch.path("bomb.zip"), maxBytes: 16 << 20)) {
      if case .archiveTooLarge(_, let bytes, _) = $0 { return bytes == 64 << 20 }
      return false
    }
  }

  @Test("an unknown determinant type")
  func unknownType() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("type")
    try await expectRefused(fixture, before, options(Self.ramsar, type: "999")) {
      if case .unknownType(let code, _, let known) = $0 { return code == "999" && known.contains("701") }
      return false
    }
  }

  @Test("an NPN column with letters, cadastral profile, --strict")
  func strictNPN() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("npn")
    let scratch = try Scratch()
    let path = try scratch.write(
      "predios.geojson",
      """
      {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9377"}},"features":[
      {"type":"Feature","properties":{"npn":"25394000100000001000100000000A"},"geometry":{"type":"Polygon","coordinates":[[[4843800,2143100],[4843900,2143100],[4843900,2143200],[4843800,2143200],[4843800,2143100]]]}},
      {"type":"Feature","properties":{"npn":"253940001000000010002000000000"},"geometry":{"type":"Polygon","coordinates":[[[4843900,2143100],[4844000,2143100],[4844000,2143200],[4843900,2143200],[4843900,2143100]]]}}
      ]}
      """)
    var strict = options(path, kind: .cadastral, type: nil, strict: true)
    strict.layer = "predios-strict"
    try await expectRefused(fixture, before, strict) {
      if case .strictFindings(let findings) = $0 {
        return findings.contains { $0.code == "npn_invalid" && $0.count == 1 }
      }
      return false
    }
    // Without --strict the same file loads, with the finding in the report.
    let report = try await fixture.ingest(
      IngestOptions(paths: [path], layer: "predios", kind: .cadastral, divipola: "25394"))
    #expect(report.findings.contains { $0.code == "npn_invalid" && $0.count == 1 })
    #expect(
      try await fixture.one("SELECT npn FROM feature WHERE npn LIKE '%0002%'", as: String.self)
        == "253940001000000010002000000000")
  }

  @Test("no .prj: refused, naming the likely CRSs; accepted with --crs")
  func missingPRJ() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("noprj")
    let scratch = try Scratch()
    let folder = scratch.path("noprj")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for ext in ["shp", "shx", "dbf", "cpg"] {
      try FileManager.default.copyItem(
        atPath: Self.ramsar + "/HUMEDALES_RAMSAR.\(ext)", toPath: folder + "/h.\(ext)")
    }
    try await expectRefused(fixture, before, options(folder + "/h.shp")) {
      if case .noCRS(_, _, let candidates) = $0 { return candidates == [4686, 4326] }
      return false
    }
    var withCRS = options(folder + "/h.shp")
    withCRS.layer = "noprj"
    withCRS.crs = "EPSG:4686"
    let report = try await fixture.ingest(withCRS)
    #expect(report.featuresWritten == 12)
    #expect(report.sources.first?.crs.method == .userSupplied)
  }

  @Test("a process killed with SIGKILL in the middle of COPY leaves nothing behind")
  func killedMidCopy() async throws {
    let (fixture, before) = try await fixtureWithPublishedLayer("kill")
    let binary = RealData.projectRoot.appendingPathComponent(".build/debug/nodo-at").path
    try #require(
      FileManager.default.isExecutableFile(atPath: binary), "the nodo-at executable is built by swift test")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = [
      "ingest", RealData.path("cambridge_ma/ASSESSING_ParcelsFY2014.topojson"), "--layer", "target",
      "--kind", "determinant", "--type", "2", "--crs", "EPSG:4326", "--allow-outside-colombia", "--publish",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["DATABASE_URL"] = fixture.url.urlString
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait until its COPY is running on the server, then kill it.
    var sawCopy = false
    for _ in 0..<300 {
      let copying =
        try await fixture.one(
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%feature%' AND state = 'active' AND datname = current_database()",
          as: Int.self) ?? 0
      if copying > 0 {
        sawCopy = true
        break
      }
      try await Task.sleep(for: .milliseconds(20))
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(sawCopy, "the COPY was seen running before the kill")
    // The server notices the dead client and rolls its transaction back.
    var after = ""
    for _ in 0..<100 {
      after = try await fixture.snapshot()
      let busy =
        try await fixture.one(
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND datname = current_database() AND pid <> pg_backend_pid()",
          as: Int.self) ?? 0
      if busy == 0 && after == before { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(after == before)
    #expect(
      try await fixture.one("SELECT count(*) FROM layer_version WHERE status = 'staging'", as: Int.self) == 0)
  }

  @Test("two loads into the same layer at once are serialised; neither is lost")
  func concurrentLoads() async throws {
    let fixture = try await IngestFixture.make("concurrent")
    let first = Self.ramsar
    let second = RealData.path("col_otl_ambiental/rfpn_reservas/bosque_oriental_de_bogota_2411")
    async let a = fixture.ingest(
      IngestOptions(paths: [first], layer: "same", kind: .determinant, type: "2", publish: true))
    async let b = fixture.ingest(
      IngestOptions(paths: [second], layer: "same", kind: .determinant, type: "2", publish: true))
    let versions = try await [a.version, b.version].compactMap { $0 }.sorted()
    #expect(versions == [1, 2])
    #expect(
      try await fixture.one("SELECT count(*) FROM layer_version WHERE status = 'published'", as: Int.self)
        == 1)
    #expect(
      try await fixture.one("SELECT count(*) FROM layer_version WHERE status = 'superseded'", as: Int.self)
        == 1)
  }

  @Test("publish flips versions in one step; rollback restores the previous one")
  func publishAndRollback() async throws {
    let fixture = try await IngestFixture.make("rollback")
    _ = try await fixture.ingest(
      IngestOptions(paths: [Self.ramsar], layer: "l", kind: .determinant, type: "2", publish: true))
    _ = try await fixture.ingest(
      IngestOptions(
        paths: [RealData.path("col_otl_ambiental/rfpn_reservas/bosque_oriental_de_bogota_2411")], layer: "l",
        kind: .determinant, type: "2", publish: true))
    let logger = fixture.logger
    let result = try await Database.withDatabase(fixture.url, logger: logger) { database in
      try await database.client.withTransaction(logger: logger) { connection in
        try await LayerRepository.rollback(slug: "l", on: connection, logger: logger)
      }
    }
    #expect(result.from == 2 && result.to == 1)
    #expect(
      try await fixture.one(
        "SELECT number FROM layer_version WHERE status = 'published'", as: Int.self) == 1)
    // Version 2 stays queryable.
    #expect(
      try await fixture.one(
        "SELECT count(*) FROM feature f JOIN layer_version v ON v.id = f.version_id WHERE v.number = 2",
        as: Int.self) == 1)
  }
}

@Suite("Cadastral gaps (R3006)")
struct GapTests {
  @Test("four parcels around a 10 × 10 m hole: one gap of 100 m², only when asked")
  func gap() async throws {
    let fixture = try await IngestFixture.make("gaps")
    let scratch = try Scratch()
    // A 30 m square cut into four lots around a central 10 m hole.
    let x = 4_843_000.0
    let y = 2_143_000.0
    func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> String {
      "[[[\(x + x0),\(y + y0)],[\(x + x1),\(y + y0)],[\(x + x1),\(y + y1)],[\(x + x0),\(y + y1)],[\(x + x0),\(y + y0)]]]"
    }
    let lots = [square(0, 0, 30, 10), square(0, 20, 30, 30), square(0, 10, 10, 20), square(20, 10, 30, 20)]
    let features = lots.map {
      #"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":\#($0)}}"#
    }
    let path = try scratch.write(
      "lots.geojson",
      #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9377"}},"features":["#
        + features.joined(separator: ",") + "]}")
    var options = IngestOptions(paths: [path], layer: "lots", kind: .cadastral, divipola: "25394")
    let without = try await fixture.ingest(options)
    #expect(!without.findings.contains { $0.code == "parcel_gap" })
    options.layer = "lots-gaps"
    options.checkGaps = true
    let with = try await fixture.ingest(options)
    let gap = try #require(with.findings.first { $0.code == "parcel_gap" })
    #expect(gap.count == 1)
    #expect(gap.examples.first?.hasPrefix("100.0 m²") == true)
  }
}
