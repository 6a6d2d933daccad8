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
  private var cells: [[Int32]]
  private var wide: [Int] = []

  init(_ envelopes: [Envelope]) {
    self.envelopes = envelopes
    guard var bounds = envelopes.first else {
      self.bounds = Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0)
      columns = 1
      rows = 1
      cellWidth = 1
      cellHeight = 1
      cells = [[]]
      return
    }
    for envelope in envelopes.dropFirst() { bounds = bounds.union(envelope) }
    self.bounds = bounds
    let side = max(1, min(512, Int((Double(envelopes.count).squareRoot() * 2).rounded(.up))))
    columns = side
    rows = side
    cellWidth = max(bounds.width / Double(side), 1e-9)
    cellHeight = max(bounds.height / Double(side), 1e-9)
    cells = Array(repeating: [], count: side * side)
    let wideLimit = max(4, side * side / 16)
    for (index, envelope) in envelopes.enumerated() {
      let (c0, c1, r0, r1) = range(envelope)
      if (c1 - c0 + 1) * (r1 - r0 + 1) > wideLimit {
        wide.append(index)
        continue
      }
      for r in r0...r1 {
        for c in c0...c1 { cells[r * columns + c].append(Int32(index)) }
      }
    }
  }

  /// The grid's column holding `x` and row holding `y`, clamped to the grid.
  private func column(_ x: Double) -> Int { min(max(Int((x - bounds.minX) / cellWidth), 0), columns - 1) }
  private func row(_ y: Double) -> Int { min(max(Int((y - bounds.minY) / cellHeight), 0), rows - 1) }

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
        for index in cells[r * columns + c] {
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
