import Catalog
import Hummingbird
import Logging
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

/// The router with every route and the problem mapping. Without a database only the
/// operational routes exist.
public func buildRouter(
  readiness: any ReadinessCheck, database: Database? = nil, uploads: UploadConfiguration? = nil,
  version: String = NodoVersion.current
) -> Router<BasicRequestContext> {
  let router = Router(context: BasicRequestContext.self)
  router.add(middleware: ProblemMiddleware())
  router.add(middleware: LogRequestsMiddleware(.debug))
  OpsController(readiness: readiness, version: version).register(on: router)
  if let database, let uploads {
    LayersController(database: database, uploads: uploads).register(on: router)
  }
  return router
}

/// The application: the router plus the services that live and die with it (the database
/// pool). `runService()` handles SIGTERM and SIGINT with a graceful shutdown.
public func buildApplication(
  configuration: ServerConfiguration, readiness: any ReadinessCheck, database: Database?,
  uploads: UploadConfiguration?, services: [any Service], logger: Logger
) -> some ApplicationProtocol {
  let router = buildRouter(
    readiness: readiness, database: database, uploads: uploads, version: configuration.version)
  return Application(
    router: router,
    configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
    services: services,
    logger: logger)
}
