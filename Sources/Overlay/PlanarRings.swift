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
  /// One ring, convex (every turn the same way or straight): a valid clip for Sutherland–Hodgman.
  private(set) var isConvex = false

  var vertexCount: Int { xs.count }

  /// Nil for anything but a 2D Polygon or MultiPolygon (ISO WKB, either byte order).
  init?(_ geometry: Geometry) {
    var reader = WKBReader(bytes: geometry.wkb)
    guard let type = reader.header() else { return nil }
    switch type {
    case 3:
      guard readPolygon(&reader) else { return nil }
    case 6:
      guard let count = reader.uint32() else { return nil }
      for _ in 0..<count {
        guard reader.header() == 3, readPolygon(&reader) else { return nil }
      }
    default:
      return nil
    }
    ringStarts.append(xs.count)
    isConvex = convex()
  }

  private mutating func readPolygon(_ reader: inout WKBReader) -> Bool {
    guard let rings = reader.uint32() else { return false }
    for _ in 0..<rings {
      guard let points = reader.uint32(), points >= 4 else { return false }
      ringStarts.append(xs.count)
      ringParts.append(partCount)
      for _ in 0..<points {
        guard let x = reader.double(), let y = reader.double() else { return false }
        xs.append(x)
        ys.append(y)
        minX = Swift.min(minX, x)
        maxX = Swift.max(maxX, x)
        minY = Swift.min(minY, y)
        maxY = Swift.max(maxY, y)
      }
    }
    partCount += 1
    return true
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

  private func convex() -> Bool {
    guard ringStarts.count == 2, xs.count >= 4 else { return false }
    let n = xs.count - 1
    var sign = 0.0
    for i in 0..<n {
      let (a, b, c) = (i, (i + 1) % n, (i + 2) % n)
      let turn = orientation(xs[a], ys[a], xs[b], ys[b], xs[c], ys[c])
      if turn == 0 { continue }
      if sign == 0 {
        sign = turn
      } else if (turn > 0) != (sign > 0) {
        return false
      }
    }
    return sign != 0
  }

  /// Area of the intersection with `clip`, which must be convex, by Sutherland–Hodgman on each
  /// ring (shells add, holes subtract); clipping a ring, convex or not, by a convex polygon
  /// keeps its area inside the clip exactly, up to rounding. Coordinates are taken relative
  /// to the clip's first vertex, so rounding stays near 1e-9 m² instead of 1e-3 at CTM12's
  /// millions of metres.
  func clippedArea(by clip: PlanarRings) -> Double {
    let ox = clip.xs[0]
    let oy = clip.ys[0]
    let n = clip.xs.count - 1
    var cx = [Double](repeating: 0, count: n)
    var cy = cx
    var signed = 0.0
    for k in 0..<n {
      cx[k] = clip.xs[k] - ox
      cy[k] = clip.ys[k] - oy
      let next = (k + 1) % n
      signed += (clip.xs[k] - ox) * (clip.ys[next] - oy) - (clip.xs[next] - ox) * (clip.ys[k] - oy)
    }
    // Inside is to the left of each clip edge walked counter-clockwise.
    let direction: Double = signed >= 0 ? 1 : -1
    var total = 0.0
    var input: [(Double, Double)] = []
    var output: [(Double, Double)] = []
    for ring in 0..<(ringStarts.count - 1) {
      let isShell = ring == 0 || ringParts[ring] != ringParts[ring - 1]
      output.removeAll(keepingCapacity: true)
      for i in ringStarts[ring]..<(ringStarts[ring + 1] - 1) { output.append((xs[i] - ox, ys[i] - oy)) }
      for k in 0..<n where !output.isEmpty {
        let (x1, y1, x2, y2) = (cx[k], cy[k], cx[(k + 1) % n], cy[(k + 1) % n])
        swap(&input, &output)
        output.removeAll(keepingCapacity: true)
        func side(_ p: (Double, Double)) -> Double { direction * orientation(x1, y1, x2, y2, p.0, p.1) }
        var previous = input[input.count - 1]
        var previousSide = side(previous)
        for current in input {
          let currentSide = side(current)
          if currentSide >= 0 {
            if previousSide < 0 { output.append(Self.cut(previous, current, previousSide, currentSide)) }
            output.append(current)
          } else if previousSide >= 0 {
            output.append(Self.cut(previous, current, previousSide, currentSide))
          }
          previous = current
          previousSide = currentSide
        }
      }
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

  /// Where the segment p → q meets the clip line, given their signed distances to it.
  private static func cut(
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
  public init?(polygonWKB geometry: Geometry) {
    guard let rings = PlanarRings(geometry), rings.vertexCount > 0 else { return nil }
    self.init(minX: rings.minX, minY: rings.minY, maxX: rings.maxX, maxY: rings.maxY)
  }
}

/// Reads ISO WKB numbers in the byte order of the geometry being read.
private struct WKBReader {
  let bytes: [UInt8]
  var offset = 0
  var littleEndian = true

  init(bytes: [UInt8]) { self.bytes = bytes }

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
