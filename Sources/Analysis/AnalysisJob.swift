import Catalog
import Foundation
import Store

/// An analysis as queued in the `job` table.
public struct AnalysisJobParams: Codable, Sendable {
  public var divipola: String
  /// Overrides of the engine's defaults; nil keeps them.
  public var parameters: AnalysisParameters?

  public init(divipola: String, parameters: AnalysisParameters? = nil) {
    self.divipola = divipola
    self.parameters = parameters
  }
}

extension AnalysisEngine {
  /// The job kind the queue runs analyses under.
  public static let jobKind = "analysis"

  /// Runs queued analyses: the result stored with the job is the run's summary.
  public func jobHandler() -> JobHandler {
    let engine = self
    return { _, params, progress in
      let job = try JSONDecoder().decode(AnalysisJobParams.self, from: Data(params.utf8))
      var configured = engine
      if let parameters = job.parameters { configured.parameters = parameters }
      let summary = try await configured.run(divipola: job.divipola) { fraction, stage in
        progress(fraction, stage)
      }
      return String(decoding: try JSONEncoder.sorted.encode(summary), as: UTF8.self)
    }
  }
}
