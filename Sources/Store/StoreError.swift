/// Errors of the storage layer, with enough detail for an operator; the API maps them to
/// problem responses.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `DATABASE_URL` (or another connection string) could not be understood.
  case invalidDatabaseURL(String)
  /// A program of the embedded cluster failed; `output` is the end of what it printed.
  case clusterCommandFailed(command: String, status: Int32, output: String)
  /// The embedded cluster's PostgreSQL binaries are missing.
  case postgresNotInstalled(String)
  /// The data directory cannot be used (permissions, a file in the way).
  case unusableDataDirectory(path: String, reason: String)
  /// A migration file failed to apply; the transaction was rolled back.
  case migrationFailed(version: Int, name: String, reason: String)
  /// The migration files bundled with the program could not be read.
  case migrationsMissing(String)
  /// A statement that must return a row returned none.
  case noRowReturned(String)
  /// A result did not have the shape the query asked for.
  case malformedResult(String)
  /// A query box PROJ cannot bring to EPSG:9377 (a point 90° from CTM12's central meridian on
  /// the equator, for one).
  case boxOutsideProjection(String)
  /// Nothing answers at the database's address (server down, wrong host or port).
  case unreachable(String)
  /// The database is newer than this program (it has migrations this build does not know).
  case databaseNewerThanProgram(database: Int, program: Int)

  public var description: String {
    switch self {
    case .invalidDatabaseURL(let reason): "invalid database URL: \(reason)"
    case .clusterCommandFailed(let command, let status, let output):
      "\(command) exited with status \(status): \(output)"
    case .postgresNotInstalled(let path):
      "PostgreSQL 15 is not installed (\(path) missing); run ./deploy/bootstrap.sh"
    case .unusableDataDirectory(let path, let reason): "data directory \(path): \(reason)"
    case .migrationFailed(let version, let name, let reason):
      "migration \(version) (\(name)) failed: \(reason)"
    case .migrationsMissing(let reason): "migration files not found: \(reason)"
    case .noRowReturned(let statement): "\(statement) returned no row"
    case .unreachable(let address): "nothing answers at \(address)"
    case .malformedResult(let reason): "unexpected result: \(reason)"
    case .boxOutsideProjection(let reason): "the box cannot be brought to EPSG:9377: \(reason)"
    case .databaseNewerThanProgram(let database, let program):
      "the database is at migration \(database) but this program knows only up to \(program)"
    }
  }
}
