import Foundation

/// How a line or point determinant becomes an area.
public struct BufferRule: Codable, Sendable, Equatable {
  /// `fixed` (``meters``) or `byRoadOrder` (``metersEachSide`` keyed by the value of ``field``).
  public var kind: String
  public var meters: Double?
  public var field: String?
  public var metersEachSide: [String: Double]?
  /// The width is this project's assumption, not a verified legal figure.
  public var unverified: Bool?
}

/// A subtype (IGAC `subdet`) of a determinant type.
public struct DeterminantSubtype: Codable, Sendable, Equatable {
  public var code: String
  public var name: String
  public var geometry: String?
  public var buffer: BufferRule?
}

/// A determinant type (IGAC `tdeterm`) with its art. 32 level (`determ`) and literal.
public struct DeterminantType: Codable, Sendable, Equatable {
  public var code: String
  public var name: String
  /// 1–6: a lower level prevails over a higher one (Ley 2294 de 2023, art. 32).
  public var level: Int
  /// a–d, for level 1 only.
  public var literal: String?
  public var authority: String
  public var legalBasis: String
  /// `polygon`, `line` or `point`.
  public var geometry: String
  public var buffer: BufferRule?
  public var subtypes: [DeterminantSubtype]?
}

/// A condicionante: reported where it occurs, never ranked by art. 32.
public struct Condicionante: Codable, Sendable, Equatable {
  public var code: String
  public var name: String
  public var authority: String
  public var legalBasis: String
  /// Ethnic territories call for concertación (art. 32, parágrafo 3).
  public var ethnic: Bool
  /// Always false: condicionantes are reported, not ranked.
  public var ranked: Bool?
}

/// One level of art. 32, with the literals of level 1.
public struct PrevalenceLevel: Codable, Sendable, Equatable {
  public struct Literal: Codable, Sendable, Equatable {
    public var literal: String
    public var name: String
  }
  public var level: Int
  public var name: String
  public var literals: [Literal]?
}

/// The determinant catalogue: `schemas/determinant-types.json`.
public struct DeterminantCatalog: Codable, Sendable {
  public var version: Int
  public var levels: [PrevalenceLevel]
  public var types: [DeterminantType]
  public var condicionantes: [Condicionante]

  /// A catalogue file that cannot be used, with where and why.
  public struct LoadError: Error, CustomStringConvertible, Sendable {
    public var file: String
    /// JSON pointer to the offending value ("" for the whole document).
    public var pointer: String
    public var reason: String
    public var description: String { "\(file) at \"\(pointer)\": \(reason)" }
  }

  /// The catalogue shipped with the program.
  public static func bundled() throws -> DeterminantCatalog {
    guard let url = Bundle.module.url(forResource: "determinant-types", withExtension: "json")
    else {
      throw LoadError(file: "determinant-types.json", pointer: "", reason: "not in the bundle")
    }
    return try load(from: url)
  }

