import Geo

/// The rings of a 2D polygon or multipolygon, read from its WKB in plain Swift, with the
/// few exact-enough tests a coverage check needs before it pays for a GEOS overlay.
struct PlanarRings {
  /// Vertices of every ring, each ring closed (its last vertex repeats its first).
  var xs: [Double] = []
  var ys: [Double] = []
  /// Where each ring starts in `xs`/`ys`; one more entry marks the end.
  var ringStarts: [Int] = []
  /// The polygon part each ring belongs to.
  var ringParts: [Int] = []
  var partCount = 0
  var minX = Double.infinity
  var minY = Double.infinity
  var maxX = -Double.infinity
  var maxY = -Double.infinity
  /// For one convex ring (every turn the same way or straight: a valid clip for
  /// Sutherland–Hodgman), the sign of its turns: 1 counter-clockwise, −1 clockwise; else 0.
  private(set) var convexTurn = 0.0
  var isConvex: Bool { convexTurn != 0 }
  /// Read from a MultiPolygon (not a Polygon).
  private(set) var isMultiPolygon = false

  var vertexCount: Int { xs.count }

  /// The area: shells add, holes subtract (the rings of a valid polygon). Each ring is summed
  /// relative to its first vertex, as GEOS does, so rounding stays far below a square
  /// millimetre at CTM12's millions of metres.
  var area: Double {
    var total = 0.0
    for ring in 0..<(ringStarts.count - 1) {
      let start = ringStarts[ring]
      let end = ringStarts[ring + 1] - 1
      guard end - start >= 3 else { continue }
      let (ox, oy) = (xs[start], ys[start])
      var sum = 0.0
      for i in start..<end {
        sum += (xs[i] - ox) * (ys[i + 1] - oy) - (xs[i + 1] - ox) * (ys[i] - oy)
      }
      let isShell = ring == 0 || ringParts[ring] != ringParts[ring - 1]
      total += (isShell ? 1 : -1) * abs(sum) / 2
    }
    return total
  }

  /// Nil for anything but a 2D Polygon or MultiPolygon (ISO WKB, either byte order).
  init?(_ geometry: Geometry) {
    var reader = WKBReader(bytes: geometry.wkb)
    let type = reader.polygons { part in
      ringStarts.append(xs.count)
      ringParts.append(part)
      partCount = part + 1
    } point: { x, y in
      xs.append(x)
      ys.append(y)
      minX = Swift.min(minX, x)
      maxX = Swift.max(maxX, x)
      minY = Swift.min(minY, y)
      maxY = Swift.max(maxY, y)
    }
    guard let type else { return nil }
    isMultiPolygon = type == 6
    ringStarts.append(xs.count)
    convexTurn = convex()
  }

  enum Location { case inside, boundary, outside }

  /// Where (x, y) lies: on an edge (exactly, by the orientation test), else by the crossing
  /// count over every ring (even-odd, right for holes and for the parts of a valid multipolygon).
  func locate(_ x: Double, _ y: Double) -> Location {
    if x < minX || x > maxX || y < minY || y > maxY { return .outside }
    var inside = false
    for ring in 0..<(ringStarts.count - 1) {
      var i = ringStarts[ring]
      let end = ringStarts[ring + 1] - 1
      while i < end {
        let (x1, y1, x2, y2) = (xs[i], ys[i], xs[i + 1], ys[i + 1])
        i += 1
        if (y1 > y) != (y2 > y) {
          let side = orientation(x1, y1, x2, y2, x, y)
          if side == 0 { return .boundary }
          // Upward edge with the point on its left, or downward with it on its right.
          if (side > 0) == (y2 > y1) { inside.toggle() }
        } else if y1 == y && y2 == y {
          if Swift.min(x1, x2) <= x && x <= Swift.max(x1, x2) { return .boundary }
        } else if (x == x1 && y == y1) || (x == x2 && y == y2) {
          return .boundary
        }
      }
    }
    return inside ? .inside : .outside
  }

