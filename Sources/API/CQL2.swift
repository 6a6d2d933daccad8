import Catalog
import Foundation
import Geo
import Store

/// A parser for the subset of CQL2-text the features API accepts: comparisons (`=`, `<>`,
/// `<`, `>`, `<=`, `>=`), `AND`, `OR`, `NOT`, `LIKE`, `IN`, `IS [NOT] NULL`, and
/// `S_INTERSECTS(geometry, <WKT or BBOX(...)>)` with coordinates in CRS84. The result is a SQL
/// expression over a row's `props` (jsonb) and `geom`, every literal a bound parameter.
enum CQL2 {
  struct ParseError: Error, Equatable {
    var es: String
    var en: String
    func message(_ language: Language) -> String { language.pick(es, en) }
  }

  static func parse(_ text: String) throws -> SQLFilter {
    var parser = Parser(tokens: try tokenize(text), source: Array(text.unicodeScalars))
    let sql = try parser.expression()
    guard parser.position == parser.tokens.count else {
      throw ParseError(
        es: "sobra texto desde «\(parser.tokens[parser.position].text)»",
        en: "unexpected text from \"\(parser.tokens[parser.position].text)\"")
    }
    return SQLFilter(sql: sql, values: parser.values)
  }

  // MARK: Tokens

  enum Kind: Equatable { case word, quoted, string, number, symbol }

  struct Token: Equatable {
    var kind: Kind
    var text: String
    /// Offsets in the source (unicode scalars).
    var start: Int
    var end: Int
    func isWord(_ word: String) -> Bool { kind == .word && text.uppercased() == word }
  }

