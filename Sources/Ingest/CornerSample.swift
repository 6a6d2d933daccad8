/// A systematic sample of the written features' lower-left corners, at most `limit` of them:
/// every feature until the limit, then every second one of those kept and of those to come,
/// and so on (a load's size is not known ahead). Enough to cut the layer's extent into tiles of
/// about equal counts for R3001 on a large version, without asking PostgreSQL for percentiles
/// over every row (1.4 s at 1,000,000 parcels); memory stays within the limit.
struct CornerSample {
  let limit: Int
  private(set) var xs: [Double] = []
  private(set) var ys: [Double] = []
  /// One corner kept out of `step` offered.
  private(set) var step = 1
  private var offered = 0

  init(limit: Int) {
    precondition(limit >= 2, "a sample of fewer than 2 corners")
    self.limit = limit
  }

  mutating func append(x: Double, y: Double) {
    defer { offered += 1 }
    guard offered % step == 0 else { return }
    xs.append(x)
    ys.append(y)
    if xs.count >= limit {
      // Those kept were offered at multiples of `step`: every other one is a multiple of twice it.
      xs = stride(from: 0, to: xs.count, by: 2).map { xs[$0] }
      ys = stride(from: 0, to: ys.count, by: 2).map { ys[$0] }
      step *= 2
    }
  }

  /// Cuts for `parts` × `parts` tiles of about equal counts: `parts - 1` x values (quantiles of
  /// the corners' x), and for each of the `parts` columns they make (a corner on a cut belongs
  /// to the column east of it), `parts - 1` y values (quantiles of its corners' y). Ascending.
  func tileCuts(parts: Int) -> (columns: [Double], rows: [[Double]]) {
    guard parts > 1, !xs.isEmpty else { return ([], []) }
    let columns = Self.quantiles(xs.sorted(), parts: parts)
    var inColumn = [[Double]](repeating: [], count: parts)
    for (x, y) in zip(xs, ys) {
      // The number of cuts at or west of x.
      var low = 0
      var high = columns.count
      while low < high {
        let middle = (low + high) / 2
        if columns[middle] <= x { low = middle + 1 } else { high = middle }
      }
      inColumn[low].append(y)
    }
    return (columns, inColumn.map { $0.isEmpty ? [] : Self.quantiles($0.sorted(), parts: parts) })
  }

  /// The values at fractions 1/parts … (parts-1)/parts of `sorted` (the first whose share of
  /// values at or below it reaches the fraction, as `percentile_disc`).
  static func quantiles(_ sorted: [Double], parts: Int) -> [Double] {
    (1..<parts).map { k in
      let position = (Double(k) / Double(parts) * Double(sorted.count)).rounded(.up)
      return sorted[min(sorted.count - 1, max(0, Int(position) - 1))]
    }
  }
}
