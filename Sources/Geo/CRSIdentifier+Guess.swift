/// Guesses for data that arrive without a CRS, from the numbers in their extent.
extension CRSIdentifier {
  /// Colombia's bounding box in lon/lat, with San Andrés, Providencia and Malpelo.
  public static let colombiaLonLat = Envelope(minX: -82.2, minY: -4.3, maxX: -66.8, maxY: 13.6)
  /// The same in EPSG:9377 (approximate: from transforming the box above).
  public static let colombiaCTM12 = Envelope(
    minX: 3_900_000, minY: 1_000_000, maxX: 5_800_000, maxY: 3_100_000)

  /// EPSG codes whose coordinate ranges in Colombia contain `extent`, most likely first.
  /// Empty when the numbers fit none of them.
  public static func candidates(forExtent extent: Envelope) -> [Int] {
    if colombiaLonLat.contains(extent) { return [4686, 4326] }
    if colombiaCTM12.contains(extent) { return [9377] }
    // MAGNA-SIRGAS Gauss–Krüger zones: false easting 1,000,000 and northing 1,000,000;
    // each zone spans roughly ±300 km east-west.
    let gaussKruger = Envelope(minX: 500_000, minY: 300_000, maxX: 1_600_000, maxY: 2_100_000)
    if gaussKruger.contains(extent) { return [3116, 3115, 3117, 3118, 3114] }
    let webMercatorColombia = Envelope(
      minX: -9_160_000, minY: -480_000, maxX: -7_430_000, maxY: 1_530_000)
    if webMercatorColombia.contains(extent) { return [3857] }
    // Degrees, but not in Colombia: most likely WGS 84.
    if Envelope(minX: -180, minY: -90, maxX: 180, maxY: 90).contains(extent) { return [4326] }
    return []
  }
}
