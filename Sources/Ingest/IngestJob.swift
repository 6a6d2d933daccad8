import Catalog
import Foundation
import Logging
import Store

/// An ingest job as stored in the queue: the options (their one path is the uploaded file)
/// and the name the file had on the client.
public struct IngestJobParams: Codable, Sendable {
  public var originalName: String
  public var options: IngestOptions

  public init(originalName: String, options: IngestOptions) {
    self.originalName = originalName
    self.options = options
  }
}

/// Runs queued jobs from the `job` table, one at a time per runner, until cancelled.
public struct JobRunner: Sendable {
  let database: Database
  let catalog: DeterminantCatalog
  let worker: String
  let pollInterval: Duration
  let logger: Logger

  public init(
    database: Database, catalog: DeterminantCatalog, pollInterval: Duration = .milliseconds(300),
    logger: Logger
  ) {
    self.database = database
    self.catalog = catalog
    self.worker = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    self.pollInterval = pollInterval
    self.logger = logger
  }

  /// Claims and runs jobs until the task is cancelled.
  public func runLoop() async {
    try? await JobRepository.failAbandoned(olderThan: 6 * 3600, client: database.client, logger: logger)
    while !Task.isCancelled {
      do {
        if let job = try await JobRepository.claim(worker: worker, client: database.client, logger: logger) {
          await run(id: job.id, kind: job.kind, params: job.params)
          continue
        }
      } catch {
        logger.warning("job queue unavailable", metadata: ["error": "\(describe(error))"])
      }
      try? await Task.sleep(for: pollInterval)
    }
  }

  func run(id: Int64, kind: String, params: String) async {
    let client = database.client
    let logger = self.logger
    do {
      guard kind == "ingest" else { throw IngestError.badOption("unknown job kind \(kind)") }
      let job = try JSONDecoder().decode(IngestJobParams.self, from: Data(params.utf8))
      defer { job.options.paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
      let last = LastProgress()
      let report = try await Ingestor(database: database, catalog: catalog, logger: logger).run(
        job.options
      ) {
        progress in
        guard last.shouldReport(progress) else { return }
        let fraction =
          progress.featuresTotal > 0 ? Double(progress.featuresDone) / Double(progress.featuresTotal) : 0
        Task {
          try? await JobRepository.progress(
            id: id, fraction: fraction, message: "\(progress.featuresDone)/\(progress.featuresTotal)",
            client: client,
            logger: logger)
        }
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try await JobRepository.finish(
        id: id, succeeded: true, resultJSON: String(decoding: try encoder.encode(report), as: UTF8.self),
        errorJSON: nil, client: client, logger: logger)
    } catch {
      let detail: [String: String]
      if let error = error as? IngestError {
        detail = ["title": "ingest_refused", "detail": error.message(.es), "detail_en": error.message(.en)]
      } else {
        logger.error("job failed", metadata: ["job": "\(id)", "error": "\(String(reflecting: error))"])
        detail = ["title": "job_failed", "detail": describe(error)]
      }
      let json = (try? JSONEncoder().encode(detail)).map { String(decoding: $0, as: UTF8.self) }
      try? await JobRepository.finish(
        id: id, succeeded: false, resultJSON: nil, errorJSON: json, client: client, logger: logger)
    }
  }
}

/// Throttles progress writes to about one every half second.
final class LastProgress: @unchecked Sendable {
  private let lock = NSLock()
  private var last = -1.0

  func shouldReport(_ progress: IngestProgress) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard progress.seconds - last >= 0.5 else { return false }
    last = progress.seconds
    return true
  }
}
