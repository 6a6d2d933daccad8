import API
import Catalog
import Fixtures
import Foundation
import HTTPTypes
import HummingbirdTesting
import Ingest
import NodoTestSupport
import PostgresNIO
import Store
import Testing

/// Runs a program to the end; its standard output and error go through files (no pipe can
/// fill up), and the wait does not hold a thread.
func runProgram(
  _ path: String, _ arguments: [String], environment: [String: String] = [:],
  timeout: Duration = .seconds(120)
) async throws
  -> (status: Int32, output: String, error: String)
{
  let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
    "nodo-run-\(UUID().uuidString.prefix(8))")
  try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: scratch) }
  let out = scratch.appendingPathComponent("out")
  let err = scratch.appendingPathComponent("err")
  for file in [out, err] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  process.standardOutput = try FileHandle(forWritingTo: out)
  process.standardError = try FileHandle(forWritingTo: err)
  process.standardInput = FileHandle.nullDevice
  let status: Int32 = try await withCheckedThrowingContinuation { continuation in
    process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
    do {
      try process.run()
    } catch {
      process.terminationHandler = nil
      continuation.resume(throwing: error)
      return
    }
    let pid = process.processIdentifier
    Task {
      try? await Task.sleep(for: timeout)
      if process.isRunning { kill(pid, SIGKILL) }
    }
  }
  return (
    status, (try? String(contentsOf: out, encoding: .utf8)) ?? "",
    (try? String(contentsOf: err, encoding: .utf8)) ?? ""
  )
}

@Suite("Real clients against a live server: GDAL's OGC API driver, headless Chromium", .serialized)
struct ClientTests {
  @Test("ogrinfo OAPIF lists every collection")
  func ogrinfo() async throws {
    try await DemoDatabase.withAPI(live: true) { client, _ in
      let port = try #require(client.port)
      let collections = try await client.execute(uri: "/collections", method: .get) { response in
        (jsonObject(response)["collections"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
      }
      let (status, output, error) = try await runProgram(
        "/usr/bin/ogrinfo", ["-ro", "-q", "OAPIF:http://127.0.0.1:\(port)"])
      #expect(status == 0, "\(error)")
      for id in collections { #expect(output.contains(id), "ogrinfo does not list \(id): \(output)") }
    }
  }

  @Test("ogr2ogr pulls 10,000 parcels page by page: each exactly once, geometries equal to the store")
  func ogr2ogrPull() async throws {
    let url = try await TestDatabase.shared.migratedDatabase("oapifpull")
    let scratch = try Scratch()
    let output = try MunicipalityGenerator(parcels: 10_000, seed: 5).generate()
    try FixtureWriter.write(output, to: scratch.directory)
    let logger = TestDatabase.shared.logger
    let zip = scratch.path("predios.zip")
    try await Database.withDatabase(url, logger: logger) { database in
      _ = try await Ingestor(database: database, catalog: DeterminantCatalog.bundled(), logger: logger).run(
        IngestOptions(
          paths: [zip], layer: "bulk", kind: .cadastral, divipola: "25999", publish: true))
    }
    try await DemoDatabase.withAPI(live: true, url: url) { client, database in
      let port = try #require(client.port)
      let (status, _, error) = try await runProgram(
        "/usr/bin/ogr2ogr",
        [
          "-f", "PostgreSQL", "PG:\(url.libpqString)", "OAPIF:http://127.0.0.1:\(port)", "bulk", "-nln",
          "pulled",
          "-oo", "PAGE_SIZE=1000", "-preserve_fid", "-lco", "FID=id", "-lco", "GEOMETRY_NAME=geom", "-nlt",
          "PROMOTE_TO_MULTI", "-overwrite",
        ], timeout: .seconds(300))
      #expect(status == 0, "\(error)")
      let check = try await database.client.query(
        """
        WITH store AS (
          SELECT f.fid, ST_SnapToGrid(ST_Transform(f.geom, 4326), 1e-7) AS g FROM feature f
          JOIN layer_version v ON v.id = f.version_id JOIN layer l ON l.id = v.layer_id WHERE l.slug = 'bulk'
        )
        SELECT (SELECT count(*) FROM pulled)::int, (SELECT count(DISTINCT id) FROM pulled)::int,
               (SELECT count(*) FROM store)::int,
               (SELECT count(*) FROM store s JOIN pulled p ON p.id = s.fid
                WHERE ST_Equals(s.g, ST_SnapToGrid(p.geom, 1e-7)))::int
        """, logger: database.logger)
      for try await (pulled, distinct, stored, equal) in check.decode((Int, Int, Int, Int).self) {
        #expect(stored == 10_000)
        #expect(pulled == 10_000 && distinct == 10_000)
        #expect(equal == 10_000)
      }
    }
  }

  @Test("the viewer loads in headless Chromium without console errors and draws the faces")
  func viewer() async throws {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
    let browser = try #require(chromium, "chromium is not installed: run ./deploy/bootstrap.sh")
    try await DemoDatabase.withAPI(live: true) { client, _ in
      let port = try #require(client.port)
      let page = "http://127.0.0.1:\(port)/viewer?divipola=25999"
      // A throwaway browser profile, removed when the test ends.
      let profile = FileManager.default.temporaryDirectory.appendingPathComponent("nodo-chromium-\(port)")
      defer { try? FileManager.default.removeItem(at: profile) }
      let common = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,800",
        "--virtual-time-budget=20000",
        "--user-data-dir=" + profile.path,
      ]
      let dom = try await runProgram(
        browser, common + ["--enable-logging=stderr", "--v=0", "--dump-dom", page])
      #expect(dom.status == 0, "\(dom.error.suffix(2_000))")
      #expect(
        dom.output.contains("data-ready=\"true\""), "viewer did not finish: \(dom.output.suffix(1_000))")
      let paths = dom.output.components(separatedBy: "<path").count - 1
      #expect(paths > 50, "only \(paths) SVG paths drawn")
      let consoleErrors = dom.error.split(separator: "\n").filter {
        $0.contains("CONSOLE")
          && ($0.contains("Error") || $0.contains("Uncaught") || $0.contains("Failed to load"))
      }
      #expect(consoleErrors.isEmpty, "\(consoleErrors)")
      // The screenshot is kept as a test artifact.
      let artifacts = RealData.projectRoot.appendingPathComponent(".build/test-artifacts")
      try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
      let shot = artifacts.appendingPathComponent("viewer.png")
      try? FileManager.default.removeItem(at: shot)
      let screenshot = try await runProgram(browser, common + ["--screenshot=\(shot.path)", page])
      #expect(screenshot.status == 0)
      let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
      #expect(size > 10_000, "screenshot of \(size) bytes")
    }
  }
}
