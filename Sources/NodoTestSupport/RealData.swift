import Foundation

/// The real layers in `../shared/realdata` (beside the project), which tests read in place.
///
/// On CI the folder is always present; a developer's fresh clone elsewhere may lack it, and
/// the tests that need it are then reported as skipped with ``missingReason``.
public enum RealData {
  /// The project root, found from this file's path.
  public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  public static let directory: URL = {
    if let override = ProcessInfo.processInfo.environment["NODO_REALDATA_DIR"] {
      return URL(fileURLWithPath: override)
    }
    return projectRoot.deletingLastPathComponent().appendingPathComponent("shared/realdata")
  }()

  /// True when the folder exists — and always on CI (`CI=true`), so a missing folder there is
  /// a failure, not a skip.
  public static var isAvailable: Bool {
    if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
    return FileManager.default.fileExists(atPath: directory.path)
  }

  public static let missingReason =
    "needs ../shared/realdata beside the project (real Colombian layers); not found"

  /// A path inside the folder.
  public static func path(_ relative: String) -> String {
    directory.appendingPathComponent(relative).path
  }
}
