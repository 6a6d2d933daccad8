import Geo

/// One layer of the synthetic municipality: its name, geometry type, fields and features,
/// all in EPSG:9377.
public struct Theme: Sendable {
  public var name: String
  public var type: GeometryType
  public var fields: [FieldInfo]
  public var features: [(values: [FieldValue], geometry: Geometry)]

  init(name: String, type: GeometryType, fields: [FieldInfo]) {
    self.name = name
    self.type = type
    self.fields = fields
    self.features = []
  }

  mutating func add(_ values: [FieldValue], _ geometry: Geometry) {
    features.append((values, geometry))
  }
}

/// The fields every determinant theme carries.
let determinantFields: [FieldInfo] = [
  FieldInfo(name: "nombre", type: .string), FieldInfo(name: "cod_tipo", type: .string),
  FieldInfo(name: "autoridad", type: .string), FieldInfo(name: "acto", type: .string),
  FieldInfo(name: "fecha_cort", type: .string),
]