  /// Twice the signed area of the triangle: > 0 when (x, y) is left of the line 1 → 2.
  @inline(__always)
  func orientation(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ x: Double, _ y: Double
  )
    -> Double
  {
    (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
  }

  /// Whether the interiors of `self` and `other` certainly do not meet. False means "maybe":
  /// the caller computes the intersection. Checked, for both orders: no vertex strictly inside
  /// the other; every part has a vertex strictly outside the other (else it may be a copy);
  /// no edges cross properly; no piece of an edge, cut at the other's vertices lying on it,
  /// has its midpoint strictly inside the other. If the interiors met, a component of their
  /// intersection would be bounded either by such an edge piece or entirely by shared edges —
  /// and then it is a whole part of both.
  func interiorsDisjoint(_ other: PlanarRings) -> Bool {
    guard verticesStayOut(of: other), other.verticesStayOut(of: self) else { return false }
    guard !edgesCrossProperly(other) else { return false }
    return edgePiecesStayOut(of: other) && other.edgePiecesStayOut(of: self)
  }

  /// For two convex polygons (`isConvex`): whether the line of one of `self`'s edges leaves
  /// every vertex of `other` outside `self`, or within `slack` metres inside. Then `other`
  /// lies in that half-plane widened by `slack`, and the intersection in a strip of width
  /// `slack` across `self`: its area is at most `slack` times `self`'s box diagonal. Neighbours
  /// in a coverage share an edge, whose line separates them; the test costs one orientation
  /// per edge and vertex, with none of the allocations of clipping.
  func separates(_ other: PlanarRings, slack: Double) -> Bool {
    let n = xs.count - 1
    // Inside is to the left of each edge walked counter-clockwise.
    let direction = convexTurn
    let m = other.xs.count - 1
    edges: for i in 0..<n {
      let (x1, y1) = (xs[i], ys[i])
      let (dx, dy) = (xs[i + 1] - x1, ys[i + 1] - y1)
      let length = (dx * dx + dy * dy).squareRoot()
      guard length > 0 else { continue }
      let limit = slack * length
      for k in 0..<m where direction * (dx * (other.ys[k] - y1) - dy * (other.xs[k] - x1)) > limit {
        continue edges
      }
      return true
    }
    return false
  }

  /// The sign of the turns of a single convex ring, 0 for anything else.
  private func convex() -> Double {
    guard ringStarts.count == 2, xs.count >= 4 else { return 0 }
    return ConvexRing.turnSign(vertices: xs.count - 1) { (xs[$0], ys[$0]) }
  }

  /// A convex polygon's edges, relative to its first vertex, ready to clip rings by
  /// Sutherland–Hodgman. Coordinates are taken relative to that vertex, so rounding stays near
  /// 1e-9 m² instead of 1e-3 at CTM12's millions of metres.
  struct ConvexClip {
    let originX: Double
    let originY: Double
    private let cx: [Double]
    private let cy: [Double]
    /// Inside is to the left of each edge walked counter-clockwise.
    private let direction: Double

    init(_ clip: PlanarRings) {
      originX = clip.xs[0]
      originY = clip.ys[0]
      let n = clip.xs.count - 1
      var cx = [Double](repeating: 0, count: n)
      var cy = cx
      var signed = 0.0
      for k in 0..<n {
        cx[k] = clip.xs[k] - originX
        cy[k] = clip.ys[k] - originY
        let next = (k + 1) % n
        signed +=
          (clip.xs[k] - originX) * (clip.ys[next] - originY) - (clip.xs[next] - originX)
          * (clip.ys[k] - originY)
      }
      self.cx = cx
      self.cy = cy
      direction = signed >= 0 ? 1 : -1
    }

    /// Ring `ring` of `rings` clipped, relative to the origin; `input` is scratch space.
    func clip(
      _ ring: Int, of rings: PlanarRings, into output: inout [(Double, Double)],
      scratch input: inout [(Double, Double)]
    ) {
      output.removeAll(keepingCapacity: true)
      for i in rings.ringStarts[ring]..<(rings.ringStarts[ring + 1] - 1) {
        output.append((rings.xs[i] - originX, rings.ys[i] - originY))
      }
      let n = cx.count
      for k in 0..<n where !output.isEmpty {
        let (x1, y1, x2, y2) = (cx[k], cy[k], cx[(k + 1) % n], cy[(k + 1) % n])
        swap(&input, &output)
        output.removeAll(keepingCapacity: true)
        func side(_ p: (Double, Double)) -> Double {
          direction * ((x2 - x1) * (p.1 - y1) - (y2 - y1) * (p.0 - x1))
        }
        var previous = input[input.count - 1]
        var previousSide = side(previous)
        for current in input {
          let currentSide = side(current)
          if currentSide >= 0 {
            if previousSide < 0 {
              output.append(PlanarRings.cut(previous, current, previousSide, currentSide))
            }
            output.append(current)
          } else if previousSide >= 0 {
            output.append(PlanarRings.cut(previous, current, previousSide, currentSide))
          }
          previous = current
          previousSide = currentSide
        }
      }
    }
  }

  /// Area of the intersection with `clip`, which must be convex, by Sutherland–Hodgman on each
  /// ring (shells add, holes subtract); clipping a ring, convex or not, by a convex polygon
  /// keeps its area inside the clip exactly, up to rounding.
  func clippedArea(by clip: PlanarRings) -> Double {
    let convex = ConvexClip(clip)
    var total = 0.0
    var scratch: [(Double, Double)] = []
    var output: [(Double, Double)] = []
    for ring in 0..<(ringStarts.count - 1) {
      let isShell = ring == 0 || ringParts[ring] != ringParts[ring - 1]
      convex.clip(ring, of: self, into: &output, scratch: &scratch)
      var area = 0.0
      if output.count >= 3 {
        for k in output.indices {
          let (a, b) = (output[k], output[(k + 1) % output.count])
          area += a.0 * b.1 - b.0 * a.1
        }
      }
      total += (isShell ? 1 : -1) * abs(area) / 2
    }
    return total
  }

  /// The part of `self` inside `clip`, by Sutherland–Hodgman as in `clippedArea(by:)`.
  enum Clipped {
    /// No area in common.
    case empty
    /// The intersection, a MultiPolygon (one polygon per part met), and its area.
    case piece(area: Double, geometry: Geometry)
    /// Not settled here: a hole meets the clip, or a clipped ring is not simple (the clip
    /// cut a part into pieces that Sutherland–Hodgman joins along the clip's edges), or it is
    /// too long to check cheaply. The caller asks GEOS.
    case unsure
  }

  /// The intersection with `clip`, which must be convex, as a geometry: each shell met is
  /// clipped; the result is kept only when every clipped ring is simple (no fold-back, no two
  /// edges meeting but at their shared vertex), which is when it is exactly the intersection.
  func clipped(by clip: PlanarRings, maxVertices: Int = 256) -> Clipped {
    precondition(clip.isConvex)
    let convex = ConvexClip(clip)
    let ox = convex.originX
    let oy = convex.originY
    var pieces: [[(Double, Double)]] = []
    var total = 0.0
    var scratch: [(Double, Double)] = []
    var output: [(Double, Double)] = []
    for ring in 0..<(ringStarts.count - 1) {
      let start = ringStarts[ring]
      let end = ringStarts[ring + 1] - 1
      var low = (Double.infinity, Double.infinity)
      var high = (-Double.infinity, -Double.infinity)
      for i in start..<end {
        low = (Swift.min(low.0, xs[i]), Swift.min(low.1, ys[i]))
        high = (Swift.max(high.0, xs[i]), Swift.max(high.1, ys[i]))
      }
      if high.0 < clip.minX || low.0 > clip.maxX || high.1 < clip.minY || low.1 > clip.maxY { continue }
      let isShell = ring == 0 || ringParts[ring] != ringParts[ring - 1]
      guard isShell else { return .unsure }
      convex.clip(ring, of: self, into: &output, scratch: &scratch)
      // Back in place first: points apart by less than the coordinates' rounding become
      // equal there. Repeated vertices (a subject vertex on a clip edge comes out twice) go.
      var ringOut: [(Double, Double)] = []
      ringOut.reserveCapacity(output.count)
      for point in output {
        let placed = (point.0 + ox, point.1 + oy)
        if ringOut.last.map({ $0 != placed }) ?? true { ringOut.append(placed) }
      }
      while ringOut.count > 1 && ringOut[0] == ringOut[ringOut.count - 1] { ringOut.removeLast() }
      guard ringOut.count >= 3 else { continue }
      var area = 0.0
      for k in ringOut.indices {
        let (a, b) = (ringOut[k], ringOut[(k + 1) % ringOut.count])
        area += (a.0 - ox) * (b.1 - oy) - (b.0 - ox) * (a.1 - oy)
      }
      guard area != 0 else { continue }
      // Slivers at the rounding's scale are left to GEOS, which may find no area at all.
      guard abs(area) / 2 > 1e-6, ringOut.count <= maxVertices, Self.isSimple(ringOut) else { return .unsure }
      total += abs(area) / 2
      pieces.append(ringOut)
    }
    guard !pieces.isEmpty else { return .empty }
    // A MultiPolygon, little-endian ISO WKB, coordinates back in place.
    var wkb: [UInt8] = []
    wkb.reserveCapacity(9 + pieces.reduce(0) { $0 + 13 + 16 * ($1.count + 1) })
    func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { wkb.append(contentsOf: $0) } }
    func put(_ value: Double) {
      withUnsafeBytes(of: value.bitPattern.littleEndian) { wkb.append(contentsOf: $0) }
    }
    wkb.append(1)
    put(UInt32(6))
    put(UInt32(pieces.count))
    for ring in pieces {
      wkb.append(1)
      put(UInt32(3))
      put(UInt32(1))
      put(UInt32(ring.count + 1))
      for point in ring + [ring[0]] {
        put(point.0)
        put(point.1)
      }
    }
    return .piece(area: total, geometry: Geometry(uncheckedWKB: wkb))
  }

