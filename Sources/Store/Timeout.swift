/// Thrown by ``withTimeout(_:_:_:)`` when the work did not finish in time.
public struct TimeoutError: Error, CustomStringConvertible, Sendable {
  public let what: String
  public let limit: Duration
  public var description: String { "timed out after \(limit) \(what)" }
}

/// Runs `body`, cancelling it and throwing ``TimeoutError`` when it takes longer than `limit`.
/// (The pool of postgres-nio retries a refused connection for ever; callers that must answer
/// use this.)
public func withTimeout<R: Sendable>(
  _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
  try await withThrowingTaskGroup(of: R?.self) { group in
    group.addTask { try await body() }
    group.addTask {
      try await Task.sleep(for: limit)
      return nil
    }
    defer { group.cancelAll() }
    guard let first = try await group.next(), let value = first else {
      throw TimeoutError(what: what, limit: limit)
    }
    return value
  }
}
