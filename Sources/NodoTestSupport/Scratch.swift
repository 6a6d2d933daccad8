import Foundation

/// Temporary files for a test, deleted afterwards.
public final class Scratch {
  public let directory: URL

  public init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nodo-test-files-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  public func write(_ name: String, _ text: String) throws -> String {
    try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    return path(name)
  }

  /// Runs Python's standard library (zipfile) to build test archives.
  public func python(_ script: String, _ arguments: [String] = []) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CocoaError(.fileWriteUnknown)
    }
  }
}