  /// Whether a ring (not repeating its first vertex, no two consecutive vertices equal) is
  /// simple: no edge folds back on the one before, and no two edges meet but consecutive ones
  /// at their shared vertex. Conservative: three points within rounding of a line count as on
  /// it, so a ring too thin to judge is called not simple.
  static func isSimple(_ ring: [(Double, Double)]) -> Bool {
    let k = ring.count
    func orient(_ a: (Double, Double), _ b: (Double, Double), _ c: (Double, Double)) -> Double {
      let (ux, uy, vx, vy) = (b.0 - a.0, b.1 - a.1, c.0 - a.0, c.1 - a.1)
      let value = ux * vy - uy * vx
      return abs(value) <= 1e-12 * (abs(ux) + abs(uy)) * (abs(vx) + abs(vy)) + 1e-18 ? 0 : value
    }
    func onSegment(_ a: (Double, Double), _ b: (Double, Double), _ p: (Double, Double)) -> Bool {
      Swift.min(a.0, b.0) <= p.0 && p.0 <= Swift.max(a.0, b.0) && Swift.min(a.1, b.1) <= p.1
        && p.1 <= Swift.max(a.1, b.1)
    }
    for i in 0..<k {
      let (a, b, c) = (ring[i], ring[(i + 1) % k], ring[(i + 2) % k])
      if orient(a, b, c) == 0 && (b.0 - a.0) * (c.0 - b.0) + (b.1 - a.1) * (c.1 - b.1) < 0 { return false }
    }
    guard k > 3 else { return true }
    for i in 0..<k {
      let (a, b) = (ring[i], ring[(i + 1) % k])
      let lowX = Swift.min(a.0, b.0)
      let highX = Swift.max(a.0, b.0)
      let lowY = Swift.min(a.1, b.1)
      let highY = Swift.max(a.1, b.1)
      // Edges i and j, not consecutive (j = i + 1 and, for i = 0, j = k - 1 share a vertex).
      for j in stride(from: i + 2, to: k, by: 1) where !(i == 0 && j == k - 1) {
        let (c, d) = (ring[j], ring[(j + 1) % k])
        if Swift.max(c.0, d.0) < lowX || Swift.min(c.0, d.0) > highX || Swift.max(c.1, d.1) < lowY
          || Swift.min(c.1, d.1) > highY
        {
          continue
        }
        let o1 = orient(a, b, c)
        let o2 = orient(a, b, d)
        let o3 = orient(c, d, a)
        let o4 = orient(c, d, b)
        if (o1 > 0) != (o2 > 0) && o1 != 0 && o2 != 0 && (o3 > 0) != (o4 > 0) && o3 != 0 && o4 != 0 {
          return false
        }
        if o1 == 0 && onSegment(a, b, c) { return false }
        if o2 == 0 && onSegment(a, b, d) { return false }
        if o3 == 0 && onSegment(c, d, a) { return false }
        if o4 == 0 && onSegment(c, d, b) { return false }
      }
    }
    return true
  }

