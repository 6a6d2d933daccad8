/// How art. 32 of Ley 2294 de 2023 resolves a place covered by several determinants.
public enum Resolution: String, Codable, Sendable, CaseIterable {
  /// One ranked determinant: it applies, nothing to resolve.
  case unico
  /// One determinant has the strictly lowest level: it prevails.
  case prevalece
  /// Two or more share the lowest level: the law names no winner (art. 32, par. 1).
  case requiereCoordinacion = "requiere_coordinacion"
  /// Only condicionantes (reported, never ranked).
  case soloCondicionantes = "solo_condicionantes"
}

/// A determinant as the prevalence rule sees it.
public struct RankedMember: Sendable, Equatable {
  public var level: Int?
  public var literal: String?
  public var ethnic: Bool
  public var name: String
  public var authority: String

  public init(level: Int?, literal: String?, ethnic: Bool, name: String, authority: String) {
    self.level = level
    self.literal = literal
    self.ethnic = ethnic
    self.name = name
    self.authority = authority
  }
}

/// The outcome of art. 32 for one face.
public struct PrevalenceOutcome: Sendable, Equatable, Codable {
  public var resolution: Resolution
  /// Art. 32, par. 3: an ethnic territory is present, in addition to the resolution.
  public var concertacionEtnica: Bool
  public var prevailingLevel: Int?
  public var prevailingLiteral: String?
  /// Indices (into the members given) at the prevailing level.
  public var prevailing: [Int]
  /// The legal basis, in Spanish (legal terms keep their Spanish names in both languages).
  public var fundamento: String
  /// Non-normative hint for same-level confluences.
  public var hint: String?

  /// The resolution codes, `requiere_concertacion_etnica` added when it applies.
  public var codes: [String] {
    [resolution.rawValue] + (concertacionEtnica ? ["requiere_concertacion_etnica"] : [])
  }
}

/// Art. 32's prevalence rule: a lower level prevails; the same level has no winner.
public enum Prevalence {
  public static func resolve(_ members: [RankedMember]) -> PrevalenceOutcome {
    let ranked = members.indices.filter { members[$0].level != nil }
    let ethnic = members.filter(\.ethnic)
    var parts: [String] = []
    var hint: String?
    let resolution: Resolution
    var level: Int?
    var literal: String?
    var prevailing: [Int] = []
    if ranked.isEmpty {
      resolution = .soloCondicionantes
    } else {
      let lowest = ranked.map { members[$0].level! }.min()!
      level = lowest
      prevailing = ranked.filter { members[$0].level == lowest }
      let literals = Set(prevailing.compactMap { members[$0].literal })
      literal = literals.count == 1 ? literals.first : nil
      let cite = "Ley 2294 de 2023, art. 32, nivel \(lowest)" + (literal.map { " (literal \($0))" } ?? "")
      if ranked.count == 1 {
        resolution = .unico
        parts.append("\(cite): \(members[ranked[0]].name)")
      } else if prevailing.count == 1 {
        resolution = .prevalece
        parts.append("\(cite): prevalece \(members[prevailing[0]].name)")
      } else {
        resolution = .requiereCoordinacion
        let names = prevailing.map { "\(members[$0].name) (\(members[$0].authority))" }
        parts.append(
          "Ley 2294 de 2023, art. 32, parágrafo 1: \(prevailing.count) determinantes del nivel \(lowest) "
            + "sin regla de prevalencia entre sí; requiere coordinación entre autoridades: "
            + names.joined(separator: "; "))
        hint =
          "Sugerencia no normativa: mientras se coordina, aplicar el régimen de uso más restrictivo de los "
          + "determinantes del nivel \(lowest)."
      }
    }
    if !ethnic.isEmpty {
      parts.append(
        "Ley 2294 de 2023, art. 32, parágrafo 3: territorio étnico ("
          + ethnic.map(\.name).joined(separator: "; ") + "); requiere concertación con sus autoridades")
    }
    return PrevalenceOutcome(
      resolution: resolution, concertacionEtnica: !ethnic.isEmpty, prevailingLevel: level,
      prevailingLiteral: literal, prevailing: prevailing,
      fundamento: parts.isEmpty
        ? "Condicionantes reportados, sin orden de prevalencia (art. 32)" : parts.joined(separator: ". "),
      hint: hint)
  }
}
