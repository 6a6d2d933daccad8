import CGDAL

/// Reads a layer's features in batches, in source order, keeping its place between calls.
/// Not `Sendable`: it belongs to its ``VectorSource``'s task.
public final class LayerReader {
  public let source: VectorSource
  public let layerIndex: Int
  private let layer: UnsafeMutableRawPointer
  private let types: [OGRFieldType]
  private let detect: Bool
  private var usedFallback = false
  private var declared: EncodingInfo
  public private(set) var featuresRead = 0

  /// Starts at the first feature (`OGR_L_ResetReading`).
  public init(source: VectorSource, layer index: Int) throws {
    self.source = source
    self.layerIndex = index
    self.layer = try source.layerHandle(index)
    self.types = try source.fieldTypes(layer)
    self.declared = source.declaredEncoding(layer)
    self.detect = declared.source == "detected"
    OGR_L_ResetReading(layer)
  }

  /// Up to `max` next features; empty at the end of the layer.
  public func next(max: Int) throws -> [Feature] {
    var batch: [Feature] = []
    batch.reserveCapacity(max)
    while batch.count < max,
      let feature = try source.nextFeature(
        layer, types: types, detect: detect, usedFallback: &usedFallback)
    {
      batch.append(feature)
    }
    featuresRead += batch.count
    return batch
  }

  /// The encoding used so far: the declared one, or for an undeclared DBF "UTF-8" while every
  /// text value was valid UTF-8 and "CP1252" once one was not.
  public var encoding: EncodingInfo {
    var result = declared
    if detect && usedFallback { result.name = "CP1252" }
    return result
  }
}