  /// Where the segment p → q meets the clip line, given their signed distances to it.
  fileprivate static func cut(
    _ p: (Double, Double), _ q: (Double, Double), _ sp: Double, _ sq: Double
  )
    -> (Double, Double)
  {
    let t = sp / (sp - sq)
    return (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t)
  }

  private func verticesStayOut(of other: PlanarRings) -> Bool {
    var partHasOutside = [Bool](repeating: false, count: partCount)
    for ring in 0..<(ringStarts.count - 1) {
      let part = ringParts[ring]
      for i in ringStarts[ring]..<(ringStarts[ring + 1] - 1) {
        switch other.locate(xs[i], ys[i]) {
        case .inside: return false
        case .outside: partHasOutside[part] = true
        case .boundary: break
        }
      }
    }
    return !partHasOutside.contains(false)
  }

  private func edgesCrossProperly(_ other: PlanarRings) -> Bool {
    for ring in 0..<(ringStarts.count - 1) {
      for i in ringStarts[ring]..<(ringStarts[ring + 1] - 1) {
        let (ax1, ay1, ax2, ay2) = (xs[i], ys[i], xs[i + 1], ys[i + 1])
        let (loX, hiX) = (Swift.min(ax1, ax2), Swift.max(ax1, ax2))
        let (loY, hiY) = (Swift.min(ay1, ay2), Swift.max(ay1, ay2))
        if hiX < other.minX || loX > other.maxX || hiY < other.minY || loY > other.maxY { continue }
        for oring in 0..<(other.ringStarts.count - 1) {
          for j in other.ringStarts[oring]..<(other.ringStarts[oring + 1] - 1) {
            let (bx1, by1, bx2, by2) = (other.xs[j], other.ys[j], other.xs[j + 1], other.ys[j + 1])
            if Swift.max(bx1, bx2) < loX || Swift.min(bx1, bx2) > hiX || Swift.max(by1, by2) < loY
              || Swift.min(by1, by2) > hiY
            {
              continue
            }
            let o1 = orientation(ax1, ay1, ax2, ay2, bx1, by1)
            let o2 = orientation(ax1, ay1, ax2, ay2, bx2, by2)
            guard (o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0) else { continue }
            let o3 = orientation(bx1, by1, bx2, by2, ax1, ay1)
            let o4 = orientation(bx1, by1, bx2, by2, ax2, ay2)
            if (o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0) { return true }
          }
        }
      }
    }
    return false
  }

