import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// HTML for the same resources, for people with a browser (OGC API – Features HTML class):
/// the JSON rendered as readable pages with their links.
enum HTMLPage {
  static func escape(_ text: String) -> String {
    var out = ""
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  static func page(title: String, language: Language, body: String) -> Response {
    let html = """
      <!DOCTYPE html>
      <html lang="\(language.rawValue)"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escape(title)) · Nodo AT</title>
      <style>
      body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#1d2a33}
      table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccd;padding:.25rem .5rem;vertical-align:top}
      th{background:#eef2f5;text-align:left}a{color:#0b5cad}code{font-size:.85rem}
      </style></head>
      <body><p><a href="/">Nodo AT</a> · <a href="/collections">\(language.pick("Colecciones", "Collections"))</a> · <a href="/viewer">\(language.pick("Visor", "Viewer"))</a></p>
      <h1>\(escape(title))</h1>
      \(body)
      </body></html>
      """
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.contentLanguage] = language.rawValue
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
  }

  /// Any JSON object: scalars as a table, links as a list, arrays of objects as tables.
  static func resource(title: String, body: [String: Any], language: Language) -> Response {
    page(title: title, language: language, body: render(body))
  }

  static func render(_ value: Any) -> String {
    switch value {
    case let object as [String: Any]:
      var rows = ""
      var links = ""
      for key in object.keys.sorted() {
        if key == "links", let list = object[key] as? [[String: Any]] {
          links =
            "<ul>"
            + list.map { link in
              let href = escape(link["href"] as? String ?? "")
              let label = escape((link["title"] as? String) ?? (link["rel"] as? String ?? href))
              let type = escape(link["type"] as? String ?? "")
              return
                "<li><a href=\"\(href)\">\(label)</a> <small>(\(escape(link["rel"] as? String ?? "")), \(type))</small></li>"
            }.joined() + "</ul>"
          continue
        }
        rows += "<tr><th>\(escape(key))</th><td>\(render(object[key]!))</td></tr>"
      }
      return links + (rows.isEmpty ? "" : "<table>\(rows)</table>")
    case let list as [Any]:
      if list.isEmpty { return "—" }
      return list.map { "<div>\(render($0))</div>" }.joined()
    case let text as String:
      if text.hasPrefix("http://") || text.hasPrefix("https://") {
        return "<a href=\"\(escape(text))\">\(escape(text))</a>"
      }
      return escape(text)
    case let number as NSNumber:
      return escape(number.stringValue)
    default:
      return "—"
    }
  }

  /// Features, a JSON array of GeoJSON Features, as a table of their properties.
  static func items(title: String, features json: String, language: Language) -> Response {
    var columns: [String] = []
    var rows: [(String, [String: Any])] = []
    let features = (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any]) ?? []
    for feature in features {
      guard let object = feature as? [String: Any] else { continue }
      let properties = object["properties"] as? [String: Any] ?? [:]
      for key in properties.keys.sorted() where !columns.contains(key) { columns.append(key) }
      rows.append(("\(object["id"] ?? "")", properties))
    }
    var table = "<p>\(features.count) \(language.pick("entidades", "features"))</p><table><tr><th>id</th>"
    table += columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
    for (id, properties) in rows {
      table +=
        "<tr><td>\(escape(id))</td>" + columns.map { "<td>\(properties[$0].map(render) ?? "")</td>" }.joined()
        + "</tr>"
    }
    table += "</table>"
    return page(title: title, language: language, body: table)
  }
}
