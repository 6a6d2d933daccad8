import Catalog
import Foundation
import Geo

/// Generates a synthetic municipality in EPSG:9377: a parcel coverage (urban blocks cut into
/// Voronoi lots along a street grid, large rural lots outside), the POT's land classes and
/// zoning, determinants of all six art. 32 levels and an ethnic territory, arranged so that
/// the cases the conflict engine must handle occur (same-level overlaps, three or more
/// determinants stacked, urban land over level-1 determinants, parcels partly and wholly
/// inside determinants).
///
/// Deterministic: the same parameters give the same features in the same order.
public struct MunicipalityGenerator {
  public var parcels: Int
  public var seed: UInt64
  public var divipola: String
  /// South-west corner of the municipality in EPSG:9377 (near Cundinamarca by default).
  public var origin: (x: Double, y: Double) = (4_830_000, 2_120_000)

  public init(parcels: Int, seed: UInt64, divipola: String = "25999") {
    self.parcels = parcels
    self.seed = seed
    self.divipola = divipola
  }

  /// Street grid: 90 m blocks and 12 m streets; about 20 lots a block.
  static let blockSize = 90.0
  static let street = 12.0
  static let lotsPerBlock = 20

  public struct Output: Sendable {
    public var themes: [Theme]
    /// Side of the (square) municipality in metres.
    public var side: Double
  }