  /// Every edge, cut at `other`'s vertices lying on it, has each piece's midpoint outside
  /// `other`'s interior.
  private func edgePiecesStayOut(of other: PlanarRings) -> Bool {
    var cuts: [Double] = []
    for ring in 0..<(ringStarts.count - 1) {
      for i in ringStarts[ring]..<(ringStarts[ring + 1] - 1) {
        let (x1, y1, x2, y2) = (xs[i], ys[i], xs[i + 1], ys[i + 1])
        let (loX, hiX) = (Swift.min(x1, x2), Swift.max(x1, x2))
        let (loY, hiY) = (Swift.min(y1, y2), Swift.max(y1, y2))
        if hiX < other.minX || loX > other.maxX || hiY < other.minY || loY > other.maxY { continue }
        cuts.removeAll(keepingCapacity: true)
        let dx = x2 - x1
        let dy = y2 - y1
        let length2 = dx * dx + dy * dy
        guard length2 > 0 else { continue }
        for j in 0..<other.xs.count {
          let (x, y) = (other.xs[j], other.ys[j])
          if x < loX || x > hiX || y < loY || y > hiY { continue }
          guard orientation(x1, y1, x2, y2, x, y) == 0 else { continue }
          let t = ((x - x1) * dx + (y - y1) * dy) / length2
          if t > 0 && t < 1 { cuts.append(t) }
        }
        cuts.append(1)
        cuts.sort()
        var previous = 0.0
        for t in cuts where t > previous {
          let mid = (previous + t) / 2
          if other.locate(x1 + dx * mid, y1 + dy * mid) == .inside { return false }
          previous = t
        }
      }
    }
    return true
  }
}

