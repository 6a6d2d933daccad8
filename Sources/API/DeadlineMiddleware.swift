import HTTPTypes
import Hummingbird

/// Bounds how long a request may wait before its response starts: past `limit` its work is
/// cancelled and the client gets a 503 problem. A request waiting for a database connection
/// waits as long as the database is away (the pool retries without end); bounded, a stopped
/// database gives clients an answer, and a server asked to stop while requests hang on it
/// still stops (its graceful shutdown waits for them). Requests carrying a large body
/// (uploads: more than 1 MiB, or of unknown length) are not bounded: sending it takes the time
/// it takes. A streamed page is bounded until its first bytes; the rest streams on.
struct DeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
  let limit: Duration

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let length = request.headers[.contentLength].flatMap { Int($0) }
    let unbounded =
      (length ?? 0) > 1 << 20 || (length == nil && request.headers[.transferEncoding] != nil)
    if unbounded { return try await next(request, context) }
    // `next` runs in a child task to be cancelled at the deadline, and is awaited before this
    // returns: it never outlives the call, so it may be handed over (`Handler`).
    return try await withoutActuallyEscaping(next) { next in
      let handler = Handler(run: next)
      return try await withThrowingTaskGroup(of: Response?.self) { group in
        group.addTask { try await handler.run(request, context) }
        group.addTask {
          try await Task.sleep(for: limit)
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let response = first else {
          throw Problem.deadlineExceeded(limit)
        }
        return response
      }
    }
  }

  private struct Handler: @unchecked Sendable {
    let run: (Request, Context) async throws -> Response
  }
}

extension Problem {
  static func deadlineExceeded(_ limit: Duration) -> Problem {
    let (seconds, attoseconds) = limit.components
    let text = seconds >= 1 ? "\(seconds) s" : "\(attoseconds / 1_000_000_000_000_000) ms"
    return Problem(
      status: .serviceUnavailable, slug: "deadline-exceeded",
      title: .init(es: "Servicio no disponible", en: "Service unavailable"),
      detail: .init(
        es:
          "La solicitud no obtuvo respuesta en \(text) (la base de datos no responde o está saturada); inténtelo de nuevo más tarde.",
        en:
          "The request got no answer within \(text) (the database is not answering or is overloaded); try again later."
      ))
  }
}
