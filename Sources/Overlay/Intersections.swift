import Geo

/// Where a geometry on the left meets one on the right, with positive area.
public struct Overlap: Sendable, Equatable {
  public var left: Int
  public var right: Int
  /// Planar area of the intersection (m² in EPSG:9377).
  public var area: Double
  /// The right geometry covers the left one entirely (the intersection is the left geometry).
  public var covered: Bool
  /// The intersection's polygonal part, when asked for.
  public var geometry: Geometry?
}

/// Pairwise intersections of two sets of polygonal geometries: an STRtree over the right
/// set, prepared geometries for the predicates, and the intersection itself computed only
/// where the right geometry does not cover the left one.
public enum Intersections {
  /// Every (left, right) pair with positive intersection area, ordered by left then right.
  /// `include` can skip pairs that do not matter before any geometry is computed.
  public static func compute(
    left: [Geometry], right: [Geometry], keepGeometry: Bool,
    include: (Int, Int) -> Bool = { _, _ in true }
  ) throws -> [Overlap] {
    let context = try GeometryContext()
    let rights = try RightSet(right, context: context)
    var out: [Overlap] = []
    for (l, geometry) in left.enumerated() {
      let native = try context.read(geometry)
      try rights.overlaps(of: native, keepGeometry: keepGeometry) { r in
        include(l, r)
      } found: {
        r, area, covered, geometry in
        out.append(Overlap(left: l, right: r, area: area, covered: covered, geometry: geometry))
      }
    }
    return out
  }
}

/// The right-hand side of an overlay. Shapes are parsed into GEOS and prepared only when a pair
/// needs them; with rasters on (`useRasters`), most pairs never do.
final class RightSet {
  let context: GeometryContext
  let geometries: [Geometry]
  let envelopes: [Envelope]
  let grid: EnvelopeGrid
  private var natives: PerShape<NativeGeometry>
  private var prepared: PerShape<PreparedGeometry>
  private var planarRings: PerShape<PlanarRings>
  private var rasters: PerShape<ShapeRaster>
  private var rasterScope: (scope: Envelope, cell: Double)?

  /// `envelopes`, when the caller has them, are the geometries' boxes.
  init(_ geometries: [Geometry], envelopes known: [Envelope]? = nil, context: GeometryContext) throws {
    precondition(known == nil || known!.count == geometries.count)
    self.context = context
    self.geometries = geometries
    envelopes = try known ?? geometries.map { try Envelope(polygonWKB: $0) ?? context.read($0).envelope() }
    grid = EnvelopeGrid(envelopes)
    natives = PerShape(geometries.count)
    prepared = PerShape(geometries.count)
    planarRings = PerShape(geometries.count)
    rasters = PerShape(geometries.count)
  }

  func native(_ i: Int) throws -> NativeGeometry {
    try natives.value(i) { try context.read(geometries[i]) }!
  }

  func prepared(_ i: Int) throws -> PreparedGeometry {
    try prepared.value(i) { try PreparedGeometry(try native(i)) }!
  }

  /// Shape `r`'s rings, read once; nil for anything but polygons.
  func planar(_ r: Int) -> PlanarRings? {
    planarRings.value(r) { PlanarRings(geometries[r]) }
  }

  /// From now on, boxes inside `scope` are first asked of each shape's raster (cells of about
  /// `cell`, the size of the boxes to come), built the first time the shape is met.
  func useRasters(scope: Envelope, cell: Double) {
    rasterScope = (scope, cell)
    rasters = PerShape(geometries.count)
  }

  /// What shape `r`'s raster knows about `box`; `.unknown` without rasters.
  func rasterAnswer(_ r: Int, _ box: Envelope) -> ShapeRaster.Answer {
    guard let rasterScope else { return .unknown }
    let raster = rasters.value(r) {
      planar(r).flatMap { ShapeRaster($0, scope: rasterScope.scope, cell: rasterScope.cell) }
    }
    return raster?.answer(box) ?? .unknown
  }

  /// Calls `found` for each right geometry meeting `left` with positive area.
  func overlaps(
    of left: NativeGeometry, envelope known: Envelope? = nil, candidates: [Int]? = nil, keepGeometry: Bool,
    include: (Int) -> Bool, found: (Int, Double, Bool, Geometry?) throws -> Void
  ) throws {
    let whole = LeftGeometry(native: left)
    try pieces(of: whole, envelope: known, candidates: candidates, include: include) {
      r, area, covered, piece in
      try found(r, area, covered, keepGeometry ? try piece.geometry(whole: whole) : nil)
    }
  }