  public func generate() throws -> Output {
    precondition(parcels >= 10, "at least 10 parcels")
    var random = SplitMix64(seed: seed)
    let context = try GeometryContext()
    let urbanCount = Int((Double(parcels) * 0.7).rounded())
    let ruralCount = parcels - urbanCount
    let blocks = (urbanCount + Self.lotsPerBlock - 1) / Self.lotsPerBlock
    let grid = Int(Double(blocks).squareRoot().rounded(.up))
    let pitch = Self.blockSize + Self.street
    let urbanSide = Double(grid) * pitch + Self.street
    // Rural lots average 4 ha; the municipality is at least five times the urban area wide.
    let side = max(urbanSide * 5, (Double(ruralCount) * 40_000 + urbanSide * urbanSide).squareRoot() * 1.1)
    let x0 = origin.x
    let y0 = origin.y
    func at(_ u: Double, _ v: Double) -> (x: Double, y: Double) { (x0 + u * side, y0 + v * side) }
    let municipality = try context.rectangle(Envelope(minX: x0, minY: y0, maxX: x0 + side, maxY: y0 + side))
    let center = at(0.5, 0.5)
    let urbanEnvelope = Envelope(
      minX: center.x - urbanSide / 2, minY: center.y - urbanSide / 2, maxX: center.x + urbanSide / 2,
      maxY: center.y + urbanSide / 2)
    let urban = try context.rectangle(urbanEnvelope)

    /// An irregular blob: the union of a few circles around `center`.
    func blob(_ u: Double, _ v: Double, _ radius: Double, lobes: Int = 5) throws -> NativeGeometry {
      let c = at(u, v)
      let r = radius * side
      var parts = [try context.point(x: c.x, y: c.y).buffer(r * 0.7, quadrantSegments: 12)]
      for lobe in 0..<lobes {
        let angle = Double(lobe) / Double(lobes) * 2 * .pi + random.uniform(-0.4, 0.4)
        let distance = r * random.uniform(0.3, 0.6)
        let p = try context.point(x: c.x + cos(angle) * distance, y: c.y + sin(angle) * distance)
        parts.append(try p.buffer(r * random.uniform(0.35, 0.55), quadrantSegments: 12))
      }
      return try context.collection(
        .multiPolygon,
        of: parts.map { try $0.asMultiPolygon() }.flatMap { g in
          try (0..<g.partCount()).map { try g.part($0) }
        }
      ).unaryUnion().intersection(with: municipality)
    }

    /// A meandering line through the given points (u, v), with a little noise between them.
    func river(_ stops: [(Double, Double)]) throws -> NativeGeometry {
      var points: [(x: Double, y: Double)] = []
      for (index, stop) in stops.enumerated() {
        points.append(at(stop.0, stop.1))
        if index + 1 < stops.count {
          let next = stops[index + 1]
          for step in 1..<6 {
            let t = Double(step) / 6
            let wiggle = random.uniform(-0.01, 0.01)
            points.append(
              at(stop.0 + (next.0 - stop.0) * t + wiggle, stop.1 + (next.1 - stop.1) * t - wiggle))
          }
        }
      }
      return try context.lineString(points).intersection(with: municipality)
    }

    /// Small landslide scars all over the municipality, one per 40 parcels, so that a large
    /// municipality has thousands of determinant polygons (with their own random stream: the
    /// other themes do not change with their number).
    func localLandslides() throws -> [(String, NativeGeometry)] {
      var local = SplitMix64(seed: seed ^ 0x5EED_1A4D_5C42_0001)
      var out: [(String, NativeGeometry)] = []
      for index in 0..<(parcels / 40) {
        let c = (x: x0 + local.uniform(0.02, 0.98) * side, y: y0 + local.uniform(0.02, 0.98) * side)
        let radius = local.uniform(20, 90)
        var parts = [try context.point(x: c.x, y: c.y).buffer(radius, quadrantSegments: 4)]
        for _ in 0..<2 {
          let angle = local.uniform(0, 2 * .pi)
          let p = try context.point(x: c.x + cos(angle) * radius * 0.6, y: c.y + sin(angle) * radius * 0.6)
          parts.append(try p.buffer(radius * local.uniform(0.4, 0.7), quadrantSegments: 4))
        }
        let blob = try context.collection(.geometryCollection, of: parts).unaryUnion()
        out.append(("Movimiento en masa local \(index + 1)", blob))
      }
      return out
    }

    var themes: [Theme] = []

    // MARK: Boundary
    var boundary = Theme(
      name: "limite_municipal", type: .multiPolygon,
      fields: [FieldInfo(name: "divipola", type: .string), FieldInfo(name: "nombre", type: .string)])
    boundary.add(
      [.string(divipola), .string("Municipio Sintético de San Andrés del Páramo")],
      try municipality.asMultiPolygon().geometry())
    themes.append(boundary)

    // MARK: Determinants
    let paramo = try blob(0.2, 0.82, 0.16)
    let sustraccionA = try blob(0.33, 0.72, 0.025, lobes: 3)
    let sustraccionB = try blob(0.4, 0.8, 0.02, lobes: 3)
    let reserveBlob = try blob(0.32, 0.74, 0.2)
    let reserve = try reserveBlob.difference(sustraccionA).difference(sustraccionB)
    let river1 = try river([(0.0, 0.62), (0.3, 0.55), (0.5, 0.5), (0.75, 0.45), (1.0, 0.4)])
    let river2 = try river([(0.22, 1.0), (0.3, 0.7), (0.28, 0.4), (0.35, 0.0)])
    let flood = try river1.buffer(150).intersection(with: municipality)
    let landslide1 = try blob(0.75, 0.8, 0.07, lobes: 4)
    let landslide2 = try blob(0.62, 0.29, 0.05, lobes: 4)
    let appa = try blob(0.7, 0.25, 0.18)
    let tourism = try blob(0.6, 0.3, 0.08, lobes: 4)
    let road1 = try context.lineString([at(0, 0.3), at(0.45, 0.45), at(0.5, 0.5), at(1, 0.56)])
    let road2 = try context.lineString([at(0.5, 0), at(0.52, 0.45), at(0.5, 1)])
    let road3 = try context.lineString([at(0.55, 0.52), at(0.8, 0.8), at(0.95, 1)])
    let airportCenter = at(0.85, 0.15)
    let airport = try context.rectangle(
      Envelope(
        minX: airportCenter.x - 0.04 * side, minY: airportCenter.y - 0.01 * side,
        maxX: airportCenter.x + 0.04 * side, maxY: airportCenter.y + 0.01 * side))
    let corridor = try road1.buffer(200).intersection(
      with: context.rectangle(Envelope(minX: at(0.6, 0).x, minY: y0, maxX: x0 + side, maxY: y0 + side)))
    let resguardo = try blob(0.18, 0.55, 0.12)

    func determinant(
      _ name: String, type: GeometryType, code: String, authority: String, act: String,
      _ items: [(String, NativeGeometry)], extra: [FieldInfo] = [], extraValues: [[FieldValue]] = []
    ) throws -> Theme {
      var theme = Theme(name: name, type: type, fields: determinantFields + extra)
      for (index, (title, geometry)) in items.enumerated() {
        let multi = type == .multiPolygon ? try geometry.asMultiPolygon() : try geometry.asMulti()
        theme.add(
          [.string(title), .string(code), .string(authority), .string(act), .string("2025-06-30")]
            + (index < extraValues.count ? extraValues[index] : []),
          try multi.geometry())
      }
      return theme
    }
    themes.append(
      try determinant(
        "paramo", type: .multiPolygon, code: "2", authority: "MinAmbiente",
        act: "Resolución 1234 de 2016 (sintética)",
        [("Páramo de Guachaneque Sintético", paramo)]))
    themes.append(
      try determinant(
        "reserva_forestal", type: .multiPolygon, code: "1", authority: "MinAmbiente",
        act: "Acuerdo 30 de 1976 (sintético)", [("Reserva Forestal Protectora Río Ñame", reserve)]))
    themes.append(
      try determinant(
        "reserva_sustracciones", type: .multiPolygon, code: "1", authority: "MinAmbiente",
        act: "Resolución de sustracción (sintética)",
        [("Sustracción vereda El Triunfo", sustraccionA), ("Sustracción acueducto", sustraccionB)]))
    themes.append(
      try determinant(
        "rios", type: .multiLineString, code: "5", authority: "CAR", act: "Acotamiento de ronda (sintético)",
        [("Río Ñame", river1), ("Quebrada La Peña", river2)]))
    themes.append(
      try determinant(
        "amenaza_inundacion", type: .multiPolygon, code: "702", authority: "Municipio",
        act: "Estudio básico de riesgo (sintético)",
        [("Inundación río Ñame", flood)]))
    themes.append(
      try determinant(
        "amenaza_remocion", type: .multiPolygon, code: "701", authority: "Municipio",
        act: "Estudio básico de riesgo (sintético)",
        [("Movimientos en masa Alto del Águila", landslide1), ("Movimientos en masa La Cañada", landslide2)]
          + (try localLandslides())))
    themes.append(
      try determinant(
        "appa", type: .multiPolygon, code: "10", authority: "MinAgricultura / UPRA",
        act: "Resolución APPA (sintética)",
        [("APPA Sabana de Occidente", appa)]))
    var bicItems: [(String, NativeGeometry)] = []
    for index in 0..<5 {
      let p = try context.point(
        x: urbanEnvelope.minX + urbanSide * (0.2 + 0.15 * Double(index)),
        y: urbanEnvelope.minY + urbanSide * (0.3 + 0.1 * Double(index % 3)))
      bicItems.append(("Bien de interés cultural \(index + 1): Casa de la Cultura", p))
    }
    themes.append(
      try determinant(
        "bic", type: .multiPoint, code: "1202", authority: "MinCultura", act: "Declaratoria BIC (sintética)",
        bicItems))
    themes.append(
      try determinant(
        "vias_nacionales", type: .multiLineString, code: "1301", authority: "INVÍAS", act: "Ley 1228 de 2008",
        [("Ruta Nacional 50", road1), ("Vía secundaria a Pacho", road2), ("Vía terciaria El Peñón", road3)],
        extra: [FieldInfo(name: "orden", type: .integer)],
        extraValues: [[.integer(1)], [.integer(2)], [.integer(3)]]))
    themes.append(
      try determinant(
        "aeropuerto", type: .multiPolygon, code: "1302", authority: "Aerocivil",
        act: "Plan maestro (sintético)",
        [("Aeródromo Los Ángeles", airport)]))
    themes.append(
      try determinant(
        "corredor_metropolitano", type: .multiPolygon, code: "15", authority: "Área metropolitana",
        act: "PIDM (sintético)", [("Corredor suburbano metropolitano", corridor)]))
    themes.append(
      try determinant(
        "proyecto_turistico", type: .multiPolygon, code: "16", authority: "MinCIT",
        act: "Declaratoria PTE (sintética)",
        [("Proyecto Turístico Especial Laguna Encantada", tourism)]))
    themes.append(
      try determinant(
        "resguardo", type: .multiPolygon, code: "C01", authority: "ANT",
        act: "Acuerdo de constitución (sintético)",
        [("Resguardo Indígena Muisca de Fúquene", resguardo)]))

    // MARK: POT
    let expansionRing = try urban.buffer(0.05 * side, quadrantSegments: 2).difference(urban)
    let suburban = try road1.buffer(300).difference(urban.buffer(0.05 * side, quadrantSegments: 2))
      .intersection(with: municipality)
    let protection = try paramo.union(with: river1.buffer(30)).union(with: river2.buffer(30)).intersection(
      with: municipality)
    let ruralClass = try municipality.difference(urban).difference(expansionRing).difference(suburban)
      .difference(protection)
    var classes = Theme(
      name: "pot_clases", type: .multiPolygon,
      fields: [FieldInfo(name: "clase", type: .string), FieldInfo(name: "categoria", type: .string)])
    for (clase, categoria, geometry) in [
      ("urbano", "", urban), ("expansion", "", expansionRing), ("rural", "suburbano", suburban),
      ("rural", "protección", protection), ("rural", "producción", ruralClass),
    ] {
      classes.add([.string(clase), .string(categoria)], try geometry.asMultiPolygon().geometry())
    }
    themes.append(classes)

    var zoning = Theme(
      name: "pot_zonificacion", type: .multiPolygon,
      fields: [
        FieldInfo(name: "unidad", type: .string), FieldInfo(name: "clase", type: .string),
        FieldInfo(name: "categoria", type: .string), FieldInfo(name: "tratamien", type: .string),
        FieldInfo(name: "uso_ppal", type: .string), FieldInfo(name: "usos_comp", type: .string),
        FieldInfo(name: "usos_cond", type: .string), FieldInfo(name: "usos_proh", type: .string),
      ])
    let half = urbanSide / 2
    let quadrants: [(String, String, String, String, String, String, Double, Double)] = [
      (
        "ZU-1 Residencial", "consolidación", "vivienda", "comercio vecinal", "equipamientos", "industria", 0,
        0
      ),
      (
        "ZU-2 Comercial", "renovación urbana", "comercio", "servicios; vivienda", "bodegas",
        "industria pesada", 1, 0
      ),
      ("ZU-3 Mixta", "desarrollo", "vivienda; comercio", "servicios", "talleres", "minería", 0, 1),
      (
        "ZU-4 Centro histórico", "conservación", "institucional", "comercio; vivienda", "servicios",
        "industria", 1, 1
      ),
    ]
    for (unit, treatment, principal, compatible, conditioned, forbidden, qx, qy) in quadrants {
      let box = try context.rectangle(
        Envelope(
          minX: urbanEnvelope.minX + qx * half, minY: urbanEnvelope.minY + qy * half,
          maxX: urbanEnvelope.minX + (qx + 1) * half, maxY: urbanEnvelope.minY + (qy + 1) * half))
      zoning.add(
        [
          .string(unit), .string("urbano"), .string(""), .string(treatment), .string(principal),
          .string(compatible),
          .string(conditioned), .string(forbidden),
        ], try box.asMultiPolygon().geometry())
    }
    for (unit, clase, categoria, treatment, principal, compatible, conditioned, forbidden, geometry) in [
      (
        "ZE-1 Expansión norte y sur", "expansion", "", "desarrollo", "vivienda", "comercio", "servicios",
        "industria", expansionRing
      ),
      (
        "ZS-1 Vivienda campestre", "rural", "suburbano", "", "vivienda campestre", "turismo", "comercio",
        "industria", suburban
      ),
      (
        "ZP-1 Protección ambiental", "rural", "protección", "", "conservación", "investigación", "ecoturismo",
        "vivienda; agricultura", protection
      ),
      (
        "ZR-1 Producción agropecuaria", "rural", "producción", "", "agricultura", "vivienda rural",
        "agroindustria", "vivienda campestre", ruralClass
      ),
    ] {
      zoning.add(
        [
          .string(unit), .string(clase), .string(categoria), .string(treatment), .string(principal),
          .string(compatible), .string(conditioned), .string(forbidden),
        ], try geometry.asMultiPolygon().geometry())
    }
    themes.append(zoning)

    // MARK: Parcels
    var lots = Theme(
      name: "predios", type: .multiPolygon,
      fields: [
        FieldInfo(name: "npn", type: .string), FieldInfo(name: "matricula", type: .string),
        FieldInfo(name: "condicion", type: .string), FieldInfo(name: "area_decl", type: .real),
        FieldInfo(name: "clase_suel", type: .string),
      ])
    let prefix = divipola
    var parcelIndex = 0
    func addParcel(
      _ geometry: NativeGeometry, zona: String, sector: Int, manzana: Int, terreno: Int, clase: String
    ) throws {
      parcelIndex += 1
      let condition = parcelIndex % 37 == 0 ? "9" : "0"
      let npn =
        prefix + zona + String(format: "%02d", sector % 100) + "00" + "00"
        + String(format: "%04d", manzana % 10000)
        + String(format: "%04d", terreno % 10000) + condition + "00000000"
      let multi = try geometry.asMultiPolygon()
      let area = try multi.area()
      let declared = parcelIndex % 50 == 0 ? (area * 1.12).rounded() : (area * 10).rounded() / 10
      lots.add(
        [
          .string(npn), .string("50C-\(100_000 + parcelIndex)"), .string(condition), .real(declared),
          .string(clase),
        ],
        try multi.geometry())
    }

    // Urban blocks, filled row by row.
    var remaining = urbanCount
    for block in 0..<blocks {
      let row = block / grid
      let column = block % grid
      let bx = urbanEnvelope.minX + Self.street + Double(column) * pitch
      let by = urbanEnvelope.minY + Self.street + Double(row) * pitch
      let envelope = Envelope(minX: bx, minY: by, maxX: bx + Self.blockSize, maxY: by + Self.blockSize)
      let count = min(Self.lotsPerBlock, remaining)
      remaining -= count
      let cells = try lotsInside(envelope, count: count, context: context, random: &random)
      for (lot, cell) in cells.enumerated() {
        try addParcel(
          cell, zona: "01", sector: 1 + block / 10_000, manzana: block + 1, terreno: lot + 1, clase: "urbano")
      }
    }

    // Rural lots: Voronoi cells of points outside the urban area, clipped to the rural land.
    let rural = try municipality.difference(urban)
    let preparedRural = try PreparedGeometry(rural)
    let preparedExpansion = try PreparedGeometry(expansionRing)
    let preparedSuburban = try PreparedGeometry(suburban)
    var points: [(x: Double, y: Double)] = []
    points.reserveCapacity(ruralCount)
    while points.count < ruralCount {
      let p = (x: random.uniform(x0, x0 + side), y: random.uniform(y0, y0 + side))
      if urbanEnvelope.contains(Envelope(minX: p.x - 5, minY: p.y - 5, maxX: p.x + 5, maxY: p.y + 5))
        || urbanEnvelope.intersects(Envelope(minX: p.x - 5, minY: p.y - 5, maxX: p.x + 5, maxY: p.y + 5))
      {
        continue
      }
      points.append(p)
    }
    let diagram = try context.voronoiCells(
      points,
      envelope: Envelope(minX: x0 - 1000, minY: y0 - 1000, maxX: x0 + side + 1000, maxY: y0 + side + 1000))
    // Voronoi output order is not the input order: sort cells by their interior point so the
    // numbering is stable.
    var cells: [(key: (Double, Double), geometry: NativeGeometry)] = []
    for index in 0..<(try diagram.partCount()) {
      let cell = try diagram.part(index)
      let clipped = try preparedRural.contains(cell) ? try cell.clone() : try cell.intersection(with: rural)
      guard try !clipped.isEmpty(), try clipped.area() > 1 else { continue }
      let inside = try clipped.pointOnSurface().envelope()
      cells.append(((inside.minY, inside.minX), clipped))
    }
    cells.sort { $0.key.0 != $1.key.0 ? $0.key.0 < $1.key.0 : $0.key.1 < $1.key.1 }
    for (index, cell) in cells.enumerated() {
      let inside = try cell.geometry.pointOnSurface()
      let clase =
        try preparedExpansion.contains(inside)
        ? "expansion" : try preparedSuburban.contains(inside) ? "suburbano" : "rural"
      try addParcel(
        cell.geometry, zona: "00", sector: 1 + index / 100_000, manzana: 1 + (index / 500) % 10_000,
        terreno: 1 + index % 500, clase: clase)
    }
    themes.insert(lots, at: 0)
    return Output(themes: themes, side: side)
  }

  /// `count` lots covering `envelope` exactly: Voronoi cells of random points, clipped to it.
  private func lotsInside(
    _ envelope: Envelope, count: Int, context: GeometryContext, random: inout SplitMix64
  ) throws -> [NativeGeometry] {
    let box = try context.rectangle(envelope)
    guard count > 1 else { return [box] }
    var points: [(x: Double, y: Double)] = []
    for _ in 0..<count {
      points.append(
        (
          random.uniform(envelope.minX + 1, envelope.maxX - 1),
          random.uniform(envelope.minY + 1, envelope.maxY - 1)
        ))
    }
    let diagram = try context.voronoiCells(points, envelope: envelope)
    var cells: [(key: (Double, Double), geometry: NativeGeometry)] = []
    for index in 0..<(try diagram.partCount()) {
      let cell = try diagram.part(index).intersection(with: box)
      guard try !cell.isEmpty() else { continue }
      let inside = try cell.pointOnSurface().envelope()
      cells.append(((inside.minY, inside.minX), cell))
    }
    cells.sort { $0.key.0 != $1.key.0 ? $0.key.0 < $1.key.0 : $0.key.1 < $1.key.1 }
    return cells.map(\.geometry)
  }
}
