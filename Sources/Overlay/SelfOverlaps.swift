import Geo

/// Pairs of polygons of one layer whose interiors overlap: LADM-COL rule R3001 (parcels must
/// not overlap). Written for coverages, where nearly every neighbouring pair merely touches.
///
/// Each pair is examined once, by the member with the smaller index. Pairs whose interiors
/// certainly do not meet are dismissed by `PlanarRings` in plain Swift. Of the rest, the one with
/// the larger box is prepared (once per call, cached), so a parcel with thousands of vertices
/// next to hundreds of small ones is indexed once instead of re-read for every pair — in SQL
/// this case took 47 s on Cambridge's 13,116 parcels.
public enum SelfOverlaps {
  /// Two members (indices into the input) and the area of their intersection, m².
  public struct Pair: Sendable, Equatable {
    public var first: Int
    public var second: Int
    public var area: Double
  }

  /// The members' boxes, indexed once, and the members with many vertices cut into pieces
  /// once (as WKB), both shared by the workers: a parcel of 18,000 vertices next to thousands of
  /// others is met by every run of neighbours.
  public struct Index: Sendable {
    let grid: EnvelopeGrid
    let pieces: [Int: [Geometry]]
    /// Members of one convex ring, found in their WKB, by member.
    let convex: [ConvexRing?]

    public init(envelopes: [Envelope], geometry: (Int) -> Geometry) throws {
      grid = EnvelopeGrid(envelopes)
      let context = try GeometryContext()
      var pieces: [Int: [Geometry]] = [:]
      var convex: [ConvexRing?] = []
      convex.reserveCapacity(envelopes.count)
      for k in envelopes.indices {
        let wkb = geometry(k)
        convex.append(ConvexRing(wkb.wkb))
        // A polygon's WKB holds 16 bytes a vertex: smaller ones are not worth parsing here.
        guard wkb.wkb.count > 16 * planarLimit, let rings = PlanarRings(wkb), rings.vertexCount > planarLimit
        else { continue }
        pieces[k] = try Self.cut(try context.read(wkb), vertices: rings.vertexCount, context: context)
      }
      self.pieces = pieces
      self.convex = convex
    }

    /// A polygon cut by a grid into pieces of a few hundred vertices each (their areas add up
    /// to the whole's: they meet only along the cut lines).
    static func cut(_ member: NativeGeometry, vertices: Int, context: GeometryContext) throws -> [Geometry] {
      let bounds = try member.envelope()
      let side = max(2, Int((Double(vertices) / Double(planarLimit / 2)).squareRoot().rounded(.up)))
      let width = bounds.width / Double(side)
      let height = bounds.height / Double(side)
      var made: [Geometry] = []
      for row in 0..<side {
        for column in 0..<side {
          let cell = Envelope(
            minX: bounds.minX + Double(column) * width, minY: bounds.minY + Double(row) * height,
            maxX: column == side - 1 ? bounds.maxX : bounds.minX + Double(column + 1) * width,
            maxY: row == side - 1 ? bounds.maxY : bounds.minY + Double(row + 1) * height)
          let piece = try member.intersection(with: try context.rectangle(cell)).asMultiPolygon()
          if try !piece.isEmpty() { made.append(try piece.geometry()) }
        }
      }
      return made
    }

    public var count: Int { grid.envelopes.count }

    /// The members in an order where neighbours are close (rows of cells, bottom to top),
    /// split into runs of about `size`: each run reads few geometries besides its own.
    public func spatialRuns(size: Int) -> [[Int]] {
      let envelopes = grid.envelopes
      guard let first = envelopes.first else { return [] }
      var bounds = first
      for envelope in envelopes.dropFirst() { bounds = bounds.union(envelope) }
      let side = max(1, Int(Double(envelopes.count).squareRoot() / 8))
      let width = max(bounds.width / Double(side), 1e-9)
      let height = max(bounds.height / Double(side), 1e-9)
      func cell(_ e: Envelope) -> Int {
        let x = min(side - 1, max(0, Int(((e.minX + e.maxX) / 2 - bounds.minX) / width)))
        let y = min(side - 1, max(0, Int(((e.minY + e.maxY) / 2 - bounds.minY) / height)))
        return y * side + (y % 2 == 0 ? x : side - 1 - x)
      }
      let ordered = envelopes.indices.sorted {
        let a = cell(envelopes[$0])
        let b = cell(envelopes[$1])
        return a != b ? a < b : $0 < $1
      }
      return stride(from: 0, to: ordered.count, by: max(1, size)).map {
        Array(ordered[$0..<min($0 + max(1, size), ordered.count)])
      }
    }
  }

