import NIOCore

/// Many rows read as one: arrays of their values, and their bytea values concatenated
/// (`array_agg(octet_length(wkb)), string_agg(wkb, ''::bytea)`). Reading 100,000s of
/// geometries this way is faster than decoding a row per feature.
enum AggregatedRows {
  /// The concatenated values of `blob`, cut by their `lengths`.
  static func split(_ blob: ByteBuffer, lengths: [Int32]) -> [[UInt8]] {
    var offset = blob.readerIndex
    return lengths.map { length in
      defer { offset += Int(length) }
      return blob.getBytes(at: offset, length: Int(length)) ?? []
    }
  }
}
