/// The codes that may repeat in a load too large to keep every code: a Bloom filter over the
/// codes offered (fixed memory: 2 MiB by default) and the codes it had, possibly, seen before.
/// Every repeated code is among the candidates; so are a few unique ones (about 0.5 % of a
/// million codes), which the stored version tells apart. Grouping a million stored NPNs to
/// find the repeats took PostgreSQL 1.2 s; looking up the candidates takes milliseconds.
struct RepeatCandidates {
  private let bits: Int
  /// Allocated by the first code offered: most loads never need the filter.
  private var words: [UInt64] = []
  private(set) var candidates: Set<String> = []

  /// A filter of `bits` bits (a power of two, at least 64).
  init(bits: Int = 1 << 24) {
    precondition(bits >= 64 && bits & (bits - 1) == 0, "a Bloom filter of \(bits) bits")
    self.bits = bits
  }

  mutating func offer(_ code: String) {
    if words.isEmpty { words = [UInt64](repeating: 0, count: bits / 64) }
    var hasher = Hasher()
    hasher.combine(code)
    let hash = UInt64(bitPattern: Int64(hasher.finalize()))
    // Three probes by double hashing; the second step is odd, so the probes differ.
    let (first, step) = (hash & 0xFFFF_FFFF, (hash >> 32) | 1)
    let mask = UInt64(words.count * 64 - 1)
    var seen = true
    for k in 0..<UInt64(3) {
      let bit = (first &+ k &* step) & mask
      let (word, flag) = (Int(bit >> 6), UInt64(1) << (bit & 63))
      if words[word] & flag == 0 {
        seen = false
        words[word] |= flag
      }
    }
    if seen { candidates.insert(code) }
  }
}
