import Foundation

/// The quality of a use under a determinant's regime, from most to least permissive.
public enum UseQuality: String, Codable, Sendable, Comparable, CaseIterable {
  case principal, compatible, condicionado, prohibido

  var rank: Int { Self.allCases.firstIndex(of: self)! }
  public static func < (lhs: UseQuality, rhs: UseQuality) -> Bool { lhs.rank < rhs.rank }
}

/// What a POT zoning unit says about a piece of land: its class, category, treatment and uses.
public struct ZoningUnit: Sendable, Equatable {
  public var clase: String?
  public var categoria: String?
  public var tratamiento: String?
  public var usos: [String]

  public init(clase: String?, categoria: String?, tratamiento: String?, usos: [String]) {
    self.clase = clase
    self.categoria = categoria
    self.tratamiento = tratamiento
    self.usos = usos
  }

  /// Splits a uses field ("vivienda; comercio, servicios") into uses.
  public static func uses(_ text: String?) -> [String] {
    guard let text else { return [] }
    return text.split(whereSeparator: { $0 == ";" || $0 == "," }).map {
      String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }.filter { !$0.isEmpty }
  }
}

/// One cell of the matrix: a determinant type (optionally one of its internal zones) against
/// a POT selector.
public struct CompatibilityRule: Codable, Sendable, Equatable {
  public var determinant: String
  public var zone: String?
  public var `class`: String?
  public var category: String?
  public var treatment: String?
  public var use: String?
  public var quality: UseQuality
  public var reason: String?
}

/// The compatibility matrix: `schemas/compatibility.json`. Never hard-coded: each deployment
/// can point `NODO_COMPATIBILITY_FILE` at its own copy.
public struct CompatibilityMatrix: Codable, Sendable {
  public var version: Int
  public var rules: [CompatibilityRule]

  public typealias LoadError = DeterminantCatalog.LoadError

  /// The matrix shipped with the program.
  public static func bundled() throws -> CompatibilityMatrix {
    guard let url = Bundle.module.url(forResource: "compatibility", withExtension: "json") else {
      throw LoadError(file: "compatibility.json", pointer: "", reason: "not in the bundle")
    }
    return try load(from: url)
  }

  /// Loads and checks a matrix; `catalog` resolves the determinant codes.
  public static func load(from url: URL, catalog: DeterminantCatalog? = nil) throws -> CompatibilityMatrix {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw LoadError(file: url.path, pointer: "", reason: "cannot be read: \(error.localizedDescription)")
    }
    let matrix: CompatibilityMatrix
    do {
      matrix = try JSONDecoder().decode(CompatibilityMatrix.self, from: data)
    } catch let error as DecodingError {
      let (path, reason) = DeterminantCatalog.explain(error)
      throw LoadError(file: url.path, pointer: path, reason: reason)
    } catch {
      throw LoadError(file: url.path, pointer: "", reason: "not valid JSON: \(error.localizedDescription)")
    }
    for (index, rule) in matrix.rules.enumerated() {
      let pointer = "/rules/\(index)"
      if rule.class == nil, rule.category == nil, rule.treatment == nil, rule.use == nil {
        throw LoadError(
          file: url.path, pointer: pointer,
          reason: "a rule needs at least one of class, category, treatment, use")
      }
      if let catalog, catalog.entry(rule.determinant) == nil {
        throw LoadError(
          file: url.path, pointer: pointer + "/determinant",
          reason: "unknown determinant code \(rule.determinant)")
      }
    }
    return matrix
  }

  /// The most restrictive quality the matrix gives a unit under a determinant, with the rule
  /// that says so; nil when no rule applies. `codes` are the determinant's own code and its
  /// parent type's (a type's rule covers its subtypes); `zone` is its internal zoning value.
  public func quality(codes: [String], zone: String?, unit: ZoningUnit) -> (UseQuality, CompatibilityRule)? {
    let clase = unit.clase.map(Self.fold)
    let categoria = unit.categoria.map(Self.fold)
    let tratamiento = unit.tratamiento.map(Self.fold)
    let usos = Set(unit.usos.map(Self.fold))
    let zoneValue = zone.map(Self.fold)
    var best: (UseQuality, CompatibilityRule)?
    for rule in rules where codes.contains(rule.determinant) {
      if let wanted = rule.zone, Self.fold(wanted) != zoneValue { continue }
      if let wanted = rule.class, Self.fold(wanted) != clase { continue }
      if let wanted = rule.category, Self.fold(wanted) != categoria { continue }
      if let wanted = rule.treatment, Self.fold(wanted) != tratamiento { continue }
      if let wanted = rule.use, !usos.contains(Self.fold(wanted)) { continue }
      if best == nil || rule.quality > best!.0 { best = (rule.quality, rule) }
    }
    return best
  }

  /// Case- and accent-insensitive form for comparisons ("Expansión" = "expansion").
  /// Runs for every zoning unit against every rule: ASCII text (most codes) is folded by hand.
  public static func fold(_ text: String) -> String {
    let utf8 = text.utf8
    if utf8.allSatisfy({ $0 < 0x80 }) {
      var bytes = Array(utf8)
      while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
      var start = 0
      while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
      for i in start..<bytes.count where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 0x20 }
      return String(decoding: bytes[start...], as: UTF8.self)
    }
    return text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: spanish)
      .trimmingCharacters(in: .whitespaces)
  }

  private static let spanish = Locale(identifier: "es")
}
