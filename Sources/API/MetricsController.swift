import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import PostgresNIO
import Prometheus
import Store
import Synchronization

/// `/metrics` in Prometheus text format: request counts and latency histograms per route
/// (`RequestMetricsMiddleware`, through the process's metrics system), jobs by kind and
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

/// Request counts, errors and latency per route for `/metrics`, under the names Hummingbird's
/// `MetricsMiddleware` uses. That one wraps every response body in a closure to time its last
/// byte, which takes a single-buffer body off the server's direct path and cost a fifth of a
/// feature request's throughput. Here a body of known length (written at once) is timed when
/// the route returns it, and only a body of unknown length (a streamed page) is wrapped.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
  let routes: RouteMetrics

  /// Instruments made by `factory` (the registry `/metrics` shows).
  init(factory: any MetricsFactory) {
    routes = RouteMetrics(factory: factory)
  }

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let start = DispatchTime.now().uptimeNanoseconds
    do {
      var response = try await next(request, context)
      let metrics = routes.metrics(
        route: context.endpointPath ?? "Unknown", method: request.method, status: response.status)
      metrics.requests.increment()
      if response.body.contentLength != nil {
        metrics.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
      } else {
        let body = response.body
        response.body = ResponseBody { writer in
          defer { metrics.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
          try await body.write(writer)
        }
      }
      return response
    } catch {
      // A problem is answered by the middleware outside this one, with its own status.
      let status =
        (error as? Problem)?.status ?? (error as? any HTTPResponseError)?.status ?? .internalServerError
      let metrics = routes.metrics(
        route: context.endpointPath ?? "NotFound", method: request.method, status: status)
      metrics.requests.increment()
      metrics.errors.increment()
      throw error
    }
  }
}

/// The counters and timer of each route, method and status, made once.
final class RouteMetrics: Sendable {
  let factory: any MetricsFactory

  init(factory: any MetricsFactory) {
    self.factory = factory
  }

  struct Key: Hashable {
    var route: String
    var method: HTTPRequest.Method
    var status: HTTPResponse.Status
  }

  struct Instruments: Sendable {
    let requests: CoreMetrics.Counter
    let errors: CoreMetrics.Counter
    let duration: CoreMetrics.Timer

    init(_ key: Key, factory: any MetricsFactory) {
      let dimensions = [
        ("http.route", key.route), ("http.request.method", key.method.rawValue),
        ("http.response.status_code", String(key.status.code)),
      ]
      requests = CoreMetrics.Counter(label: "hb.requests", dimensions: dimensions, factory: factory)
      duration = CoreMetrics.Timer(
        label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds,
        factory: factory)
      errors = CoreMetrics.Counter(
        label: "hb.request.errors",
        dimensions: [
          ("http.route", key.route), ("http.request.method", key.method.rawValue),
          ("error.type", String(key.status.code)),
        ], factory: factory)
    }
  }

  private let known = Mutex<[Key: Instruments]>([:])

  func metrics(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> Instruments {
    let key = Key(route: route, method: method, status: status)
    return known.withLock { known in
      if let found = known[key] { return found }
      let made = Instruments(key, factory: factory)
      known[key] = made
      return made
    }
  }
}
