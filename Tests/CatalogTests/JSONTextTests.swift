import Catalog
import Foundation
import Testing

@Suite("JSON text written by hand")
struct JSONTextTests {
  @Test("strings come back unchanged through a JSON parser, escapes and all")
  func roundTrip() throws {
    for text in ["plain", "Ñandú «comillas»", "a\"b\\c", "line\nbreak\ttab\r", "\u{1}\u{1F}", ""] {
      let json = JSONText.quoted(text)
      let parsed = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
      #expect(parsed == [text], "\(json)")
    }
    #expect(JSONText.quoted("a\"b") == "\"a\\\"b\"")
  }
}
