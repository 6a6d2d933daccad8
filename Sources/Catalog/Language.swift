/// The language of text meant for people. Spanish is the default; English on request
/// (`Accept-Language: en`, `--lang en`).
public enum Language: String, Sendable, Codable, CaseIterable {
  case es
  case en

  /// Picks the language from an `Accept-Language` header: the first listed language we have,
  /// by quality; Spanish when none matches or the header is absent.
  public init(acceptLanguage header: String?) {
    guard let header, !header.isEmpty else {
      self = .es
      return
    }
    let ranges = header.split(separator: ",").enumerated().compactMap {
      (position, part) -> (tag: String, q: Double, position: Int)? in
      let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { return nil }
      var q = 1.0
      for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
        q = Double(piece.dropFirst(2)) ?? 0
      }
      return (tag, q, position)
    }
    let ordered = ranges.filter { $0.q > 0 }.sorted {
      $0.q != $1.q ? $0.q > $1.q : $0.position < $1.position
    }
    for range in ordered {
      let primary = range.tag.split(separator: "-").first.map(String.init) ?? range.tag
      if let language = Language(rawValue: primary) {
        self = language
        return
      }
    }
    self = .es
  }

  /// Picks the Spanish or the English text.
  public func pick(_ es: String, _ en: String) -> String {
    self == .es ? es : en
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: CharacterSetLite) -> String {
    var scalars = Substring(self)
    while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
    while let last = scalars.last, set.contains(last) { scalars.removeLast() }
    return String(scalars)
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: CharacterSetLite) -> String {
    String(self).trimmingCharacters(in: set)
  }
}

/// Whitespace, without pulling Foundation into a pure module.
private struct CharacterSetLite {
  static let whitespaces = CharacterSetLite()
  func contains(_ character: Character) -> Bool { character.isWhitespace }
}
