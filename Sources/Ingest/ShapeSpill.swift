import Foundation
import Geo

/// The written shapes of a load with more parcels than R3001 keeps in memory, in a local file,
/// split by tile once the load is over: R3001 then runs while PostgreSQL builds the indexes, as
/// it does for smaller loads, instead of reading the stored version back tile by tile after
/// them (1.5 s at 1,000,000 parcels). Memory stays flat: buffers of a few megabytes, one tile
/// of shapes at a time.
///
/// A record is the fid (Int64), the box (four Float64: minX, minY, maxX, maxY), the WKB's
/// length (UInt32) and the WKB, little-endian.
final class ShapeSpill {
  /// The folder of the spill and of its tiles; removed by `remove()`.
  let directory: URL
  let file: URL
  private var buffer: [UInt8] = []
  private(set) var count = 0

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nodo-ingest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    file = directory.appendingPathComponent("shapes")
    guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
    }
    buffer.reserveCapacity(Self.flushSize + 4_096)
  }

  static let flushSize = 1 << 20

  func append(_ shape: Shape) throws {
    Self.encode(shape, into: &buffer)
    count += 1
    if buffer.count >= Self.flushSize { try flush() }
  }

  /// Writes what is buffered; the file is complete after it.
  func flush() throws {
    guard !buffer.isEmpty else { return }
    try Self.appendBytes(buffer, to: file)
    buffer.removeAll(keepingCapacity: true)
  }

  func remove() { try? FileManager.default.removeItem(at: directory) }

  static func encode(_ shape: Shape, into out: inout [UInt8]) {
    func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
    put(shape.fid)
    for value in [shape.envelope.minX, shape.envelope.minY, shape.envelope.maxX, shape.envelope.maxY] {
      put(value.bitPattern)
    }
    put(UInt32(shape.geometry.wkb.count))
    out += shape.geometry.wkb
  }

  /// Calls `body` with each record of `file` in order, and the record's bytes; reads a
  /// megabyte at a time.
  static func forEachRecord(in file: URL, _ body: (Shape, ArraySlice<UInt8>) throws -> Void) throws {
    let handle = try FileHandle(forReadingFrom: file)
    defer { try? handle.close() }
    var pending: [UInt8] = []
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      pending += chunk
      var offset = 0
      while let (shape, end) = try decode(pending, at: offset) {
        try body(shape, pending[offset..<end])
        offset = end
      }
      pending.removeFirst(offset)
    }
    guard pending.isEmpty else {
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file.path])
    }
  }

  /// Every shape of `file`.
  static func shapes(in file: URL) throws -> [Shape] {
    var out: [Shape] = []
    try forEachRecord(in: file) { shape, _ in out.append(shape) }
    return out
  }

  /// The record at `offset` and where it ends; nil when `bytes` ends before it does.
  static func decode(_ bytes: [UInt8], at offset: Int) throws -> (Shape, Int)? {
    let header = 8 + 32 + 4
    guard offset + header <= bytes.count else { return nil }
    return bytes.withUnsafeBytes { raw in
      func word<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: offset + at, as: T.self))
      }
      func double(_ at: Int) -> Double { Double(bitPattern: word(at, UInt64.self)) }
      let length = Int(word(40, UInt32.self))
      guard offset + header + length <= bytes.count else { return nil }
      let wkb = Array(bytes[(offset + header)..<(offset + header + length)])
      let shape = Shape(
        fid: word(0, Int64.self),
        envelope: Envelope(minX: double(8), minY: double(16), maxX: double(24), maxY: double(32)),
        geometry: Geometry(postgisWKB: wkb))
      return (shape, offset + header + length)
    }
  }

  static func appendBytes(_ bytes: [UInt8], to file: URL) throws {
    let handle = try FileHandle(forWritingTo: file)
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: bytes)
  }

  /// Splits `file` into one file per tile of `layout`, each holding the records whose boxes
  /// meet the tile (edges included), in order. Returns the tiles' files, in the layout's order.
  static func split(_ file: URL, layout: TileLayout, into directory: URL) throws -> [URL] {
    let files = layout.tiles.indices.map { directory.appendingPathComponent("tile-\($0)") }
    for url in files {
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
      }
    }
    var buffers = [[UInt8]](repeating: [], count: files.count)
    try forEachRecord(in: file) { shape, bytes in
      for tile in layout.tiles(meeting: shape.envelope) {
        buffers[tile] += bytes
        if buffers[tile].count >= 64 << 10 {
          try appendBytes(buffers[tile], to: files[tile])
          buffers[tile].removeAll(keepingCapacity: true)
        }
      }
    }
    for (tile, buffer) in buffers.enumerated() where !buffer.isEmpty {
      try appendBytes(buffer, to: files[tile])
    }
    return files
  }
}

/// Tiles of a layer's extent: columns between `xs`, each cut into rows between its `ys`
/// (column-major order). A point belongs to the tile whose west and south edges it is on or
/// past and whose east and north edges it is before, or on for the last column or row.
struct TileLayout: Sendable {
  let xs: [Double]
  let ys: [[Double]]
  /// Every tile, with whether it is in the last column and row.
  let tiles: [(tile: Envelope, last: (column: Bool, row: Bool))]
  private let firstTile: [Int]

  /// About `count / perTile` tiles of about equal counts, cut from a sample of the corners.
  init(extent: Envelope, count: Int, perTile: Int, corners: CornerSample) {
    let side = max(1, Int((Double(count) / Double(max(1, perTile))).squareRoot().rounded(.up)))
    let (columns, rows) = corners.tileCuts(parts: side)
    xs = [extent.minX] + columns + [extent.maxX]
    ys = (0..<(xs.count - 1)).map { [extent.minY] + ($0 < rows.count ? rows[$0] : []) + [extent.maxY] }
    var tiles: [(tile: Envelope, last: (column: Bool, row: Bool))] = []
    var firstTile: [Int] = []
    for column in 0..<(xs.count - 1) {
      firstTile.append(tiles.count)
      let ys = ys[column]
      for row in 0..<(ys.count - 1) {
        tiles.append(
          (
            Envelope(minX: xs[column], minY: ys[row], maxX: xs[column + 1], maxY: ys[row + 1]),
            (column == xs.count - 2, row == ys.count - 2)
          ))
      }
    }
    self.tiles = tiles
    self.firstTile = firstTile
  }

  /// The tiles whose closed boxes meet `box`.
  func tiles(meeting box: Envelope) -> [Int] {
    var out: [Int] = []
    for column in Self.spans(xs, box.minX, box.maxX) {
      for row in Self.spans(ys[column], box.minY, box.maxY) { out.append(firstTile[column] + row) }
    }
    return out
  }

  /// The intervals [edges[k], edges[k + 1]] that meet [low, high].
  private static func spans(_ edges: [Double], _ low: Double, _ high: Double) -> Range<Int> {
    // The first interval whose upper edge reaches `low`, through the last whose lower edge
    // does not pass `high`.
    var first = 0
    var end = edges.count - 1
    while first < end {
      let middle = (first + end) / 2
      if edges[middle + 1] < low { first = middle + 1 } else { end = middle }
    }
    var last = first
    while last < edges.count - 1 && edges[last] <= high { last += 1 }
    return first..<max(first, last)
  }
}