  static func tokenize(_ text: String) throws -> [Token] {
    let s = Array(text.unicodeScalars)
    var tokens: [Token] = []
    var i = 0
    func isIdentifier(_ c: Unicode.Scalar) -> Bool {
      c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) || c == ":" || c == "."
    }
    while i < s.count {
      let c = s[i]
      if c.properties.isWhitespace {
        i += 1
      } else if c == "'" {
        var value = ""
        var j = i + 1
        var closed = false
        while j < s.count {
          if s[j] == "'" {
            if j + 1 < s.count && s[j + 1] == "'" {
              value.unicodeScalars.append("'")
              j += 2
              continue
            }
            closed = true
            break
          }
          value.unicodeScalars.append(s[j])
          j += 1
        }
        guard closed else {
          throw ParseError(es: "falta cerrar una cadena '…'", en: "unterminated string '…'")
        }
        tokens.append(Token(kind: .string, text: value, start: i, end: j + 1))
        i = j + 1
      } else if c == "\"" {
        var j = i + 1
        var value = ""
        while j < s.count && s[j] != "\"" {
          value.unicodeScalars.append(s[j])
          j += 1
        }
        guard j < s.count else {
          throw ParseError(es: "falta cerrar un nombre \"…\"", en: "unterminated \"…\" name")
        }
        tokens.append(Token(kind: .quoted, text: value, start: i, end: j + 1))
        i = j + 1
      } else if ("0"..."9").contains(c)
        || (c == "-" && i + 1 < s.count && (("0"..."9").contains(s[i + 1]) || s[i + 1] == "."))
        || (c == "." && i + 1 < s.count && ("0"..."9").contains(s[i + 1]))
      {
        var j = i + 1
        while j < s.count
          && (("0"..."9").contains(s[j]) || s[j] == "." || s[j] == "e" || s[j] == "E"
            || ((s[j] == "-" || s[j] == "+") && (s[j - 1] == "e" || s[j - 1] == "E")))
        {
          j += 1
        }
        tokens.append(
          Token(kind: .number, text: String(String.UnicodeScalarView(s[i..<j])), start: i, end: j))
        i = j
      } else if c.properties.isAlphabetic || c == "_" {
        var j = i + 1
        while j < s.count && isIdentifier(s[j]) { j += 1 }
        tokens.append(Token(kind: .word, text: String(String.UnicodeScalarView(s[i..<j])), start: i, end: j))
        i = j
      } else if c == "<" || c == ">" {
        if i + 1 < s.count && (s[i + 1] == "=" || (c == "<" && s[i + 1] == ">")) {
          tokens.append(Token(kind: .symbol, text: String(c) + String(s[i + 1]), start: i, end: i + 2))
          i += 2
        } else {
          tokens.append(Token(kind: .symbol, text: String(c), start: i, end: i + 1))
          i += 1
        }
      } else if "()=,".unicodeScalars.contains(c) {
        tokens.append(Token(kind: .symbol, text: String(c), start: i, end: i + 1))
        i += 1
      } else {
        throw ParseError(es: "carácter inesperado «\(c)»", en: "unexpected character \"\(c)\"")
      }
    }
    return tokens
  }

  // MARK: Grammar

  struct Parser {
    let tokens: [Token]
    let source: [Unicode.Scalar]
    var position = 0
    var values: [FilterValue] = []

    var current: Token? { position < tokens.count ? tokens[position] : nil }

    mutating func bind(_ value: FilterValue) -> String {
      values.append(value)
      return "{\(values.count - 1)}"
    }

    mutating func expect(_ symbol: String) throws {
      guard let token = current, token.kind == .symbol, token.text == symbol else {
        throw ParseError(
          es: "se esperaba «\(symbol)»\(current.map { " y llegó «\($0.text)»" } ?? " al final")",
          en: "expected \"\(symbol)\"\(current.map { " but found \"\($0.text)\"" } ?? " at the end")")
      }
      position += 1
    }

    mutating func expression() throws -> String {
      var left = try conjunction()
      while current?.isWord("OR") == true {
        position += 1
        left = "(\(left) OR \(try conjunction()))"
      }
      return left
    }

    mutating func conjunction() throws -> String {
      var left = try negation()
      while current?.isWord("AND") == true {
        position += 1
        left = "(\(left) AND \(try negation()))"
      }
      return left
    }

    mutating func negation() throws -> String {
      if current?.isWord("NOT") == true {
        position += 1
        return "(NOT \(try negation()))"
      }
      return try primary()
    }

    mutating func primary() throws -> String {
      guard let token = current else {
        throw ParseError(es: "el filtro termina antes de tiempo", en: "the filter ends too early")
      }
      if token.kind == .symbol && token.text == "(" {
        position += 1
        let inner = try expression()
        try expect(")")
        return inner
      }
      if token.isWord("S_INTERSECTS") || token.isWord("INTERSECTS") {
        position += 1
        try expect("(")
        let first = try spatialArgument()
        try expect(",")
        let second = try spatialArgument()
        try expect(")")
        return "ST_Intersects(\(first), \(second))"
      }
      let property = try self.property()
      guard let next = current else {
        throw ParseError(
          es: "falta un operador tras «\(property.name)»",
          en: "missing an operator after \"\(property.name)\"")
      }
      var negated = false
      if next.isWord("NOT") {
        negated = true
        position += 1
      }
      if current?.isWord("LIKE") == true {
        position += 1
        guard let pattern = current, pattern.kind == .string else {
          throw ParseError(es: "LIKE necesita una cadena", en: "LIKE needs a string")
        }
        position += 1
        return "(\(negated ? "NOT " : "")(\(property.text) LIKE \(bind(.text(pattern.text)))))"
      }
      if current?.isWord("IN") == true {
        position += 1
        try expect("(")
        var texts: [String] = []
        var numbers: [Double] = []
        while true {
          guard let item = current else {
            throw ParseError(es: "lista IN sin cerrar", en: "unclosed IN list")
          }
          switch item.kind {
          case .string: texts.append(item.text)
          case .number:
            guard let number = Double(item.text) else {
              throw ParseError(es: "número inválido «\(item.text)»", en: "invalid number \"\(item.text)\"")
            }
            numbers.append(number)
          default: throw ParseError(es: "IN admite cadenas o números", en: "IN takes strings or numbers")
          }
          position += 1
          if current?.text == "," {
            position += 1
            continue
          }
          try expect(")")
          break
        }
        guard texts.isEmpty || numbers.isEmpty else {
          throw ParseError(es: "IN no mezcla cadenas y números", en: "IN does not mix strings and numbers")
        }
        let test =
          numbers.isEmpty
          ? "\(property.text) = ANY(\(bind(.texts(texts)))::text[])"
          : "\(property.number) = ANY(\(bind(.numbers(numbers)))::float8[])"
        return "(\(negated ? "NOT " : "")coalesce(\(test), false))"
      }
      if negated {
        throw ParseError(
          es: "NOT solo va antes de LIKE o IN aquí", en: "NOT only goes before LIKE or IN here")
      }
      if current?.isWord("IS") == true {
        position += 1
        var not = false
        if current?.isWord("NOT") == true {
          not = true
          position += 1
        }
        guard current?.isWord("NULL") == true else {
          throw ParseError(es: "se esperaba IS [NOT] NULL", en: "expected IS [NOT] NULL")
        }
        position += 1
        return "(coalesce(jsonb_typeof(\(property.json)), 'null') \(not ? "<>" : "=") 'null')"
      }
      guard let op = current, op.kind == .symbol, ["=", "<>", "<", ">", "<=", ">="].contains(op.text) else {
        throw ParseError(
          es: "operador no admitido tras «\(property.name)»",
          en: "unsupported operator after \"\(property.name)\"")
      }
      position += 1
      guard let literal = current else { throw ParseError(es: "falta el valor", en: "missing the value") }
      position += 1
      switch literal.kind {
      case .string:
        return "(\(property.text) \(op.text) \(bind(.text(literal.text))))"
      case .number:
        guard let number = Double(literal.text) else {
          throw ParseError(es: "número inválido «\(literal.text)»", en: "invalid number \"\(literal.text)\"")
        }
        return "(\(property.number) \(op.text) \(bind(.number(number)))::float8)"
      case .word where literal.isWord("TRUE") || literal.isWord("FALSE"):
        return "(\(property.text) \(op.text) \(bind(.text(literal.text.lowercased()))))"
      default:
        throw ParseError(
          es: "valor no admitido «\(literal.text)»", en: "unsupported value \"\(literal.text)\"")
      }
    }

    struct Property {
      var name: String
      var json: String
      var text: String { "(\(json.replacingOccurrences(of: "->'", with: "->>'")))" }
      var number: String {
        "(CASE WHEN jsonb_typeof(\(json)) = 'number' THEN (\(json))::text::float8 END)"
      }
    }

    mutating func property() throws -> Property {
      guard let token = current, token.kind == .word || token.kind == .quoted else {
        throw ParseError(
          es: "se esperaba el nombre de una propiedad\(current.map { " y llegó «\($0.text)»" } ?? "")",
          en: "expected a property name\(current.map { " but found \"\($0.text)\"" } ?? "")")
      }
      position += 1
      let escaped = token.text.replacingOccurrences(of: "'", with: "''")
      return Property(name: token.text, json: "t.props->'\(escaped)'")
    }

    /// The geometry property, a WKT literal or BBOX(…), as SQL in EPSG:9377.
    mutating func spatialArgument() throws -> String {
      guard let token = current else { throw ParseError(es: "falta una geometría", en: "missing a geometry") }
      let word = token.text.uppercased()
      if token.kind == .word && ["GEOMETRY", "GEOM", "THE_GEOM", "SHAPE"].contains(word) {
        position += 1
        return "t.geom"
      }
      if token.isWord("BBOX") {
        position += 1
        try expect("(")
        var numbers: [Double] = []
        while let item = current, item.kind == .number, let number = Double(item.text) {
          numbers.append(number)
          position += 1
          if current?.text == "," { position += 1 }
        }
        try expect(")")
        guard numbers.count == 4 else {
          throw ParseError(es: "BBOX necesita 4 números", en: "BBOX needs 4 numbers")
        }
        return
          "ST_Transform(ST_MakeEnvelope(\(numbers.map { bind(.number($0)) + "::float8" }.joined(separator: ", ")), 4326), 9377)"
      }
      let wktTypes = [
        "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
        "GEOMETRYCOLLECTION",
      ]
      if token.kind == .word && wktTypes.contains(word) {
        // The literal runs to the parenthesis that closes its first one.
        position += 1
        guard current?.text == "(" else {
          throw ParseError(es: "WKT mal formado tras \(word)", en: "malformed WKT after \(word)")
        }
        var depth = 0
        var end = token.end
        while let t = current {
          if t.text == "(" { depth += 1 }
          if t.text == ")" { depth -= 1 }
          position += 1
          end = t.end
          if depth == 0 { break }
        }
        guard depth == 0 else { throw ParseError(es: "WKT sin cerrar", en: "unclosed WKT") }
        let wkt = String(String.UnicodeScalarView(source[token.start..<end]))
        guard (try? Geometry(wkt: wkt)) != nil else {
          throw ParseError(es: "WKT inválido: \(wkt)", en: "invalid WKT: \(wkt)")
        }
        return "ST_Transform(ST_GeomFromText(\(bind(.text(wkt))), 4326), 9377)"
      }
      throw ParseError(
        es: "se esperaba la geometría, un WKT o BBOX(…) y llegó «\(token.text)»",
        en: "expected the geometry, a WKT or BBOX(…) but found \"\(token.text)\"")
    }
  }
}
