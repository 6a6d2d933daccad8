import Geo

/// Thresholds that tell a real confluence from boundary noise: shared boundaries digitised
/// twice overlap in slivers centimetres wide. A sliver keeps its place in the partition (the
/// union area never changes) but is flagged and not counted as a confluence.
public struct SliverRule: Sendable, Codable, Equatable {
  /// Faces covered by two or more shapes with less area than this (m²) are slivers.
  public var minArea: Double
  /// … or thinner than this (m), measured as 2 · area / perimeter (the width of a strip).
  public var minWidth: Double

  public init(minArea: Double = 1.0, minWidth: Double = 0.5) {
    self.minArea = minArea
    self.minWidth = minWidth
  }
}

/// One face of the planar partition of a set of polygonal shapes.
public struct Face: Sendable, Equatable {
  public var geometry: Geometry
  public var area: Double
  public var envelope: Envelope
  /// Indices (into the shapes given) of the shapes that cover the face, ascending.
  public var members: [Int]
  /// Covered by two or more shapes but below the ``SliverRule``.
  public var isSliver: Bool
}

/// The planar partition ("confluence faces") of polygonal shapes: every boundary noded with
/// every other, polygonized, and each face given the set of shapes that cover it (an STRtree
/// of the shapes and a prepared point-in-polygon test at a point inside the face).
///
/// Shapes whose envelopes touch no other shape's are their own faces, without noding. Work
/// can be split in tiles (`tiles`): each shape is clipped to a tile first, so the faces of
/// one tile never cross its edges. Synchronous, one GEOS context per call: callers run
/// tiles in parallel.
public enum Faces {
  /// The faces of `shapes` inside each of `tiles` (the whole plane for a nil tile), sorted by
  /// ``Face/stableOrder(_:_:)``.
  public static func build(
    _ shapes: [Geometry], tiles: [Envelope?] = [nil], sliver: SliverRule = SliverRule()
  ) throws -> [Face] {
    let context = try GeometryContext()
    let all = try shapes.map { try context.read($0) }
    let allEnvelopes = try all.map { try $0.envelope() }
    var faces: [Face] = []
    for tile in tiles {
      var natives: [NativeGeometry] = []
      var envelopes: [Envelope] = []
      var owners: [Int] = []
      for (index, shape) in all.enumerated() {
        var geometry = shape
        var envelope = allEnvelopes[index]
        if let tile {
          guard envelope.intersects(tile) else { continue }
          if !tile.contains(envelope) {
            geometry = try geometry.clipped(to: tile)
            if try geometry.isEmpty() { continue }
            envelope = try geometry.envelope()
          }
        }
        guard try geometry.area() > 0 else { continue }
        natives.append(geometry)
        envelopes.append(envelope)
        owners.append(index)
      }
      try partition(
        natives, envelopes: envelopes, owners: owners, context: context, sliver: sliver, into: &faces)
    }
    return faces.sorted(by: Face.stableOrder)
  }

  private static func partition(
    _ natives: [NativeGeometry], envelopes: [Envelope], owners: [Int], context: GeometryContext,
    sliver: SliverRule, into faces: inout [Face]
  ) throws {
    guard !natives.isEmpty else { return }
    // Groups of shapes whose envelopes overlap, transitively (union-find).
    var parent = Array(0..<natives.count)
    func root(_ i: Int) -> Int {
      var i = i
      while parent[i] != i {
        parent[i] = parent[parent[i]]
        i = parent[i]
      }
      return i
    }
    let index = EnvelopeGrid(envelopes)
    for (i, envelope) in envelopes.enumerated() {
      for j in index.query(envelope) where j > i {
        let (a, b) = (root(i), root(j))
        if a != b { parent[max(a, b)] = min(a, b) }
      }
    }
    var groups: [Int: [Int]] = [:]
    for i in natives.indices { groups[root(i), default: []].append(i) }

    for key in groups.keys.sorted() {
      let group = groups[key]!
      if group.count == 1 {
        let i = group[0]
        try append(polygonsOf: natives[i], members: [owners[i]], to: &faces, sliver: sliver)
        continue
      }
      let boundaries = try group.map { try natives[$0].boundary() }
      let noded = try context.collection(.geometryCollection, of: boundaries).unaryUnion()
      let polygons = try context.polygonize([noded])
      let local = EnvelopeGrid(group.map { envelopes[$0] })
      var prepared: [Int: PreparedGeometry] = [:]
      for p in 0..<(try polygons.partCount()) {
        let polygon = try polygons.part(p)
        let inside = try polygon.pointOnSurface()
        var members: [Int] = []
        for k in local.query(try inside.envelope()) {
          let shape: PreparedGeometry
          if let cached = prepared[k] {
            shape = cached
          } else {
            shape = try PreparedGeometry(natives[group[k]])
            prepared[k] = shape
          }
          if try shape.contains(inside) { members.append(owners[group[k]]) }
        }
        guard !members.isEmpty else { continue }  // a hole between shapes
        try append(polygon, members: members.sorted(), to: &faces, sliver: sliver)
      }
    }
  }

  private static func append(
    polygonsOf geometry: NativeGeometry, members: [Int], to faces: inout [Face], sliver: SliverRule
  ) throws {
    let count = try geometry.partCount()
    if try geometry.type() == .polygon {
      try append(geometry, members: members, to: &faces, sliver: sliver)
      return
    }
    for p in 0..<count {
      let part = try geometry.part(p)
      if try part.type() == .polygon, try part.area() > 0 {
        try append(part, members: members, to: &faces, sliver: sliver)
      }
    }
  }

  private static func append(
    _ polygon: NativeGeometry, members: [Int], to faces: inout [Face], sliver: SliverRule
  )
    throws
  {
    let area = try polygon.area()
    guard area > 0 else { return }
    var isSliver = false
    if members.count > 1 {
      let perimeter = try polygon.length()
      isSliver = area < sliver.minArea || (perimeter > 0 && 2 * area / perimeter < sliver.minWidth)
    }
    faces.append(
      Face(
        geometry: try polygon.geometry(), area: area, envelope: try polygon.envelope(), members: members,
        isSliver: isSliver))
  }
}

extension Face {
  /// By members, then position, then area: independent of input order and scheduling.
  public static func stableOrder(_ a: Face, _ b: Face) -> Bool {
    if a.members != b.members { return a.members.lexicographicallyPrecedes(b.members) }
    if a.envelope.minX != b.envelope.minX { return a.envelope.minX < b.envelope.minX }
    if a.envelope.minY != b.envelope.minY { return a.envelope.minY < b.envelope.minY }
    if a.envelope.maxX != b.envelope.maxX { return a.envelope.maxX < b.envelope.maxX }
    if a.envelope.maxY != b.envelope.maxY { return a.envelope.maxY < b.envelope.maxY }
    return a.area < b.area
  }
}