  /// Loads and checks a catalogue file (for a deployment's own copy).
  public static func load(from url: URL) throws -> DeterminantCatalog {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw LoadError(file: url.path, pointer: "", reason: "cannot be read: \(error.localizedDescription)")
    }
    let catalog: DeterminantCatalog
    do {
      catalog = try JSONDecoder().decode(DeterminantCatalog.self, from: data)
    } catch let error as DecodingError {
      let (path, reason) = Self.explain(error)
      throw LoadError(file: url.path, pointer: path, reason: reason)
    } catch {
      throw LoadError(file: url.path, pointer: "", reason: "not valid JSON: \(error.localizedDescription)")
    }
    try catalog.check(file: url.path)
    return catalog
  }

  /// Rules JSON decoding cannot express: levels 1–6, literals only on level 1, unique codes.
  func check(file: String) throws {
    var seen = Set<String>()
    for (index, type) in types.enumerated() {
      let pointer = "/types/\(index)"
      guard (1...6).contains(type.level) else {
        throw LoadError(file: file, pointer: pointer + "/level", reason: "level must be 1 to 6")
      }
      if let literal = type.literal, type.level != 1 || !["a", "b", "c", "d"].contains(literal) {
        throw LoadError(file: file, pointer: pointer + "/literal", reason: "only level 1 has literals a–d")
      }
      guard ["polygon", "line", "point"].contains(type.geometry) else {
        throw LoadError(file: file, pointer: pointer + "/geometry", reason: "must be polygon, line or point")
      }
      for code in [type.code] + (type.subtypes ?? []).map(\.code) {
        guard seen.insert(code).inserted else {
          throw LoadError(file: file, pointer: pointer, reason: "code \(code) appears twice")
        }
      }
    }
    for (index, condicionante) in condicionantes.enumerated() {
      guard seen.insert(condicionante.code).inserted else {
        throw LoadError(
          file: file, pointer: "/condicionantes/\(index)", reason: "code \(condicionante.code) appears twice")
      }
    }
  }

  static func explain(_ error: DecodingError) -> (String, String) {
    func pointer(_ path: [any CodingKey]) -> String {
      path.map { "/" + ($0.intValue.map(String.init) ?? $0.stringValue) }.joined()
    }
    switch error {
    case .keyNotFound(let key, let context):
      return (pointer(context.codingPath), "missing \"\(key.stringValue)\"")
    case .typeMismatch(let type, let context):
      return (pointer(context.codingPath), "expected \(type)")
    case .valueNotFound(let type, let context):
      return (pointer(context.codingPath), "expected \(type), found null")
    case .dataCorrupted(let context):
      return (pointer(context.codingPath), context.debugDescription)
    @unknown default:
      return ("", "\(error)")
    }
  }

  // MARK: Look-ups

  /// What a code names: a type, a subtype (with its parent type) or a condicionante.
  public enum Entry: Sendable, Equatable {
    case type(DeterminantType)
    case subtype(DeterminantSubtype, of: DeterminantType)
    case condicionante(Condicionante)
  }

  public func entry(_ code: String) -> Entry? {
    for type in types {
      if type.code == code { return .type(type) }
      if let subtype = type.subtypes?.first(where: { $0.code == code }) {
        return .subtype(subtype, of: type)
      }
    }
    return condicionantes.first { $0.code == code }.map(Entry.condicionante)
  }

  /// Every code, for error messages.
  public var allCodes: [String] {
    types.flatMap { [$0.code] + ($0.subtypes ?? []).map(\.code) } + condicionantes.map(\.code)
  }
}

/// Everything the conflict engine needs about one code, flattened from the catalogue.
public struct DeterminantDescriptor: Sendable, Equatable, Codable {
  public var code: String
  /// The code and its parent type's code: the compatibility matrix matches either.
  public var codes: [String]
  public var name: String
  /// nil for condicionantes: they are reported, never ranked by art. 32.
  public var level: Int?
  public var literal: String?
  public var authority: String
  public var legalBasis: String
  public var geometry: String
  public var buffer: BufferRule?
  public var ethnic: Bool
  public var ranked: Bool { level != nil }

  /// "Ley 2294 de 2023, art. 32, nivel 1 (literal b)".
  public var prevalenceCitation: String? {
    guard let level else { return nil }
    return "Ley 2294 de 2023, art. 32, nivel \(level)" + (literal.map { " (literal \($0))" } ?? "")
  }
}

extension DeterminantCatalog {
  public func descriptor(_ code: String) -> DeterminantDescriptor? {
    switch entry(code) {
    case .type(let type):
      return DeterminantDescriptor(
        code: type.code, codes: [type.code], name: type.name, level: type.level, literal: type.literal,
        authority: type.authority, legalBasis: type.legalBasis, geometry: type.geometry, buffer: type.buffer,
        ethnic: false)
    case .subtype(let subtype, let type):
      return DeterminantDescriptor(
        code: subtype.code, codes: [subtype.code, type.code], name: subtype.name, level: type.level,
        literal: type.literal, authority: type.authority, legalBasis: type.legalBasis,
        geometry: subtype.geometry ?? type.geometry, buffer: subtype.buffer ?? type.buffer, ethnic: false)
    case .condicionante(let condicionante):
      return DeterminantDescriptor(
        code: condicionante.code, codes: [condicionante.code], name: condicionante.name, level: nil,
        literal: nil, authority: condicionante.authority, legalBasis: condicionante.legalBasis,
        geometry: "polygon", buffer: nil, ethnic: condicionante.ethnic)
    case nil:
      return nil
    }
  }

  /// The level's name, for reports.
  public func levelName(_ level: Int) -> String? { levels.first { $0.level == level }?.name }
}

extension BufferRule {
  /// The buffer distance for one feature, from its attributes (road order for `byRoadOrder`);
  /// nil when the rule cannot be applied to it.
  public func distance(attributes: [String: String]) -> Double? {
    switch kind {
    case "fixed": return meters
    case "byRoadOrder":
      guard let field, let value = attributes[field] ?? attributes[field.uppercased()] else { return nil }
      let key = value.trimmingCharacters(in: .whitespaces)
      return metersEachSide?[key] ?? metersEachSide?[String(key.prefix { $0 != "." })]
    default: return nil
    }
  }
}
