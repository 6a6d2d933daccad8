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

extension IngestError: LocalizedFailure {
  public var code: String { "ingest_refused" }
}

/// Runs queued jobs from the `job` table, one at a time per runner, until cancelled. Ingest
/// jobs are built in; other kinds (analysis) come as handlers.
public struct JobRunner: Sendable {
  let database: Database
  let catalog: DeterminantCatalog
  let worker: String
  let pollInterval: Duration
  let logger: Logger
  let handlers: [String: JobHandler]

  public init(
    database: Database, catalog: DeterminantCatalog, pollInterval: Duration = .milliseconds(300),
    handlers: [String: JobHandler] = [:], logger: Logger
  ) {
    self.database = database
    self.catalog = catalog
    self.worker = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    self.pollInterval = pollInterval
    self.handlers = handlers
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
    let last = LastProgress()
    let progress: @Sendable (Double, String) -> Void = { fraction, message in
      guard last.shouldReport(ContinuousClock.now) else { return }
      Task {
        try? await JobRepository.progress(
          id: id, fraction: fraction, message: message, client: client, logger: logger)
      }
    }
    do {
      let resultJSON: String
      if kind == "ingest" {
        resultJSON = try await runIngest(params: params, progress: progress)
      } else if let handler = handlers[kind] {
        resultJSON = try await handler(id, params, progress)
      } else {
        throw IngestError.badOption("unknown job kind \(kind)")
      }
      try await JobRepository.finish(
        id: id, succeeded: true, resultJSON: resultJSON, errorJSON: nil, client: client, logger: logger)
    } catch {
      let detail: [String: String]
      if let error = error as? any LocalizedFailure {
        detail = ["title": error.code, "detail": error.message(.es), "detail_en": error.message(.en)]
      } else {
        logger.error("job failed", metadata: ["job": "\(id)", "error": "\(String(reflecting: error))"])
        detail = ["title": "job_failed", "detail": describe(error)]
      }
      let json = (try? JSONEncoder().encode(detail)).map { String(decoding: $0, as: UTF8.self) }
      try? await JobRepository.finish(
        id: id, succeeded: false, resultJSON: nil, errorJSON: json, client: client, logger: logger)
    }
  }

  private func runIngest(
    params: String, progress: @escaping @Sendable (Double, String) -> Void
  ) async throws
    -> String
  {
    let job = try JSONDecoder().decode(IngestJobParams.self, from: Data(params.utf8))
    defer { job.options.paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
    let report = try await Ingestor(database: database, catalog: catalog, logger: logger).run(job.options) {
      step in
      let fraction = step.featuresTotal > 0 ? Double(step.featuresDone) / Double(step.featuresTotal) : 0
      progress(fraction, "\(step.featuresDone)/\(step.featuresTotal)")
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(report), as: UTF8.self)
  }
}

/// Throttles progress writes to about one every half second.
final class LastProgress: @unchecked Sendable {
  private let lock = NSLock()

  private var lastInstant: ContinuousClock.Instant?

  func shouldReport(_ now: ContinuousClock.Instant) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    if let lastInstant, now - lastInstant < .milliseconds(500) { return false }
    lastInstant = now
    return true
  }
}
