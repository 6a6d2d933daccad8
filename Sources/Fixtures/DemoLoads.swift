/// How each file of a generated municipality is loaded: the demo and the benchmarks use it.
public struct DemoLoad: Sendable {
  public var file: String
  public var layer: String
  public var kind: String
  public var type: String?
  public var mappings: [(target: String, source: String)]
  public var sustraccionOf: String?
}

extension MunicipalityGenerator {
  /// The loads for the files `FixtureWriter` writes, in an order that satisfies references
  /// (a reserve before its sustracciones). Layer names start with `prefix`.
  public static func loads(prefix: String = "demo-") -> [DemoLoad] {
    func determinant(_ theme: String, _ code: String, sustraccionOf: String? = nil) -> DemoLoad {
      DemoLoad(
        file: theme + ".zip", layer: prefix + theme.replacingUnderscores, kind: "determinant", type: code,
        mappings: [], sustraccionOf: sustraccionOf.map { prefix + $0.replacingUnderscores })
    }
    return [
      DemoLoad(
        file: "limite_municipal.zip", layer: prefix + "limite", kind: "boundary", type: nil,
        mappings: [("divipola", "divipola")], sustraccionOf: nil),
      DemoLoad(
        file: "predios.zip", layer: prefix + "predios", kind: "cadastral", type: nil,
        mappings: [("area", "area_decl")], sustraccionOf: nil),
      DemoLoad(
        file: "pot_zonificacion.zip", layer: prefix + "pot", kind: "pot", type: nil,
        mappings: [
          ("clase", "clase"), ("categoria", "categoria"), ("unidad", "unidad"), ("usos", "uso_ppal"),
        ],
        sustraccionOf: nil),
      determinant("paramo", "2"),
      determinant("reserva_forestal", "1"),
      determinant("reserva_sustracciones", "1", sustraccionOf: "reserva_forestal"),
      determinant("rios", "5"),
      determinant("amenaza_inundacion", "702"),
      determinant("amenaza_remocion", "701"),
      determinant("appa", "10"),
      determinant("bic", "1202"),
      determinant("vias_nacionales", "1301"),
      determinant("aeropuerto", "1302"),
      determinant("corredor_metropolitano", "15"),
      determinant("proyecto_turistico", "16"),
      DemoLoad(
        file: "resguardo.zip", layer: prefix + "resguardo", kind: "condicionante", type: "C01", mappings: [],
        sustraccionOf: nil),
    ]
  }
}

extension String {
  fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? "-" : $0 }) }
}
