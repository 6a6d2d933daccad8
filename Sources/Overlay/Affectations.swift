import Geo

/// Which pieces of a parcel's affectation are noise: below both a minimum area and a minimum
/// share of the parcel, practitioners drop them.
public struct AffectationThresholds: Sendable, Codable, Equatable {
  /// m².
  public var minArea: Double
  /// Percent of the parcel.
  public var minPercent: Double

  public init(minArea: Double = 1.0, minPercent: Double = 0.01) {
    self.minArea = minArea
    self.minPercent = minPercent
  }

  /// A piece is dropped when it is smaller than `minArea` or than `minPercent` of the parcel.
  public func drops(area: Double, parcelArea: Double) -> Bool {
    area < minArea || (parcelArea > 0 && area / parcelArea * 100 < minPercent)
  }
}

/// One determinant over one parcel.
public struct AffectationPiece: Sendable, Equatable {
  public var shape: Int
  public var area: Double
  public var covered: Bool
  public var geometry: Geometry?
}

/// Everything that affects one parcel, and its totals.
public struct ParcelAffectation: Sendable, Equatable {
  public var parcel: Int
  public var parcelArea: Double
  /// Kept pieces, by shape index.
  public var pieces: [AffectationPiece]
  /// Pieces below the thresholds, dropped and counted.
  public var dropped: Int
  /// Area covered by at least one ranked determinant (the union of their pieces).
  public var restrictedArea: Double
  public var freeArea: Double { max(parcelArea - restrictedArea, 0) }
  /// Area whose prevailing (lowest) level is each level.
  public var areaByLevel: [Int: Double]
  /// The prevailing level over the largest part of the restricted area (ties: the lower).
  public var prevailingLevel: Int? {
    areaByLevel.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
  }
}

/// The "cruce": each parcel against every determinant and condicionante shape.
public enum Affectations {
  /// `levels[i]` is shape i's art. 32 level, nil for a condicionante (reported, not ranked).
  /// Only parcels something meets are returned (pieces, or slivers dropped). With the parcels'
  /// `envelopes`, shape rasters and plain-Swift clipping settle what they can and a parcel is
  /// parsed into GEOS only when a pair needs it; without, every pair goes to GEOS (the reference
  /// the tests compare with). `shapeEnvelopes`, when the caller has them, are the shapes' boxes.
  public static func compute(
    parcels: [Geometry], envelopes: [Envelope]? = nil, shapes: [Geometry], shapeEnvelopes: [Envelope]? = nil,
    levels: [Int?], thresholds: AffectationThresholds, keepGeometry: Bool
  ) throws -> [ParcelAffectation] {
    precondition(levels.count == shapes.count)
    precondition(envelopes == nil || envelopes!.count == parcels.count)
    let context = try GeometryContext()
    let rights = try RightSet(shapes, envelopes: shapeEnvelopes, context: context)
    if let envelopes, var scope = envelopes.first {
      // Rasters with cells about a parcel's size: most parcels a shape's box meets are settled
      // (far outside, or wholly inside) without parsing them.
      var sides = 0.0
      for envelope in envelopes {
        scope = scope.union(envelope)
        sides += envelope.width + envelope.height
      }
      rights.useRasters(scope: scope, cell: sides / Double(2 * envelopes.count))
    }
    var out: [ParcelAffectation] = []
    for (p, geometry) in parcels.enumerated() {
      var candidates: [Int]?
      if let envelopes {
        candidates = rights.grid.query(envelopes[p]).filter {
          rights.rasterAnswer($0, envelopes[p]) != .disjoint
        }
        if candidates!.isEmpty { continue }
      }
      // Parsed into GEOS only if a pair needs it: with rasters and clipping, most do not.
      let parcel =
        envelopes == nil
        ? LeftGeometry(native: try context.read(geometry)) : LeftGeometry(geometry, context: context)
      let parcelArea = try parcel.area()
      var pieces: [AffectationPiece] = []
      var shapesOf: [Int: OverlayPiece] = [:]
      var dropped = 0
      // Each piece's geometry is kept from the intersection that measured it: needed for the
      // totals when several ranked pieces meet, and for the output when asked for. Convex
      // parcels (most urban lots) are clipped in plain Swift where that is exact.
      try rights.pieces(
        of: parcel, envelope: envelopes?[p], candidates: candidates, include: { _ in true }
      ) { r, area, covered, piece in
        if thresholds.drops(area: area, parcelArea: parcelArea) {
          dropped += 1
          return
        }
        pieces.append(AffectationPiece(shape: r, area: area, covered: covered, geometry: nil))
        shapesOf[r] = piece
      }
      let ranked = pieces.filter { levels[$0.shape] != nil }
      if keepGeometry {
        for k in pieces.indices {
          pieces[k].geometry = try shapesOf[pieces[k].shape]!.geometry(whole: parcel)
        }
      }
      var areaByLevel: [Int: Double] = [:]
      var restricted = 0.0
      let distinct = Set(ranked.compactMap { levels[$0.shape] }).sorted()
      if distinct.count == 1 {
        restricted = try union(ranked, shapesOf, parcel: parcel, parcelArea: parcelArea)
        areaByLevel[distinct[0]] = restricted
      } else if !distinct.isEmpty {
        var previous = 0.0
        for level in distinct {
          let upTo = ranked.filter { levels[$0.shape]! <= level }
          let area = try union(upTo, shapesOf, parcel: parcel, parcelArea: parcelArea)
          areaByLevel[level] = area - previous
          previous = area
        }
        restricted = previous
      }
      if pieces.isEmpty && dropped == 0 { continue }
      out.append(
        ParcelAffectation(
          parcel: p, parcelArea: parcelArea, pieces: pieces, dropped: dropped, restrictedArea: restricted,
          areaByLevel: areaByLevel))
    }
    return out
  }

  /// Area of the union of `pieces` inside the parcel.
  private static func union(
    _ pieces: [AffectationPiece], _ shapes: [Int: OverlayPiece], parcel: LeftGeometry, parcelArea: Double
  ) throws -> Double {
    if pieces.contains(where: \.covered) { return parcelArea }
    if pieces.count == 1 { return pieces[0].area }
    let parts = try pieces.compactMap { try shapes[$0.shape]?.native(whole: parcel) }
    return try parcel.context.collection(.geometryCollection, of: parts).unaryUnion().area()
  }
}
