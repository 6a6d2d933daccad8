import Foundation
import HummingbirdTesting
import NodoTestSupport
import Testing

/// Python tools from PyPI, each in a virtual environment of its own under `.build/pytools`
/// (their dependencies conflict); created once. A machine without PyPI fails these tests, it
/// does not skip them.
enum PythonTools {
  static func make(_ name: String, packages: [String], module: String) -> Task<URL, any Error> {
    Task {
      let venv = RealData.projectRoot.appendingPathComponent(".build/pytools/\(name)")
      let python = venv.appendingPathComponent("bin/python")
      if FileManager.default.isExecutableFile(atPath: python.path) {
        let probe = try await runProgram(python.path, ["-c", "import \(module)"], timeout: .seconds(60))
        if probe.status == 0 { return venv }
      }
      let create = try await runProgram("/usr/bin/python3", ["-m", "venv", "--clear", venv.path])
      guard create.status == 0 else { throw ToolError(message: "python3 -m venv failed: \(create.error)") }
      let install = try await runProgram(
        python.path, ["-m", "pip", "install", "-q"] + packages, timeout: .seconds(600))
      guard install.status == 0 else {
        throw ToolError(message: "pip install \(packages) failed: \(install.error.suffix(2_000))")
      }
      return venv
    }
  }

  static let ogctests = make("ogctests", packages: ["ogctests==0.1.15"], module: "ogctests")
  static let schemathesis = make("schemathesis", packages: ["schemathesis==4.32.5"], module: "schemathesis")
  static let validator = make(
    "validator", packages: ["openapi-spec-validator==0.9.0"], module: "openapi_spec_validator")

  struct ToolError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }
}

@Suite("The API against OGC's and OpenAPI's own checkers", .serialized)
struct ConformanceTests {
  @Test("the OpenAPI document is valid (openapi-spec-validator)")
  func openAPIValid() async throws {
    let venv = try await PythonTools.validator.value
    try await DemoDatabase.withAPI(live: true) { client, _ in
      let port = try #require(client.port)
      let result = try await runProgram(
        venv.appendingPathComponent("bin/python").path,
        [
          "-c",
          "import json, sys, urllib.request; from openapi_spec_validator import validate; "
            + "validate(json.load(urllib.request.urlopen(sys.argv[1]))); print('valid')",
          "http://127.0.0.1:\(port)/api",
        ])
      #expect(result.status == 0 && result.output.contains("valid"), "\(result.error.suffix(3_000))")
    }
  }

  @Test("ogctests features/core: every test passes")
  func ogcFeaturesCore() async throws {
    let venv = try await PythonTools.ogctests.value
    try await DemoDatabase.withAPI(live: true) { client, _ in
      let port = try #require(client.port)
      let result = try await runProgram(
        venv.appendingPathComponent("bin/python").path,
        ["-m", "ogctests", "features/core", "-i", "http://127.0.0.1:\(port)"], timeout: .seconds(600))
      let summary = result.output.split(separator: "\n").last {
        $0.contains("passed") || $0.contains("failed")
      }
      #expect(
        result.status == 0,
        "ogctests: \(summary ?? "") \(result.output.suffix(6_000)) \(result.error.suffix(2_000))")
    }
  }

  @Test("schemathesis against /api: no server error, no response outside the schema")
  func schemathesis() async throws {
    let venv = try await PythonTools.schemathesis.value
    try await DemoDatabase.withAPI(live: true) { client, _ in
      let port = try #require(client.port)
      let result = try await runProgram(
        venv.appendingPathComponent("bin/schemathesis").path,
        [
          "run", "http://127.0.0.1:\(port)/api", "--checks", "not_a_server_error,response_schema_conformance",
          "--max-examples", "30", "--include-method", "GET", "--no-color",
        ], timeout: .seconds(600))
      #expect(result.status == 0, "\(result.output.suffix(6_000)) \(result.error.suffix(2_000))")
    }
  }
}
