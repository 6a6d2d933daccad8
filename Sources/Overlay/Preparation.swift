import Geo

/// A determinant feature as stored, and what must happen to it before the overlay.
public struct RawShape: Sendable {
  public var geometry: Geometry
  /// Buffer distance (m) for a line or point determinant; ignored for polygons.
  public var buffer: Double?
  /// Indices into the sustracciones that apply to this shape (those of its layer).
  public var subtract: [Int]

  public init(geometry: Geometry, buffer: Double?, subtract: [Int]) {
    self.geometry = geometry
    self.buffer = buffer
    self.subtract = subtract
  }
}

/// Why a shape left the analysis.
public enum PreparationOutcome: Sendable, Equatable {
  case ready(Geometry, area: Double)
  /// A line or point with no buffer rule that applies to it.
  case noBuffer
  /// Nothing left inside the scope (or after its sustracciones).
  case empty
}

/// Turns stored determinant features into the polygons the overlay works on: lines and
/// points buffered by their type's rule, sustracciones removed, clipped to the scope.
/// Subtracting a sustracción already cut out of its reserve changes nothing but slivers
/// of round-off, and costs one prepared predicate when they do not meet.
public enum Preparation {
  public static func prepare(
    _ shapes: [RawShape], sustracciones: [Geometry], scope: Geometry?
  ) throws
    -> [PreparationOutcome]
  {
    let context = try GeometryContext()
    let scopeNative = try scope.map { try context.read($0) }
    let scopePrepared = try scopeNative.map { try PreparedGeometry($0) }
    let scopeEnvelope = try scopeNative?.envelope()
    let removals = try RightSet(sustracciones, context: context)
    var out: [PreparationOutcome] = []
    out.reserveCapacity(shapes.count)
    for shape in shapes {
      var geometry = try context.read(shape.geometry)
      switch try geometry.type().family {
      case .polygon:
        break
      default:
        guard let distance = shape.buffer, distance > 0 else {
          out.append(.noBuffer)
          continue
        }
        geometry = try geometry.buffer(distance, quadrantSegments: 8)
      }
      if !shape.subtract.isEmpty {
        let wanted = Set(shape.subtract)
        var cut: [NativeGeometry] = []
        try removals.overlaps(of: geometry, keepGeometry: false, include: { wanted.contains($0) }) {
          r, _, _, _ in
          cut.append(try removals.native(r))
        }
        if !cut.isEmpty {
          let removal =
            cut.count == 1 ? cut[0] : try context.collection(.geometryCollection, of: cut).unaryUnion()
          geometry = try geometry.difference(removal)
        }
      }
      if let scopeNative, let scopePrepared, let scopeEnvelope {
        let envelope = try geometry.envelope()
        let inside = try scopeEnvelope.contains(envelope) && scopePrepared.covers(geometry)
        if !inside {
          guard try scopePrepared.intersects(geometry) else {
            out.append(.empty)
            continue
          }
          geometry = try geometry.intersection(with: scopeNative)
        }
      }
      let polygonal = try geometry.asMultiPolygon()
      let area = try polygonal.area()
      out.append(area > 0 ? .ready(try polygonal.geometry(), area: area) : .empty)
    }
    return out
  }
}
