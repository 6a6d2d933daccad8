import Geo

/// A uniform grid over envelopes, in plain Swift: which of many boxes meet a query box,
/// without touching GEOS (most parcels of a municipality meet no determinant at all, and
/// need not be parsed). Boxes spanning many cells are kept aside and scanned linearly.
struct EnvelopeGrid {
  let envelopes: [Envelope]
  private let bounds: Envelope
  private let columns: Int
  private let rows: Int
  private let cellWidth: Double
  private let cellHeight: Double
  /// The boxes of cell k are `members[cellStarts[k]..<cellStarts[k + 1]]`, ascending: two
  /// flat arrays instead of an array per cell (262,144 of them for 100,000 parcels, whose
  /// allocation was most of building the grid).
  private let cellStarts: [Int32]
  private let members: [Int32]
  private var wide: [Int] = []

  init(_ envelopes: [Envelope]) {
    self.envelopes = envelopes
    guard var bounds = envelopes.first else {
      self.bounds = Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0)
      columns = 1
      rows = 1
      cellWidth = 1
      cellHeight = 1
      cellStarts = [0, 0]
      members = []
      return
    }
    for envelope in envelopes.dropFirst() { bounds = bounds.union(envelope) }
    self.bounds = bounds
    let side = max(1, min(512, Int((Double(envelopes.count).squareRoot() * 2).rounded(.up))))
    columns = side
    rows = side
    cellWidth = max(bounds.width / Double(side), 1e-9)
    cellHeight = max(bounds.height / Double(side), 1e-9)
    let wideLimit = max(4, side * side / 16)
    // Count each cell's boxes, then place each at its cell's next free slot, in box order.
    var starts = [Int32](repeating: 0, count: side * side + 1)
    var ranges: [(Int, Int, Int, Int)] = []
    ranges.reserveCapacity(envelopes.count)
    for (index, envelope) in envelopes.enumerated() {
      let (c0, c1, r0, r1) = (
        Self.cell(envelope.minX, bounds.minX, cellWidth, side),
        Self.cell(envelope.maxX, bounds.minX, cellWidth, side),
        Self.cell(envelope.minY, bounds.minY, cellHeight, side),
        Self.cell(envelope.maxY, bounds.minY, cellHeight, side)
      )
      if (c1 - c0 + 1) * (r1 - r0 + 1) > wideLimit {
        wide.append(index)
        ranges.append((1, 0, 1, 0))
        continue
      }
      ranges.append((c0, c1, r0, r1))
      for r in r0...r1 {
        for c in c0...c1 { starts[r * side + c + 1] += 1 }
      }
    }
    for k in 1..<starts.count { starts[k] += starts[k - 1] }
    var next = starts
    var members = [Int32](repeating: 0, count: Int(starts[side * side]))
    for (index, (c0, c1, r0, r1)) in ranges.enumerated() where c0 <= c1 {
      for r in r0...r1 {
        for c in c0...c1 {
          members[Int(next[r * side + c])] = Int32(index)
          next[r * side + c] += 1
        }
      }
    }
    cellStarts = starts
    self.members = members
  }

  private static func cell(_ value: Double, _ origin: Double, _ size: Double, _ count: Int) -> Int {
    min(max(Int((value - origin) / size), 0), count - 1)
  }

  /// The grid's column holding `x` and row holding `y`, clamped to the grid.
  private func column(_ x: Double) -> Int { Self.cell(x, bounds.minX, cellWidth, columns) }
  private func row(_ y: Double) -> Int { Self.cell(y, bounds.minY, cellHeight, rows) }

  private func range(_ envelope: Envelope) -> (Int, Int, Int, Int) {
    (column(envelope.minX), column(envelope.maxX), row(envelope.minY), row(envelope.maxY))
  }

  /// The indices of the boxes meeting `envelope`, ascending, in `out` (emptied first): a
  /// caller querying once per member reuses one buffer. A box met in several cells is counted
  /// in the one holding the lower-left corner of the two boxes' intersection, so nothing is
  /// counted twice and only the few found are sorted.
  func query(_ envelope: Envelope, into out: inout [Int]) {
    out.removeAll(keepingCapacity: true)
    guard !envelopes.isEmpty, envelope.intersects(bounds) else { return }
    for index in wide where envelopes[index].intersects(envelope) { out.append(index) }
    let (c0, c1, r0, r1) = range(envelope)
    for r in r0...r1 {
      for c in c0...c1 {
        let cell = r * columns + c
        for k in Int(cellStarts[cell])..<Int(cellStarts[cell + 1]) {
          let index = members[k]
          let other = envelopes[Int(index)]
          guard other.intersects(envelope) else { continue }
          if (c0 != c1 || r0 != r1)
            && (column(max(other.minX, envelope.minX)) != c || row(max(other.minY, envelope.minY)) != r)
          {
            continue
          }
          out.append(Int(index))
        }
      }
    }
    out.sort()
  }

  /// The indices of the boxes meeting `envelope`, ascending.
  func query(_ envelope: Envelope) -> [Int] {
    var out: [Int] = []
    query(envelope, into: &out)
    return out
  }
}
