import Logging
import ServiceLifecycle
import Store

/// Keeps the published layer versions' CRS84 copies (``CRS84Copies``) in step with what is
/// published: at start and then every `interval`, builds the missing ones and drops those of
/// versions no longer published. A load or a rollback, from this server or another process,
/// is served from its copy within `interval` plus the copy's build (100,000 parcels: about a
/// second); meanwhile from the version's partition.
public struct CRS84CopyService: Service {
  let database: Database
  let interval: Duration

  public init(database: Database, interval: Duration = .seconds(5)) {
    self.database = database
    self.interval = interval
  }

  public func run() async throws {
    try await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        do {
          let refresh = try await database.crs84Copies.refresh(
            client: database.client, logger: database.logger)
          if !refresh.built.isEmpty || !refresh.dropped.isEmpty {
            database.logger.info(
              "CRS84 copies refreshed",
              metadata: ["built": "\(refresh.built)", "dropped": "\(refresh.dropped)"])
          }
          for (version, error) in refresh.failed.sorted(by: { $0.key < $1.key }) {
            database.logger.warning(
              "CRS84 copy not built", metadata: ["version": "\(version)", "error": "\(error)"])
          }
        } catch is CancellationError {
          return
        } catch {
          // The next round tries again; reads use the partitions meanwhile.
          database.logger.warning(
            "CRS84 copies not refreshed", metadata: ["error": "\(String(reflecting: error))"])
        }
        try? await Task.sleep(for: interval)
      }
    }
  }
}
