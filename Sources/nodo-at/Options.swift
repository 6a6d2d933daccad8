import ArgumentParser
import Catalog
import Foundation
import Logging
import Store

/// `--lang es|en`: the language of messages for people (Spanish by default).
struct LanguageOption: ParsableArguments {
  @Option(name: .long, help: "Language of messages: es (default) or en.")
  var lang: Language = Language(rawValue: ProcessInfo.processInfo.environment["NODO_LANG"] ?? "") ?? .es
}

extension Language: ExpressibleByArgument {}

/// Where the database is: `DATABASE_URL`, or the embedded cluster under `NODO_DATA_DIR`
/// (default `.nodo/` in the working directory).
enum DatabaseLocation {
  static var dataDirectory: URL {
    let path = ProcessInfo.processInfo.environment["NODO_DATA_DIR"] ?? ".nodo"
    return URL(fileURLWithPath: path)
  }

  static var cluster: EmbeddedCluster {
    EmbeddedCluster(directory: dataDirectory, logger: Logger(label: "nodo.cluster"))
  }

  /// `DATABASE_URL`, when set.
  private static var externalURL: String? {
    ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The URL to use; starts the embedded cluster (creating it on first use) when no
  /// `DATABASE_URL` is set.
  static func resolve(logger: Logger) async throws -> DatabaseURL {
    if let text = externalURL { return try DatabaseURL(text) }
    return try await cluster.start()
  }

  /// Runs `body` with the database `resolve` finds. A `DATABASE_URL` where nothing answers
  /// fails at once (a probe beside `body`); the server does not probe: it starts, and `/ready`
  /// says when the database is.
  static func withDatabase<R: Sendable>(
    logger: Logger, _ body: @Sendable (Database) async throws -> R
  ) async throws -> R {
    let url = try await resolve(logger: logger)
    return try await Database.withDatabase(url, logger: logger, probe: externalURL != nil, body)
  }
}

/// Writes a line for people to standard error.
func note(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

func makeLogger(_ label: String, level fallback: Logger.Level = .info) -> Logger {
  var logger = Logger(label: label)
  let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
  logger.logLevel = level ?? fallback
  return logger
}

/// A failure already explained to the user: exit non-zero without a second message.
struct Explained: Error {}

/// Turns errors into a readable message and a non-zero exit.
func explaining<T>(_ language: Language, _ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let error as ExitCode {
    throw error
  } catch let error as CleanExit {
    throw error
  } catch is Explained {
    throw ExitCode.failure
  } catch {
    note("error: " + explanation(of: error, language))
    throw ExitCode.failure
  }
}

/// A failure in words for people: an unreachable database says what to do about it; anything
/// else is described as the server or the library put it.
func explanation(of error: any Error, _ language: Language) -> String {
  guard isConnectionFailure(error) else { return describe(error) }
  return language.pick(
    "no se pudo conectar a la base de datos. ¿Está en marcha? Inicie el clúster con `nodo-at db start` o revise DATABASE_URL.",
    "could not connect to the database. Is it running? Start the cluster with `nodo-at db start` or check DATABASE_URL."
  )
}
