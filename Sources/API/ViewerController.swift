import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/viewer`: a map page for planners, with Leaflet from Debian's `libjs-leaflet` served from
/// its installed path (`NODO_LEAFLET_DIR`, default `/usr/share/javascript/leaflet`).
struct ViewerController<Context: RequestContext>: Sendable {
  let leafletDirectory: URL

  init(leafletDirectory: URL? = nil) {
    self.leafletDirectory =
      leafletDirectory
      ?? URL(
        fileURLWithPath: ProcessInfo.processInfo.environment["NODO_LEAFLET_DIR"]
          ?? "/usr/share/javascript/leaflet")
  }

  func register(on router: Router<Context>) {
    router.get("viewer", use: page)
    router.get("viewer/leaflet/**", use: asset)
  }

  @Sendable func page(_ request: Request, context: Context) async throws -> Response {
    let language = Language(acceptLanguage: request.headers[.acceptLanguage])
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.contentLanguage] = language.rawValue
    return Response(
      status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.html(language))))
  }

  @Sendable func asset(_ request: Request, context: Context) async throws -> Response {
    let relative = context.parameters.getCatchAll().joined(separator: "/")
    guard !relative.contains(".."), !relative.isEmpty else { throw Problem.notFound(path: request.uri.path) }
    let file = leafletDirectory.appendingPathComponent(relative)
    guard let data = FileManager.default.contents(atPath: file.path) else {
      throw Problem(
        status: .notFound, slug: "leaflet-missing",
        title: .init(es: "Falta Leaflet", en: "Leaflet missing"),
        detail: .init(
          es: "No se encontró \(file.path): instale el paquete libjs-leaflet (deploy/bootstrap.sh lo hace).",
          en: "\(file.path) not found: install the libjs-leaflet package (deploy/bootstrap.sh does)."))
    }
    var headers = HTTPFields()
    let types = ["js": "text/javascript", "css": "text/css", "png": "image/png", "map": "application/json"]
    headers[.contentType] = types[file.pathExtension] ?? "application/octet-stream"
    headers[.cacheControl] = "public, max-age=86400"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func html(_ language: Language) -> String {
    let t = { (es: String, en: String) in language.pick(es, en) }
    return """
      <!DOCTYPE html>
      <html lang="\(language.rawValue)"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(t("Visor", "Viewer")) · Nodo AT</title>
      <link rel="icon" href="data:,">
      <link rel="stylesheet" href="/viewer/leaflet/leaflet.css">
      <style>
      html,body{margin:0;height:100%;font-family:system-ui,sans-serif;color:#1d2a33}
      #app{display:flex;height:100%}#map{flex:1;background:#e9eef0}
      #side{width:26rem;overflow:auto;padding:.75rem;border-left:1px solid #ccd;font-size:.85rem}
      table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:.2rem .35rem;text-align:left;vertical-align:top}
      .legend span{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle}
      h1{font-size:1.1rem;margin:.2rem 0}h2{font-size:.95rem;margin:.8rem 0 .3rem}
      </style></head>
      <body><div id="app"><div id="map"></div><div id="side">
      <h1>Nodo AT — \(t("visor de determinantes", "determinants viewer"))</h1>
      <p><label>\(t("Municipio", "Municipality")): <select id="muni"></select></label></p>
      <div id="status">\(t("Cargando…", "Loading…"))</div>
      <h2>\(t("Nivel que prevalece (Ley 2294 de 2023, art. 32)", "Prevailing level (Ley 2294 de 2023, art. 32)"))</h2>
      <div class="legend" id="legend"></div>
      <h2>\(t("Predio", "Parcel"))</h2>
      <div id="parcel">\(t("Acerque el mapa y haga clic en un predio para ver sus afectaciones.", "Zoom in and click a parcel to see its affectations."))</div>
      </div></div>
      <script src="/viewer/leaflet/leaflet.js"></script>
      <script>
      const T = \(language == .es ? "true" : "false") ? {
        faces: "Caras de confluencia", conflicts: "Conflictos POT", parcels: "Predios", boundary: "Límite",
        none: "No hay análisis: ejecute nodo-at analyze o POST /analyses.", level: "nivel",
        resolution: "resolución", determinants: "determinantes", loaded: "cargadas", npn: "NPN",
        area: "Área", restricted: "restringida", free: "libre", prevailing: "nivel que prevalece",
        layer: "Capa / objeto", pct: "% del predio", basis: "Fundamento", noaff: "Sin afectaciones.",
        condicionante: "condicionante"
      } : {
        faces: "Confluence faces", conflicts: "POT conflicts", parcels: "Parcels", boundary: "Boundary",
        none: "No analysis yet: run nodo-at analyze or POST /analyses.", level: "level",
        resolution: "resolution", determinants: "determinants", loaded: "loaded", npn: "NPN",
        area: "Area", restricted: "restricted", free: "free", prevailing: "prevailing level",
        layer: "Layer / object", pct: "% of parcel", basis: "Legal basis", noaff: "No affectations.",
        condicionante: "condicionante"
      };
      const colors = {1: "#1b7837", 2: "#a6dba0", 3: "#9970ab", 4: "#f1a340", 5: "#4393c3", 6: "#d6604d"};
      const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
      document.getElementById("legend").innerHTML = Object.entries(colors)
        .map(([l, c]) => `<div><span style="background:${c}"></span>${T.level} ${l}</div>`).join("") +
        `<div><span style="background:none;border:2px solid #b2182b"></span>${T.conflicts}</div>`;
      const map = L.map("map").setView([4.6, -74.1], 6);
      const control = L.control.layers(null, null, {collapsed: false}).addTo(map);
      let overlays = [], parcelLayer = null, parcelCollection = null;
      async function json(url) {
        const response = await fetch(url, {headers: {Accept: "application/json"}});
        if (!response.ok) throw new Error(url + " → " + response.status);
        return response.json();
      }
      async function all(url) {
        let features = [], next = url;
        while (next) {
          const page = await json(next);
          features = features.concat(page.features);
          const link = (page.links || []).find(l => l.rel === "next");
          next = link ? link.href : null;
        }
        return {type: "FeatureCollection", features};
      }
      async function load(divipola, collections) {
        overlays.forEach(o => { map.removeLayer(o); control.removeLayer(o); });
        overlays = [];
        const status = document.getElementById("status");
        const faces = await all(`/collections/analysis-${divipola}-faces/items?limit=5000`);
        const facesLayer = L.geoJSON(faces, {
          style: f => ({color: "#333", weight: f.properties.determinant_count > 1 ? 1 : 0.3,
            fillColor: colors[f.properties.prevailing_level] || "#999", fillOpacity: f.properties.sliver ? 0.1 : 0.55}),
          onEachFeature: (f, layer) => layer.bindPopup(`<b>${esc(f.properties.resolution)}</b> · ${T.level} ${esc(f.properties.prevailing_level ?? "—")}` +
            `<br>${(f.properties.determinants || []).map(d => esc(d.name) + " (" + esc(d.type) + ")").join("<br>")}` +
            `<br><small>${esc(f.properties.fundamento)}</small>`)
        }).addTo(map);
        const conflicts = await all(`/collections/analysis-${divipola}-conflicts/items?limit=5000`);
        const conflictsLayer = L.geoJSON(conflicts, {
          style: {color: "#b2182b", weight: 2, fillOpacity: 0.05, dashArray: "4 3"},
          onEachFeature: (f, layer) => layer.bindPopup(`<b>${esc(f.properties.quality)}</b> · ${esc(f.properties.unidad)}<br>${esc(f.properties.reason)}<br><small>${esc(f.properties.fundamento)}</small>`)
        }).addTo(map);
        overlays = [facesLayer, conflictsLayer];
        control.addOverlay(facesLayer, T.faces);
        control.addOverlay(conflictsLayer, T.conflicts);
        if (faces.features.length) map.fitBounds(facesLayer.getBounds());
        parcelCollection = collections.find(c => c.kind === "cadastral" && (!c.divipola || c.divipola === divipola));
        status.textContent = `${faces.features.length} ${T.faces.toLowerCase()}, ${conflicts.features.length} ${T.conflicts.toLowerCase()}`;
        refreshParcels();
      }
      async function refreshParcels() {
        if (!parcelCollection || map.getZoom() < 14) { if (parcelLayer) { map.removeLayer(parcelLayer); parcelLayer = null; } return; }
        const b = map.getBounds();
        const page = await json(`/collections/${parcelCollection.id}/items?limit=2000&bbox=${b.getWest()},${b.getSouth()},${b.getEast()},${b.getNorth()}`);
        if (parcelLayer) map.removeLayer(parcelLayer);
        parcelLayer = L.geoJSON(page, {style: {color: "#555", weight: 0.6, fillOpacity: 0},
          onEachFeature: (f, layer) => layer.on("click", () => showParcel(f.properties.npn))}).addTo(map);
      }
      async function showParcel(npn) {
        const box = document.getElementById("parcel");
        if (!npn) { box.textContent = "—"; return; }
        try {
          const r = await json(`/parcels/${npn}/affectations`);
          const p = r.parcel;
          let html = `<p>${T.npn} ${esc(npn)}<br>${T.area} ${p.area_m2.toFixed(1)} m² · ${T.restricted} ${p.restricted_m2.toFixed(1)} m² · ${T.free} ${p.free_m2.toFixed(1)} m² · ${T.prevailing} ${esc(p.prevailing_level ?? "—")}</p>`;
          html += r.affectations.length ? `<table><tr><th>${T.layer}</th><th>${T.level}</th><th>m²</th><th>${T.pct}</th><th>${T.basis}</th></tr>` +
            r.affectations.map(a => `<tr><td>${esc(a.layer)} — ${esc(a.determinant)}</td><td>${esc(a.level ?? T.condicionante)}</td><td>${a.area_m2.toFixed(1)}</td><td>${a.pct_parcel.toFixed(1)}</td><td>${esc(a.legal_basis)}</td></tr>`).join("") + "</table>" : `<p>${T.noaff}</p>`;
          html += `<p><a href="/parcels/${npn}/affectations?f=html" target="_blank">HTML</a> · <a href="/parcels/${npn}/affectations?f=csv">CSV</a> · <a href="/parcels/${npn}/affectations?f=geojson">GeoJSON</a></p>`;
          box.innerHTML = html;
        } catch (e) { box.textContent = String(e.message); }
      }
      map.on("moveend", refreshParcels);
      (async () => {
        const {collections} = await json("/collections");
        const munis = [...new Set(collections.filter(c => c.kind === "faces").map(c => c.divipola))];
        const select = document.getElementById("muni");
        select.innerHTML = munis.map(m => `<option>${esc(m)}</option>`).join("");
        select.onchange = () => load(select.value, collections);
        if (!munis.length) { document.getElementById("status").textContent = T.none; return; }
        const wanted = new URLSearchParams(location.search).get("divipola");
        if (wanted && munis.includes(wanted)) select.value = wanted;
        await load(select.value, collections);
        document.body.dataset.ready = "true";
      })().catch(e => { document.getElementById("status").textContent = String(e.message); document.body.dataset.ready = "error"; });
      </script></body></html>
      """
  }
}
