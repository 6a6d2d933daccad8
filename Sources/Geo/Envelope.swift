/// An axis-aligned bounding box in the coordinates of its geometry's CRS.
public struct Envelope: Equatable, Hashable, Sendable, Codable {
  public var minX: Double
  public var minY: Double
  public var maxX: Double
  public var maxY: Double

  public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
    self.minX = minX
    self.minY = minY
    self.maxX = maxX
    self.maxY = maxY
  }

  public var width: Double { maxX - minX }
  public var height: Double { maxY - minY }

  /// Whether the two boxes share at least one point.
  public func intersects(_ other: Envelope) -> Bool {
    minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
  }

  /// Whether `other` lies entirely inside this box.
  public func contains(_ other: Envelope) -> Bool {
    minX <= other.minX && other.maxX <= maxX && minY <= other.minY && other.maxY <= maxY
  }

  /// The smallest box holding both.
  public func union(_ other: Envelope) -> Envelope {
    Envelope(
      minX: Swift.min(minX, other.minX), minY: Swift.min(minY, other.minY),
      maxX: Swift.max(maxX, other.maxX), maxY: Swift.max(maxY, other.maxY))
  }

  /// The box both share (closed: boxes that only touch share a flat box); nil when disjoint.
  public func intersection(_ other: Envelope) -> Envelope? {
    guard intersects(other) else { return nil }
    return Envelope(
      minX: Swift.max(minX, other.minX), minY: Swift.max(minY, other.minY),
      maxX: Swift.min(maxX, other.maxX), maxY: Swift.min(maxY, other.maxY))
  }
}
