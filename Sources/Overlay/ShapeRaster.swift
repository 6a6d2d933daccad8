import Geo

/// A shape's cells over a region, in plain Swift: the cells its boundary may touch, and every
/// other cell known to lie wholly inside or wholly outside it. Most parcels whose box meets a
/// determinant's box are far from it (a river's buffer crosses a municipality; its box covers
/// thousands of parcels it never touches): the raster settles those, and the parcels wholly
/// inside, without GEOS. Only parcels on boundary cells get the exact test.
///
/// The answers are exact, not approximate: a cell is `boundary` when an edge comes within
/// `margin` of it (a margin far above the rounding of the arithmetic), so an `outside` or
/// `inside` cell, closed and grown by the margin, has no edge in it and lies entirely on one
/// side of the shape's boundary.
struct ShapeRaster {
  enum State: UInt8 {
    case outside = 0
    case inside = 1
    case boundary = 2
  }

  /// What the raster says about a box.
  enum Answer {
    /// Nothing of the shape meets the box.
    case disjoint
    /// The shape's interior holds the whole box.
    case covers
    /// The box meets boundary cells: compute.
    case unknown
  }

  /// Kept well above the rounding of coordinates in metres (about 1e-10 at 1e6 m) and well
  /// below any cell (metres).
  static let margin = 1e-4

  private let originX: Double
  private let originY: Double
  private let cell: Double
  private let columns: Int
  private let rows: Int
  /// The boxes the raster answers for.
  private let scope: Envelope
  /// The shape's box within the scope: beyond it, nothing of the shape.
  private let region: Envelope
  private var states: [State]

  /// Cells of side at least `cell` (and at most about `maxSide` per axis) over the shape's box
  /// within `scope`; the raster answers for boxes inside `scope` only. Nil when the shape's box
  /// misses the scope or the shape has no vertex.
  init?(_ rings: PlanarRings, scope: Envelope, cell wantedCell: Double, maxSide: Int = 128) {
    let shapeBox = Envelope(minX: rings.minX, minY: rings.minY, maxX: rings.maxX, maxY: rings.maxY)
    guard rings.vertexCount > 0, let region = shapeBox.intersection(scope) else { return nil }
    let longest = max(region.width, region.height)
    let side = max(wantedCell, longest / Double(maxSide), Self.margin * 16)
    self.scope = scope
    self.region = region
    originX = region.minX
    originY = region.minY
    cell = side
    columns = max(1, Int((region.width / side).rounded(.up)))
    rows = max(1, Int((region.height / side).rounded(.up)))
    states = Array(repeating: .outside, count: columns * rows)
    markBoundary(rings)
    classify(rings)
  }

  private func column(_ x: Double) -> Int {
    min(max(Int(((x - originX) / cell).rounded(.down)), 0), columns - 1)
  }
  private func row(_ y: Double) -> Int { min(max(Int(((y - originY) / cell).rounded(.down)), 0), rows - 1) }

  /// Marks every cell an edge passes within `margin` of, column by column along the edge.
  private mutating func markBoundary(_ rings: PlanarRings) {
    let m = Self.margin
    let xs = rings.xs
    let ys = rings.ys
    for ring in 0..<(rings.ringStarts.count - 1) {
      var i = rings.ringStarts[ring]
      let end = rings.ringStarts[ring + 1] - 1
      while i < end {
        let (x1, y1, x2, y2) = (xs[i], ys[i], xs[i + 1], ys[i + 1])
        i += 1
        let loX = min(x1, x2)
        let hiX = max(x1, x2)
        let loY = min(y1, y2)
        let hiY = max(y1, y2)
        // Edges wholly beyond the cells (grown by the margin) touch none of them.
        if hiX < originX - m || loX > originX + Double(columns) * cell + m || hiY < originY - m
          || loY > originY + Double(rows) * cell + m
        {
          continue
        }
        let c0 = column(loX - m)
        let c1 = column(hiX + m)
        for c in c0...c1 {
          // The edge's part within this column (grown by the margin), and its y range there.
          let left = max(loX, originX + Double(c) * cell - m)
          let right = min(hiX, originX + Double(c + 1) * cell + m)
          var low = loY
          var high = hiY
          if x2 != x1 && left <= right {
            let slope = (y2 - y1) / (x2 - x1)
            let ya = y1 + (left - x1) * slope
            let yb = y1 + (right - x1) * slope
            low = max(loY, min(ya, yb))
            high = min(hiY, max(ya, yb))
          }
          let r0 = row(low - m)
          let r1 = row(high + m)
          for r in r0...r1 { states[r * columns + c] = .boundary }
        }
      }
    }
  }

  /// Gives every cell without boundary its side: along each row, a run of such cells shares
  /// one side (nothing of the boundary passes between neighbours), found at the run's first
  /// centre by the crossing count over the edges spanning the row.
  private mutating func classify(_ rings: PlanarRings) {
    let xs = rings.xs
    let ys = rings.ys
    var spanning: [Int] = []
    for r in 0..<rows {
      let cy = originY + (Double(r) + 0.5) * cell
      spanning.removeAll(keepingCapacity: true)
      for ring in 0..<(rings.ringStarts.count - 1) {
        for i in rings.ringStarts[ring]..<(rings.ringStarts[ring + 1] - 1)
        where (ys[i] > cy) != (ys[i + 1] > cy) {
          spanning.append(i)
        }
      }
      var c = 0
      while c < columns {
        if states[r * columns + c] == .boundary {
          c += 1
          continue
        }
        let cx = originX + (Double(c) + 0.5) * cell
        var inside = false
        for i in spanning {
          let side = (xs[i + 1] - xs[i]) * (cy - ys[i]) - (ys[i + 1] - ys[i]) * (cx - xs[i])
          if (side > 0) == (ys[i + 1] > ys[i]) { inside.toggle() }
        }
        let state: State = inside ? .inside : .outside
        while c < columns && states[r * columns + c] != .boundary {
          states[r * columns + c] = state
          c += 1
        }
      }
    }
  }

  /// What is known about `box` against the shape, from the cells the box meets.
  func answer(_ box: Envelope) -> Answer {
    guard scope.contains(box) else { return .unknown }
    // Within the scope, what lies beyond the region lies beyond the shape's box.
    guard let clipped = box.intersection(region) else { return .disjoint }
    let beyond =
      box.minX < region.minX || box.maxX > region.maxX || box.minY < region.minY || box.maxY > region.maxY
    var sawInside = false
    var sawOutside = false
    for r in row(clipped.minY)...row(clipped.maxY) {
      for c in column(clipped.minX)...column(clipped.maxX) {
        switch states[r * columns + c] {
        case .boundary: return .unknown
        case .inside: sawInside = true
        case .outside: sawOutside = true
        }
      }
    }
    if !sawInside { return .disjoint }
    if !sawOutside && !beyond { return .covers }
    return .unknown
  }
}
