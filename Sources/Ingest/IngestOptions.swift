import Store

/// `--map TARGET=SOURCE`: the source column `source` is stored under the name `target`.
public struct FieldMapping: Codable, Sendable, Equatable {
  public var target: String
  public var source: String

  public init(target: String, source: String) {
    self.target = target
    self.source = source
  }
}

/// What a technician asks for when loading files into a layer. Codable: an HTTP upload stores
/// it with its job.
public struct IngestOptions: Codable, Sendable {
  public var paths: [String]
  public var layer: String
  public var kind: LayerKind
  /// Determinant or condicionante type code from the catalogue (`--type`).
  public var type: String?
  public var divipola: String?
  /// Overrides the source CRS (`--crs EPSG:n`).
  public var crs: String?
  /// `crs` as GDAL and PROJ read it: an EPSG code in capitals (`epsg:3116` → `EPSG:3116`),
  /// anything else (WKT, a PROJ string) as given.
  var crsDefinition: String? {
    crs.map { $0.uppercased().hasPrefix("EPSG:") ? $0.uppercased() : $0 }
  }
  /// Forces the DBF code page (`--encoding`).
  public var encoding: String?
  /// Only this layer of multi-layer sources (`--source-layer`).
  public var sourceLayer: String?
  /// Target attribute name → source column (`--map FIELD=SOURCE`). Several sources may name the
  /// same column differently: `--map id=IDPNN --map id=AP_ID` takes the first present.
  public var mappings: [FieldMapping]
  public var publish: Bool
  /// Findings refuse the load instead of warning.
  public var strict: Bool
  public var allowOutsideColombia: Bool
  /// Minimum overlap area (m²) between parcels reported by R3001.
  public var overlapTolerance: Double
  /// Also look for gaps between parcels (R3006), larger than `overlapTolerance` m².
  public var checkGaps: Bool = false
  /// This layer holds the sustracciones of another determinant layer.
  public var sustraccionOf: String?
  /// Refuse archives that expand beyond this many bytes.
  public var maxUncompressedBytes: Int64
  public var createdBy: String

  public init(
    paths: [String], layer: String, kind: LayerKind, type: String? = nil, divipola: String? = nil,
    crs: String? = nil, encoding: String? = nil, sourceLayer: String? = nil,
    mappings: [(target: String, source: String)] = [], publish: Bool = false, strict: Bool = false,
    allowOutsideColombia: Bool = false, overlapTolerance: Double = 1.0, sustraccionOf: String? = nil,
    maxUncompressedBytes: Int64 = 8 << 30, createdBy: String = "cli"
  ) {
    self.paths = paths
    self.layer = layer
    self.kind = kind
    self.type = type
    self.divipola = divipola
    self.crs = crs
    self.encoding = encoding
    self.sourceLayer = sourceLayer
    self.mappings = mappings.map { FieldMapping(target: $0.target, source: $0.source) }
    self.publish = publish
    self.strict = strict
    self.allowOutsideColombia = allowOutsideColombia
    self.overlapTolerance = overlapTolerance
    self.sustraccionOf = sustraccionOf
    self.maxUncompressedBytes = maxUncompressedBytes
    self.createdBy = createdBy
  }
}
