import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import PostgresNIO
import Prometheus
import Store

/// `/metrics` in Prometheus text format: request counts and latency histograms per route
/// (Hummingbird's `MetricsMiddleware`, through the process's metrics system), jobs by kind and
/// status, and the database connections of the pool by state — read at scrape time.
struct MetricsController<Context: RequestContext>: Sendable {
  let registry: PrometheusCollectorRegistry
  let database: Database?

  func register(on router: Router<Context>) {
    router.get("metrics", use: metrics)
  }

  @Sendable func metrics(_ request: Request, context: Context) async throws -> Response {
    if let database {
      let logger = database.logger
      let jobs = try await database.client.query(
        "SELECT kind, status, count(*)::int FROM job GROUP BY kind, status", logger: logger)
      var seen = Set<String>()
      for try await (kind, status, count) in jobs.decode((String, String, Int).self) {
        seen.insert(kind + "/" + status)
        registry.makeGauge(name: "nodo_jobs", labels: [("kind", kind), ("status", status)]).set(
          to: Double(count))
      }
      for kind in ["ingest", "analysis"] {
        for status in ["queued", "running", "succeeded", "failed"] where !seen.contains(kind + "/" + status) {
          registry.makeGauge(name: "nodo_jobs", labels: [("kind", kind), ("status", status)]).set(to: 0.0)
        }
      }
      let pool = try await database.client.query(
        """
        SELECT coalesce(state, 'unknown'), count(*)::int FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' GROUP BY 1
        """, logger: logger)
      for try await (state, count) in pool.decode((String, Int).self) {
        registry.makeGauge(name: "nodo_db_connections", labels: [("state", state)]).set(to: Double(count))
      }
    }
    var bytes: [UInt8] = []
    registry.emit(into: &bytes)
    var headers = HTTPFields()
    headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
