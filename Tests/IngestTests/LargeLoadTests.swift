import Fixtures
import Geo
import Store
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

/// The local file R3001 reads a large load's shapes from, tile by tile.
@Suite("Shape spill and its tiles")
struct ShapeSpillTests {
  @Test("shapes come back from the file as written, each in every tile its box meets, in order")
  func roundTrip() throws {
    var generator = SplitMix64(seed: 3)
    var corners = CornerSample(limit: 300)
    var shapes: [Shape] = []
    let spill = try ShapeSpill()
    defer { spill.remove() }
    for fid in 0..<5_000 {
      let (x, y) = (generator.uniform(0, 1_000), generator.uniform(0, 1_000))
      let (w, h) = (generator.uniform(0.5, 40), generator.uniform(0.5, 40))
      let ring = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
      let geometry = try Geometry(
        wkt: "POLYGON((\(ring.map { "\($0.0) \($0.1)" }.joined(separator: ", "))))")
      let shape = Shape(
        fid: Int64(fid) * 7, envelope: Envelope(minX: x, minY: y, maxX: x + w, maxY: y + h),
        geometry: geometry)
      shapes.append(shape)
      corners.append(x: x, y: y)
      try spill.append(shape)
    }
    try spill.flush()
    let read = try ShapeSpill.shapes(in: spill.file)
    #expect(read.map(\.fid) == shapes.map(\.fid))
    #expect(read.map(\.geometry) == shapes.map(\.geometry))
    #expect(zip(read, shapes).allSatisfy { $0.envelope == $1.envelope })

    let extent = shapes.dropFirst().reduce(shapes[0].envelope) { $0.union($1.envelope) }
    let layout = TileLayout(extent: extent, count: shapes.count, perTile: 200, corners: corners)
    #expect(layout.tiles.count >= 16)
    let files = try ShapeSpill.split(spill.file, layout: layout, into: spill.directory)
    for (index, file) in files.enumerated() {
      let tile = layout.tiles[index].tile
      let expected = shapes.filter { $0.envelope.intersects(tile) }.map(\.fid)
      #expect(try ShapeSpill.shapes(in: file).map(\.fid) == expected, "tile \(index)")
    }
    // Every point of the extent is in exactly one tile.
    for _ in 0..<2_000 {
      let (x, y) = (generator.uniform(extent.minX, extent.maxX), generator.uniform(extent.minY, extent.maxY))
      let owners = layout.tiles.filter { tile, last in
        x >= tile.minX && (x < tile.maxX || (last.column && x <= tile.maxX)) && y >= tile.minY
          && (y < tile.maxY || (last.row && y <= tile.maxY))
      }
      #expect(owners.count == 1, "(\(x), \(y))")
    }
  }
}

@Suite("PROJ transformers kept for a layer's batches")
struct TransformerPoolTests {
  @Test("a transformer given back is lent again, two borrowers never share one, and EPSG:9377 needs none")
  func kept() throws {
    let pool = Ingestor.TransformerPool(
      definition: Ingestor.TransformerPool.definition(of: try CRSIdentifier.identify(epsg: 4326)))
    pool.prepare()
    let first = try #require(try pool.borrow())
    let second = try #require(try pool.borrow())
    #expect(second !== first)
    pool.giveBack(first)
    #expect(try pool.borrow() === first)
    pool.giveBack(second)
    // Lon/lat in Bogotá lands in CTM12's range, from both copies.
    for transformer in [first, second] {
      var x = [-74.08]
      var y = [4.6]
      try transformer.transform(x: &x, y: &y)
      #expect(x[0] > 4_800_000 && x[0] < 5_000_000 && y[0] > 2_000_000 && y[0] < 2_200_000)
    }
    #expect(
      try Ingestor.TransformerPool(
        definition: Ingestor.TransformerPool.definition(of: try CRSIdentifier.identify(epsg: 9377))
      ).borrow() == nil)
  }

  @Test("one pool per CRS however many layers share it; the one expected from the start is used for its own")
  func onePerCRS() throws {
    let (magna, bogota, ctm12) = (
      try CRSIdentifier.identify(epsg: 4686), try CRSIdentifier.identify(epsg: 3116),
      try CRSIdentifier.identify(epsg: 9377)
    )
    let expected = Ingestor.TransformerPool(definition: "EPSG:3116")
    let (pools, made) = Ingestor.transformerPools(
      for: [magna, bogota, magna, ctm12, bogota], expected: expected)
    #expect(pools[0] === pools[2] && pools[1] === expected && pools[4] === expected)
    #expect(pools[3].definition == nil)
    #expect(made.count == 1 && made[0] === pools[0] && made[0].definition == "EPSG:4686")
  }

  @Test("the transformer looked up from the start: --crs when given, CRS84's for GeoJSON, none otherwise")
  func expectedFromTheStart() {
    func expected(_ path: String, crs: String? = nil) -> String? {
      Ingestor.OpenedSources(IngestOptions(paths: [path], layer: "x", kind: .determinant, crs: crs))
        .expected?.definition
    }
    #expect(expected("/nonexistent/a.geojson") == "EPSG:4326")
    #expect(expected("/nonexistent/a.TopoJSON") == "EPSG:4326")
    #expect(expected("/nonexistent/a.gpkg", crs: "epsg:3116") == "EPSG:3116")
    #expect(expected("/nonexistent/a.geojson", crs: "EPSG:9377") == nil)
    #expect(expected("/nonexistent/a.gpkg") == nil)
    // A definition other than an EPSG code: the plan would name the CRS it recognises by its code.
    #expect(expected("/nonexistent/a.gpkg", crs: "+proj=longlat +ellps=GRS80 +no_defs") == nil)
  }
}

/// A feature's attributes as the ingest writes them into COPY (stored as `json`, which keeps
/// repeated keys as they are).
@Suite("Attribute objects written for COPY")
struct AttributeJSONTests {
  func written(
    _ names: [String], _ values: [FieldValue], extra: [(String, String)] = [], npn: String? = nil,
    divipola: String? = nil
  ) -> String {
    var out: [UInt8] = []
    AttributeJSON.append(
      AttributeJSON.Layout(names: names, extra: extra), values: values, npn: npn, divipola: divipola, to: &out
    )
    return String(decoding: out, as: UTF8.self)
  }

  @Test("each key once: the last of repeated names, extras over columns, the codes in their columns' place")
  func keysOnce() {
    #expect(
      written(["a", "npn", "b"], [.integer(1), .string("x"), .null], npn: "25", divipola: "25001")
        == #"{"a":1,"npn":"25","b":null,"divipola":"25001"}"#)
    // Without an extracted code the column keeps its own value.
    #expect(written(["npn", "divipola"], [.null, .string("7")]) == #"{"npn":null,"divipola":"7"}"#)
    // `--map` may rename a column to a name another column has: the later one stays.
    #expect(
      written(
        ["id", "b", "id"], [.integer(1), .real(0.5), .integer(3)], extra: [("_source", "s.shp"), ("b", "x")])
        == #"{"id":3,"_source":"s.shp","b":"x"}"#)
    #expect(written([], [], npn: "1", divipola: "2") == #"{"npn":"1","divipola":"2"}"#)
  }

  @Test("keys and values escaped for JSON and then for COPY's text format")
  func escaped() {
    #expect(
      written(["cl\"ave\\"], [.string("a\tb\u{1}")]) == #"{"cl\\"ave\\\\":"a\\tb\\u0001"}"#)
    #expect(written(["x"], [.real(.infinity)]) == #"{"x":null}"#)
  }
}
