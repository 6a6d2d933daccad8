import Catalog
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Store

/// Everything the HTTP server needs, from one place (flags and environment).
public struct ServerConfiguration: Sendable {
  public var host: String
  public var port: Int
  public var version: String

  public init(host: String = "127.0.0.1", port: Int = 8080, version: String = NodoVersion.current) {
    self.host = host
    self.port = port
    self.version = version
  }
}

/// What the API needs besides the database: uploads, the catalogue and matrix in force, and
/// whether reads need a key.
public struct APIOptions: Sendable {
  public var uploads: UploadConfiguration
  public var requireKeyForReads: Bool
  public var catalog: DeterminantCatalog
  public var matrix: CompatibilityMatrix

  public init(
    uploads: UploadConfiguration, requireKeyForReads: Bool = false, catalog: DeterminantCatalog,
    matrix: CompatibilityMatrix
  ) {
    self.uploads = uploads
    self.requireKeyForReads = requireKeyForReads
    self.catalog = catalog
    self.matrix = matrix
  }
}

/// The router with every route and the problem mapping. Without a database only the
/// operational routes exist.
public func buildRouter(
  readiness: any ReadinessCheck, database: Database? = nil, options: APIOptions? = nil,
  metrics: PrometheusCollectorRegistry? = nil, version: String = NodoVersion.current
) -> Router<BasicRequestContext> {
  let router = Router(context: BasicRequestContext.self)
  router.add(middleware: FormQueryMiddleware())
  router.add(middleware: ProblemMiddleware())
  router.add(middleware: LogRequestsMiddleware(.debug))
  router.add(
    middleware: RequestMetricsMiddleware(
      factory: metrics.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory))
  OpsController(readiness: readiness, version: version).register(on: router)
  if let metrics { MetricsController(registry: metrics, database: database).register(on: router) }
  if let database, let options {
    let access = AccessPolicy(
      database: database, allowUnauthenticatedWrites: options.uploads.allowUnauthenticatedWrites,
      requireKeyForReads: options.requireKeyForReads)
    router.add(middleware: ReadAccessMiddleware(policy: access))
    LayersController(database: database, uploads: options.uploads, access: access).register(on: router)
    let features = FeaturesController<BasicRequestContext>(database: database)
    features.register(on: router)
    TilesController(database: database, features: features).register(on: router)
    AnalysisController(database: database, catalog: options.catalog, matrix: options.matrix, access: access)
      .register(on: router)
    AdminController(database: database, access: access).register(on: router)
    ViewerController().register(on: router)
  }
  return router
}

/// The application: the router plus the services that live and die with it (the database
/// pool). `runService()` handles SIGTERM and SIGINT with a graceful shutdown.
public func buildApplication(
  configuration: ServerConfiguration, readiness: any ReadinessCheck, database: Database?,
  options: APIOptions?, metrics: PrometheusCollectorRegistry? = nil, services: [any Service], logger: Logger
) -> some ApplicationProtocol {
  let router = buildRouter(
    readiness: readiness, database: database, options: options, metrics: metrics,
    version: configuration.version)
  return Application(
    router: router,
    configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
    services: services,
    logger: logger)
}