  /// Calls `found` for each right geometry meeting `left` with positive area, with the piece.
  /// When `left` is convex (its rings known), pieces are clipped in plain Swift where that is
  /// exact (`PlanarRings.clipped(by:)`), and `left` is parsed into GEOS only if a pair needs it.
  func pieces(
    of left: LeftGeometry, envelope known: Envelope? = nil, candidates: [Int]? = nil,
    include: (Int) -> Bool, found: (Int, Double, Bool, OverlayPiece) throws -> Void
  ) throws {
    let envelope = try known ?? left.native().envelope()
    let clip = left.rings?.isConvex == true ? left.rings : nil
    for r in candidates ?? grid.query(envelope) where include(r) {
      switch rasterAnswer(r, envelope) {
      case .disjoint:
        continue
      case .covers:
        try found(r, try left.area(), true, .whole)
        continue
      case .unknown:
        break
      }
      let coverPossible = envelopes[r].contains(envelope)
      if let clip, let subject = planar(r) {
        switch subject.clipped(by: clip) {
        case .empty:
          continue
        case .piece(let area, let geometry):
          // Short of the whole parcel by far more than rounding: not covered, and this is the
          // piece. Near the whole, GEOS says whether the shape covers it.
          let whole = try left.area()
          if !coverPossible || area < whole * (1 - 1e-9) {
            if area > 0 { try found(r, area, false, .planar(geometry)) }
            continue
          }
        case .unsure:
          break
        }
      }
      let shape = try prepared(r)
      let native = try left.native()
      if coverPossible, try shape.covers(native) {
        try found(r, try left.area(), true, .whole)
        continue
      }
      guard try shape.intersects(native) else { continue }
      let piece = try native.intersection(with: try self.native(r))
      let area = try piece.area()
      guard area > 0 else { continue }
      try found(r, area, false, .native(piece))
    }
  }

}

/// Values computed once per shape, on first use (nil when there is none to compute).
struct PerShape<Value> {
  private var slots: [Value??]

  init(_ count: Int) { slots = Array(repeating: nil, count: count) }

  mutating func value(_ i: Int, _ make: () throws -> Value?) rethrows -> Value? {
    if let done = slots[i] { return done }
    let made = try make()
    slots[i] = .some(made)
    return made
  }
}

/// The left geometry of pairs: its WKB and rings, parsed into GEOS only when a pair needs it.
final class LeftGeometry {
  let context: GeometryContext
  let geometry: Geometry?
  let rings: PlanarRings?
  private var parsed: NativeGeometry?
  private var measured: Double?

  init(native: NativeGeometry) {
    context = native.context
    geometry = nil
    rings = nil
    parsed = native
  }

  init(_ geometry: Geometry, context: GeometryContext) {
    self.context = context
    self.geometry = geometry
    rings = PlanarRings(geometry)
  }

  func native() throws -> NativeGeometry {
    if let parsed { return parsed }
    let made = try context.read(geometry!)
    parsed = made
    return made
  }

  /// The area: from the rings when they were read, else by GEOS.
  func area() throws -> Double {
    if let measured { return measured }
    let value = try rings?.area ?? native().area()
    measured = value
    return value
  }

  /// As a MultiPolygon: the WKB itself when it already is one.
  func multiPolygon() throws -> Geometry {
    if let geometry, rings?.isMultiPolygon == true { return geometry }
    return try native().asMultiPolygon().geometry()
  }
}

/// Where a left geometry and a right one meet.
enum OverlayPiece {
  /// The right geometry covers the left one: the piece is the left geometry.
  case whole
  /// Computed by GEOS.
  case native(NativeGeometry)
  /// Clipped in plain Swift: a MultiPolygon.
  case planar(Geometry)

  /// The piece in GEOS.
  func native(whole: LeftGeometry) throws -> NativeGeometry {
    switch self {
    case .whole: return try whole.native()
    case .native(let geometry): return geometry
    case .planar(let geometry): return try whole.context.read(geometry)
    }
  }

  /// The piece as a MultiPolygon.
  func geometry(whole: LeftGeometry) throws -> Geometry {
    switch self {
    case .whole: return try whole.multiPolygon()
    case .native(let geometry): return try geometry.asMultiPolygon().geometry()
    case .planar(let geometry): return geometry
    }
  }
}