  /// The pairs (i, j), i in `members`, j > i, whose intersection is larger than `minimumArea`.
  /// `geometry(k)` gives member k's WKB; it is read at most once per call.
  /// `accept(i, j)` can leave pairs to another call (a tile that owns them) before any
  /// geometry is read.
  public static func find(
    members: [Int], index: Index, minimumArea: Double, accept: (Int, Int) -> Bool = { _, _ in true },
    geometry: (Int) -> Geometry
  ) throws -> [Pair] {
    try withoutActuallyEscaping(geometry) { geometry in
      var cache = Cache(context: try GeometryContext(), index: index, geometry: geometry)
      return try pairs(
        members: members, index: index, minimumArea: minimumArea, accept: accept, cache: &cache)
    }
  }

  private static func pairs(
    members: [Int], index: Index, minimumArea: Double, accept: (Int, Int) -> Bool, cache: inout Cache
  ) throws
    -> [Pair]
  {
    let envelopes = index.grid.envelopes
    var out: [Pair] = []
    var met: [Int] = []
    for i in members {
      index.grid.query(envelopes[i], into: &met)
      for j in met where j > i && accept(i, j) {
        guard try !cache.clearlyBelow(i, j, minimumArea: minimumArea) else { continue }
        // Prepare the larger box: it is the one met by many pairs.
        let (big, small) = boxArea(envelopes[i]) >= boxArea(envelopes[j]) ? (i, j) : (j, i)
        let wide = try cache.prepared(big)
        let narrow = try cache.native(small)
        guard try wide.intersects(narrow) else { continue }
        let area: Double
        // Not `covers`: when boundaries touch (every neighbour in a coverage) it falls back
        // to a full relate, which costs more than the intersection.
        if envelopes[big].contains(envelopes[small]), try wide.containsProperly(narrow) {
          area = try narrow.area()
        } else {
          area = try narrow.intersection(with: try cache.native(big)).area()
        }
        if area > minimumArea { out.append(Pair(first: i, second: j, area: area)) }
      }
    }
    return out
  }

  /// A member, or one cell's piece of a member with many vertices.
  struct Piece {
    var envelope: Envelope
    var native: NativeGeometry
    var rings: PlanarRings?
  }

  /// What one call has read, prepared and cut, by member.
  struct Cache {
    let context: GeometryContext
    let geometry: (Int) -> Geometry
    var natives: [Int: NativeGeometry] = [:]
    var preparedGeometries: [Int: PreparedGeometry] = [:]
    var rings: [Int: PlanarRings?] = [:]
    var pieces: [Int: [Piece]] = [:]

    let index: Index

    init(context: GeometryContext, index: Index, geometry: @escaping (Int) -> Geometry) {
      self.context = context
      self.index = index
      self.geometry = geometry
    }

    mutating func native(_ k: Int) throws -> NativeGeometry {
      if let known = natives[k] { return known }
      let read = try context.read(geometry(k))
      natives[k] = read
      return read
    }

    mutating func prepared(_ k: Int) throws -> PreparedGeometry {
      if let known = preparedGeometries[k] { return known }
      let made = try PreparedGeometry(try native(k))
      preparedGeometries[k] = made
      return made
    }

    /// Plain-Swift rings of a member small enough for the quadratic tests, else nil.
    mutating func planar(_ k: Int) -> PlanarRings? {
      if let known = rings[k] { return known }
      var read = PlanarRings(geometry(k))
      if let found = read, found.vertexCount > planarLimit { read = nil }
      rings[k] = read
      return read
    }

    /// A member with many vertices, in the pieces the index cut it into, read into this
    /// call's context; nil for the others.
    mutating func cut(_ k: Int) throws -> [Piece]? {
      if let known = pieces[k] { return known }
      guard let cut = index.pieces[k] else { return nil }
      let made = try cut.map { wkb in
        let piece = try context.read(wkb)
        let rings = PlanarRings(wkb).flatMap { $0.vertexCount > planarLimit ? nil : $0 }
        return Piece(envelope: try piece.envelope(), native: piece, rings: rings)
      }
      pieces[k] = made
      return made
    }

