import Foundation
import Logging
import PostgresNIO

/// A row of the job queue.
public struct JobRecord: Sendable, Codable, Equatable {
  public var id: Int64
  public var kind: String
  public var status: String
  public var progress: Double
  public var message: String?
  /// JSON text of the parameters, the result and the error, as stored.
  public var params: String
  public var result: String?
  public var error: String?
  public var createdAt: Date
  public var startedAt: Date?
  public var finishedAt: Date?
}

/// The job queue in PostgreSQL: runners on any number of processes claim work with
/// `FOR UPDATE SKIP LOCKED`.
public enum JobRepository {
  public static func enqueue(
    kind: String, paramsJSON: String, client: PostgresClient, logger: Logger
  )
    async throws -> Int64
  {
    let rows = try await client.query(
      "INSERT INTO job (kind, params) VALUES (\(kind), \(paramsJSON)::jsonb) RETURNING id", logger: logger)
    for try await id in rows.decode(Int64.self) { return id }
    throw StoreError.noRowReturned("INSERT INTO job")
  }

  /// Takes the oldest queued job, marking it running; nil when there is none.
  public static func claim(
    worker: String, client: PostgresClient, logger: Logger
  ) async throws
    -> (id: Int64, kind: String, params: String)?
  {
    let rows = try await client.query(
      """
      UPDATE job SET status = 'running', started_at = now(), claimed_by = \(worker)
      WHERE id = (SELECT id FROM job WHERE status = 'queued' ORDER BY created_at, id
                  FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING id, kind, params::text
      """, logger: logger)
    for try await (id, kind, params) in rows.decode((Int64, String, String).self) {
      return (id, kind, params)
    }
    return nil
  }

  public static func progress(
    id: Int64, fraction: Double, message: String?, client: PostgresClient, logger: Logger
  )
    async throws
  {
    try await client.query(
      "UPDATE job SET progress = \(min(1, max(0, fraction))), message = \(message) WHERE id = \(id)",
      logger: logger)
  }

  public static func finish(
    id: Int64, succeeded: Bool, resultJSON: String?, errorJSON: String?, client: PostgresClient,
    logger: Logger
  ) async throws {
    let status = succeeded ? "succeeded" : "failed"
    try await client.query(
      """
      UPDATE job SET status = \(status), finished_at = now(), progress = CASE WHEN \(succeeded) THEN 1 ELSE progress END,
        result = \(resultJSON)::jsonb, error = \(errorJSON)::jsonb
      WHERE id = \(id)
      """, logger: logger)
  }

  /// Jobs left running by a process that died are failed, so they do not hang for ever.
  public static func failAbandoned(
    olderThan seconds: Int, client: PostgresClient, logger: Logger
  ) async throws {
    try await client.query(
      """
      UPDATE job SET status = 'failed', finished_at = now(),
        error = jsonb_build_object('title', 'abandoned', 'detail', 'the process running the job stopped')
      WHERE status = 'running' AND started_at < now() - make_interval(secs => \(Double(seconds)))
      """, logger: logger)
  }

  public static func find(id: Int64, client: PostgresClient, logger: Logger) async throws -> JobRecord? {
    let rows = try await client.query(
      """
      SELECT id, kind, status, progress::float8, message, params::text, result::text, error::text,
             created_at, started_at, finished_at
      FROM job WHERE id = \(id)
      """, logger: logger)
    for try await (id, kind, status, progress, message, params, result, error, created, started, finished)
      in rows.decode(
        (Int64, String, String, Double, String?, String, String?, String?, Date, Date?, Date?).self)
    {
      return JobRecord(
        id: id, kind: kind, status: status, progress: progress, message: message, params: params,
        result: result,
        error: error, createdAt: created, startedAt: started, finishedAt: finished)
    }
    return nil
  }
}

extension LayerRepository {
  /// The stored report of version `number` of a layer, as JSON text.
  public static func report(
    slug: String, number: Int, client: PostgresClient, logger: Logger
  ) async throws -> String? {
    let rows = try await client.query(
      """
      SELECT v.report::text FROM layer_version v JOIN layer l ON l.id = v.layer_id
      WHERE l.slug = \(slug) AND v.number = \(number)
      """, logger: logger)
    for try await report in rows.decode(String.self) { return report }
    return nil
  }
}

/// Runs one kind of job: its parameters (JSON) in, its result (JSON) out. `progress` records
/// the share done and a short message.
public typealias JobHandler =
  @Sendable (_ id: Int64, _ params: String, _ progress: @escaping @Sendable (Double, String) -> Void)
  async throws
  -> String
