import Crypto
import Foundation
import Logging
import PostgresNIO

/// What a key may do.
public enum Role: String, Sendable, Codable, CaseIterable {
  /// Loads and publishes layers.
  case technician
  /// Runs analyses.
  case planner
  /// Everything, including keys and rollbacks.
  case admin
}

/// A stored key (never the key itself).
public struct APIKeyRecord: Sendable, Codable, Equatable {
  public var id: Int64
  public var prefix: String
  public var role: Role
  public var divipola: [String]?
  public var label: String?
  public var createdAt: Date
  public var revokedAt: Date?
}

/// One audited write.
public struct AuditEvent: Sendable, Codable, Equatable {
  public var id: Int64
  public var at: Date
  public var keyID: Int64?
  public var role: String?
  public var action: String
  public var target: String?
  public var result: String
}

/// API keys and the audit trail.
public enum AccessRepository {
  /// A new key: `nodo_<8 hex>_<40 hex>`; only its SHA-256 is stored. Returns the key, once.
  public static func create(
    role: Role, divipola: [String]?, label: String?, client: PostgresClient, logger: Logger
  ) async throws -> (key: String, record: APIKeyRecord) {
    func hex(_ count: Int) -> String {
      var generator = SystemRandomNumberGenerator()
      return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
        .joined()
    }
    let prefix = hex(4)
    let key = "nodo_\(prefix)_\(hex(20))"
    let rows = try await client.query(
      """
      INSERT INTO api_key (prefix, sha256, role, divipola, label)
      VALUES (\(prefix), \(digest(key)), \(role.rawValue), \(divipola), \(label)) RETURNING id, created_at
      """, logger: logger)
    for try await (id, created) in rows.decode((Int64, Date).self) {
      return (
        key,
        APIKeyRecord(
          id: id, prefix: prefix, role: role, divipola: divipola, label: label, createdAt: created,
          revokedAt: nil)
      )
    }
    throw StoreError.noRowReturned("INSERT INTO api_key")
  }

  public static func digest(_ key: String) -> String {
    SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  /// The active key matching `key`, comparing digests in constant time.
  public static func verify(
    _ key: String, client: PostgresClient, logger: Logger
  ) async throws -> APIKeyRecord? {
    let parts = key.split(separator: "_")
    guard parts.count == 3, parts[0] == "nodo" else { return nil }
    let rows = try await client.query(
      """
      SELECT id, prefix, sha256, role, divipola, label, created_at FROM api_key
      WHERE prefix = \(String(parts[1])) AND revoked_at IS NULL
      """, logger: logger)
    let wanted = Array(digest(key).utf8)
    for try await (id, prefix, stored, role, divipola, label, created) in rows.decode(
      (Int64, String, String, String, [String]?, String?, Date).self)
    {
      let bytes = Array(stored.utf8)
      guard bytes.count == wanted.count else { continue }
      var difference: UInt8 = 0
      for (a, b) in zip(bytes, wanted) { difference |= a ^ b }
      guard difference == 0, let role = Role(rawValue: role) else { continue }
      return APIKeyRecord(
        id: id, prefix: prefix, role: role, divipola: divipola, label: label, createdAt: created,
        revokedAt: nil)
    }
    return nil
  }

  public static func list(client: PostgresClient, logger: Logger) async throws -> [APIKeyRecord] {
    let rows = try await client.query(
      "SELECT id, prefix, role, divipola, label, created_at, revoked_at FROM api_key ORDER BY id",
      logger: logger)
    var out: [APIKeyRecord] = []
    for try await (id, prefix, role, divipola, label, created, revoked) in rows.decode(
      (Int64, String, String, [String]?, String?, Date, Date?).self)
    {
      out.append(
        APIKeyRecord(
          id: id, prefix: prefix, role: Role(rawValue: role) ?? .technician, divipola: divipola, label: label,
          createdAt: created, revokedAt: revoked))
    }
    return out
  }

  /// Revokes a key; false when there is no such active key.
  public static func revoke(id: Int64, client: PostgresClient, logger: Logger) async throws -> Bool {
    let rows = try await client.query(
      "UPDATE api_key SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id",
      logger: logger)
    for try await _ in rows { return true }
    return false
  }

  public static func record(
    keyID: Int64?, role: String?, action: String, target: String?, result: String, client: PostgresClient,
    logger: Logger
  ) async throws {
    try await client.query(
      """
      INSERT INTO audit_event (key_id, role, action, target, result)
      VALUES (\(keyID), \(role), \(action), \(target), \(result))
      """, logger: logger)
  }

  public static func audit(limit: Int, client: PostgresClient, logger: Logger) async throws -> [AuditEvent] {
    let rows = try await client.query(
      "SELECT id, at, key_id, role, action, target, result FROM audit_event ORDER BY id DESC LIMIT \(limit)",
      logger: logger)
    var out: [AuditEvent] = []
    for try await (id, at, key, role, action, target, result) in rows.decode(
      (Int64, Date, Int64?, String?, String, String?, String).self)
    {
      out.append(
        AuditEvent(id: id, at: at, keyID: key, role: role, action: action, target: target, result: result))
    }
    return out
  }
}
