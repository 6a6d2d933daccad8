import Fixtures
import Testing

@testable import Ingest

/// The sample that cuts a large version into tiles for R3001 (read back from the database).
@Suite("Corner sample for R3001's tiles")
struct CornerSampleTests {
  @Test("a load of any size keeps at most the limit, every step-th corner offered, whatever the size")
  func bounded() {
    for offered in [0, 1, 999, 1_000, 1_001, 123_457] {
      var sample = CornerSample(limit: 1_000)
      for k in 0..<offered { sample.append(x: Double(k), y: Double(-k)) }
      #expect(sample.xs.count < 1_000)
      #expect(sample.xs.count >= min(offered, 500), "\(offered) offered")
      #expect(
        sample.xs == stride(from: 0, to: offered, by: sample.step).map(Double.init), "\(offered) offered")
      #expect(sample.ys == sample.xs.map { -$0 })
    }
  }

  @Test("cuts are percentile_disc's quantiles, and tiles cut from a sample hold about equal counts")
  func balanced() {
    #expect(CornerSample.quantiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], parts: 4) == [3, 5, 8])
    #expect(CornerSample.quantiles([7], parts: 3) == [7, 7])
    // Corners crowded in the south-west, as parcels crowd in a town: 200,000 offered, a
    // sample of fewer than 5,000 kept.
    var generator = SplitMix64(seed: 5)
    var points: [(Double, Double)] = []
    var sample = CornerSample(limit: 5_000)
    for _ in 0..<200_000 {
      let u = Double.random(in: 0..<1, using: &generator)
      let v = Double.random(in: 0..<1, using: &generator)
      let point = (4_800_000 + 30_000 * u * u, 2_100_000 + 20_000 * v * v * v)
      points.append(point)
      sample.append(x: point.0, y: point.1)
    }
    let parts = 6
    let (columns, rows) = sample.tileCuts(parts: parts)
    #expect(columns.count == parts - 1 && columns == columns.sorted())
    #expect(rows.count == parts && rows.allSatisfy { $0.count == parts - 1 && $0 == $0.sorted() })
    var counts = [[Int]](repeating: [Int](repeating: 0, count: parts), count: parts)
    for (x, y) in points {
      let column = columns.filter { $0 <= x }.count
      let row = rows[column].filter { $0 <= y }.count
      counts[column][row] += 1
    }
    let share = Double(points.count) / Double(parts * parts)
    for column in counts {
      for count in column { #expect(abs(Double(count) - share) < 0.25 * share, "\(counts)") }
    }
  }
}

/// The codes that may repeat, when a load has too many to keep.
@Suite("Repeat candidates for duplicate codes")
struct RepeatCandidatesTests {
  static func npn(_ k: Int) -> String {
    let digits = String(k)
    return "25999" + String(repeating: "0", count: 25 - digits.count) + digits
  }

  @Test("every repeated code is a candidate, however small the filter; few unique codes are")
  func candidates() {
    var repeated: Set<String> = []
    for bits in [64, 1 << 24] {
      var filter = RepeatCandidates(bits: bits)
      for k in 0..<100_000 {
        filter.offer(Self.npn(k))
        // One code in a thousand comes again, some three times.
        if k % 1_000 == 7 {
          filter.offer(Self.npn(k))
          repeated.insert(Self.npn(k))
          if k % 3_000 == 7 { filter.offer(Self.npn(k)) }
        }
      }
      #expect(repeated.isSubset(of: filter.candidates), "\(bits) bits")
      if bits == 1 << 24 {
        // 100 repeated codes, and a fraction of a percent of the unique ones.
        #expect(filter.candidates.count < repeated.count + 500, "\(filter.candidates.count) candidates")
      } else {
        #expect(filter.candidates.count > 90_000)
      }
    }
  }
}
