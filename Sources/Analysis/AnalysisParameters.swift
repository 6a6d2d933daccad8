import Catalog
import Overlay

/// What a run can be tuned with. Stored with the run, so its results can be reproduced.
public struct AnalysisParameters: Codable, Sendable, Equatable {
  /// Confluences thinner or smaller than this are boundary noise (kept in the partition,
  /// flagged, counted, not reported as confluences).
  public var sliver = SliverRule()
  /// Affectation pieces below these are dropped and counted.
  public var affectation = AffectationThresholds()
  /// Side (m) of the square tiles the faces are computed in, in parallel. Faces are cut at
  /// tile edges; areas and coverage do not depend on it.
  public var tileSize = 5_000.0
  /// Parallel workers (default: the machine's cores).
  public var workers: Int
  /// Use qualities recorded as POT conflicts.
  public var conflictQualities: [UseQuality] = [.condicionado, .prohibido]
  /// Areas are planar in EPSG:9377 (not ellipsoidal): stated in every report.
  public var areaMethod = "planar, EPSG:9377"

  public init(workers: Int) {
    self.workers = max(1, workers)
  }
}
