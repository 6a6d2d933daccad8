import Catalog
import Foundation

/// The catalogue and the compatibility matrix in force: the bundled ones, or a deployment's
/// own files (`NODO_DETERMINANT_TYPES_FILE`, `NODO_COMPATIBILITY_FILE`). A malformed file
/// fails at start-up with its path, the JSON pointer and the reason.
public enum CatalogFiles {
  public static func load(
    environment: [String: String] = ProcessInfo.processInfo.environment, compatibility: String? = nil
  ) throws -> (DeterminantCatalog, CompatibilityMatrix) {
    let catalog =
      try environment["NODO_DETERMINANT_TYPES_FILE"].map {
        try DeterminantCatalog.load(from: URL(fileURLWithPath: $0))
      }
      ?? DeterminantCatalog.bundled()
    let matrixPath = compatibility ?? environment["NODO_COMPATIBILITY_FILE"]
    let matrix =
      try matrixPath.map { try CompatibilityMatrix.load(from: URL(fileURLWithPath: $0), catalog: catalog) }
      ?? CompatibilityMatrix.bundled()
    return (catalog, matrix)
  }
}
