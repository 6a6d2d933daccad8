import Ingest
import ServiceLifecycle

/// Runs the job queue alongside the HTTP server; stops claiming work on graceful shutdown.
public struct JobRunnerService: Service {
  let runner: JobRunner

  public init(runner: JobRunner) {
    self.runner = runner
  }

  public func run() async throws {
    try await cancelWhenGracefulShutdown {
      await runner.runLoop()
    }
  }
}