    /// Whether the pair's overlap is certainly not above `minimumArea`, found without GEOS
    /// where it can be: neighbours that merely touch share their vertices (exact test), or one
    /// is convex and clipping the other by it leaves clearly less than the minimum (vertices
    /// computed on a neighbour's edge are rarely exactly on it, and leave overlaps of 1e-10 m²).
    /// A member with many vertices is taken piece by piece.
    mutating func clearlyBelow(_ i: Int, _ j: Int, minimumArea: Double) throws -> Bool {
      // Two convex rings, the common case: the first test of `below`, on their bytes, before
      // either is read into `PlanarRings`.
      if minimumArea > 0, let a = index.convex[i], let b = index.convex[j] {
        let (wkbA, wkbB) = (geometry(i).wkb, geometry(j).wkb)
        let envelopes = index.grid.envelopes
        if a.separates(wkbA, b, wkbB, slack: Self.slack(envelopes[i], minimumArea))
          || b.separates(wkbB, a, wkbA, slack: Self.slack(envelopes[j], minimumArea))
        {
          return true
        }
      }
      let a = planar(i)
      let b = planar(j)
      if let a, let b { return Self.below(a, b, minimumArea: minimumArea) ?? false }
      guard minimumArea > 0 else { return false }
      // One (or both) has many vertices: add up its pieces against the other.
      let left = try cut(i) ?? a.map { [Piece(envelope: envelope($0), native: try native(i), rings: $0)] }
      let right = try cut(j) ?? b.map { [Piece(envelope: envelope($0), native: try native(j), rings: $0)] }
      guard let left, let right else { return false }
      var area = 0.0
      for p in left {
        for q in right where p.envelope.intersects(q.envelope) {
          if let pr = p.rings, let qr = q.rings {
            if pr.interiorsDisjoint(qr) { continue }
            if let clipped = Self.clipped(pr, qr) {
              area += clipped
              continue
            }
          }
          area += try p.native.intersection(with: q.native).area()
          if area >= minimumArea / 2 { return false }
        }
        if area >= minimumArea / 2 { return false }
      }
      return area < minimumArea / 2
    }

    private func envelope(_ rings: PlanarRings) -> Envelope {
      Envelope(minX: rings.minX, minY: rings.minY, maxX: rings.maxX, maxY: rings.maxY)
    }

    /// True or false when the plain-Swift tests decide, nil when they cannot.
    static func below(_ a: PlanarRings, _ b: PlanarRings, minimumArea: Double) -> Bool? {
      if minimumArea > 0, a.isConvex, b.isConvex {
        func slack(_ p: PlanarRings) -> Double {
          Self.slack(Envelope(minX: p.minX, minY: p.minY, maxX: p.maxX, maxY: p.maxY), minimumArea)
        }
        if a.separates(b, slack: slack(a)) || b.separates(a, slack: slack(b)) { return true }
      }
      if a.interiorsDisjoint(b) { return true }
      guard minimumArea > 0, let clipped = clipped(a, b) else { return nil }
      return clipped < minimumArea / 2
    }

    /// How far inside a convex polygon of box `box` another's vertices may lie for an edge line
    /// to count as separating them: the overlap then stays under a quarter of the minimum (the
    /// clipped area below must stay under half of it), the slack times the box's diagonal.
    static func slack(_ box: Envelope, _ minimumArea: Double) -> Double {
      minimumArea / 4 / max((box.width * box.width + box.height * box.height).squareRoot(), 1e-9)
    }

    /// The area of a ∩ b when one of them is convex.
    static func clipped(_ a: PlanarRings, _ b: PlanarRings) -> Double? {
      b.isConvex ? a.clippedArea(by: b) : a.isConvex ? b.clippedArea(by: a) : nil
    }
  }

  /// Above this many vertices the plain-Swift test (quadratic in the vertices of the pair)
  /// costs more than GEOS's indexed one.
  static let planarLimit = 400

  private static func boxArea(_ e: Envelope) -> Double { e.width * e.height }
}