extension Envelope {
  /// The box of a 2D Polygon or MultiPolygon read straight from its WKB, without GEOS; nil
  /// for other types or an empty geometry.
  /// Reads the coordinates in place, without building the rings.
  public init?(polygonWKB geometry: Geometry) {
    var reader = WKBReader(bytes: geometry.wkb)
    var box = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
    let type = reader.polygons { _ in
    } point: { x, y in
      box = (Swift.min(box.0, x), Swift.min(box.1, y), Swift.max(box.2, x), Swift.max(box.3, y))
    }
    guard type != nil, box.0 <= box.2 else { return nil }
    self.init(minX: box.0, minY: box.1, maxX: box.2, maxY: box.3)
  }
}

/// Reads ISO WKB numbers in the byte order of the geometry being read.
private struct WKBReader {
  let bytes: [UInt8]
  var offset = 0
  var littleEndian = true

  init(bytes: [UInt8]) { self.bytes = bytes }

  /// Walks a 2D Polygon or MultiPolygon: `ring` with the part's index where each ring starts,
  /// `point` for each vertex (rings closed, at least 4 points). The type (3 or 6); nil for any
  /// other type or for bytes that end too soon.
  mutating func polygons(ring: (Int) -> Void, point: (Double, Double) -> Void) -> UInt32? {
    func polygon(_ part: Int) -> Bool {
      guard let rings = uint32() else { return false }
      for _ in 0..<rings {
        guard let points = uint32(), points >= 4 else { return false }
        ring(part)
        for _ in 0..<points {
          guard let x = double(), let y = double() else { return false }
          point(x, y)
        }
      }
      return true
    }
    switch header() {
    case 3:
      return polygon(0) ? 3 : nil
    case 6:
      guard let count = uint32() else { return nil }
      for part in 0..<Int(count) {
        guard header() == 3, polygon(part) else { return nil }
      }
      return 6
    default:
      return nil
    }
  }

  /// Byte order and type; sets the byte order for what follows.
  mutating func header() -> UInt32? {
    guard offset < bytes.count else { return nil }
    littleEndian = bytes[offset] == 1
    offset += 1
    return uint32()
  }

  mutating func uint32() -> UInt32? { word(4).map { UInt32($0) } }

  mutating func double() -> Double? { word(8).map { Double(bitPattern: $0) } }

  /// The next `size` bytes as an unsigned number, in the geometry's byte order.
  private mutating func word(_ size: Int) -> UInt64? {
    guard offset + size <= bytes.count else { return nil }
    var value: UInt64 = 0
    for k in 0..<size {
      value |= UInt64(bytes[offset + (littleEndian ? k : size - 1 - k)]) << (8 * UInt64(k))
    }
    offset += size
    return value
  }
}
