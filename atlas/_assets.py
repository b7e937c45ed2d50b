"""Offline web assets for the map: Leaflet and Leaflet.markercluster from the XStatic packages.

Every asset is returned as a `data:` URI, so the same folium map works as a standalone HTML file
and inside the streamlit-folium component (which loads `default_js`/`default_css` entries as
`<script src>`/`<link href>`) with no network at all. Images that Leaflet's CSS refers to are
inlined into the CSS the same way. `ATLAS_JS` is our own small layer builder (see mapview).
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

import xstatic.pkg.leaflet as _leaflet
import xstatic.pkg.leaflet_markercluster as _markercluster

LEAFLET_DIR = Path(_leaflet.BASE_DIR)
MARKERCLUSTER_DIR = Path(_markercluster.BASE_DIR)

_MIME = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def data_uri(data: bytes, mime: str) -> str:
    """`data:` URI (base64) holding `data`."""
    return f"data:{mime};charset=utf-8;base64,{base64.b64encode(data).decode('ascii')}"


@functools.cache
def file_uri(path: Path) -> str:
    """`data:` URI of a JS/CSS/PNG file; relative `url(images/…)` in CSS are inlined too."""
    data = path.read_bytes()
    if path.suffix == ".css":
        def inline(match: re.Match) -> str:
            target = path.parent / match.group(1)
            return f"url({data_uri(target.read_bytes(), _MIME[target.suffix])})"

        data = re.sub(r"url\((images/[^)]+\.png)\)", inline, data.decode("utf-8")).encode("utf-8")
    return data_uri(data, _MIME[path.suffix])


@functools.cache
def atlas_js_uri() -> str:
    return data_uri(ATLAS_JS.encode(), "text/javascript")


def leaflet_js() -> list[tuple[str, str]]:
    """`default_js` entries for a folium.Map: Leaflet and our layer builder, no jQuery/Bootstrap."""
    return [("leaflet", file_uri(LEAFLET_DIR / "leaflet.js")), ("atlas_layer", atlas_js_uri())]


def leaflet_css() -> list[tuple[str, str]]:
    return [("leaflet_css", file_uri(LEAFLET_DIR / "leaflet.css"))]


def markercluster_js() -> list[tuple[str, str]]:
    return [("markercluster_js", file_uri(MARKERCLUSTER_DIR / "leaflet.markercluster.js"))]


def markercluster_css() -> list[tuple[str, str]]:
    return [("markercluster_css", file_uri(MARKERCLUSTER_DIR / "MarkerCluster.css")),
            ("markercluster_default_css", file_uri(MARKERCLUSTER_DIR / "MarkerCluster.Default.css"))]


# The layer builder. A payload is one theme (or the base outlines), compact and dictionary-encoded:
#   y: one char per feature, the style index kind * 2 + coarse (kind 0 point, 1 line, 2 zone);
#   p: point coordinates, flat integers lat, lon * 1e5, in feature order; g: the lines and zones in
#   feature order, nested as Leaflet nests coordinates, each ring an encoded polyline (Google's
#   format) of precision f decimals; st: styles (Leaflet path options);
#   c: popup columns, each a list of strings, {u: distinct strings, s: one CODES char per
#   feature}, {u, i: index per feature} or {u: [constant]}, all HTML-escaped on the server;
#   c[0] is the tooltip; t: popup template with \u0001N\u0001 placeholders for column N;
#   cl: cluster the points (Leaflet.markercluster); n: name in the layer control (escaped HTML);
#   z: when present, y/p/g/c travel as base64 gzip'd JSON, inflated here (DecompressionStream).
# Every string reaching the DOM was escaped in Python; this code only puts them into a
# template that mapview.popup_html itself renders.
ATLAS_JS = r"""
(function () {
  var CODES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-", CODE = {};
  for (var c = 0; c < CODES.length; c++) { CODE[CODES.charCodeAt(c)] = c; }
  function cell(col, i) {
    return Array.isArray(col) ? col[i] : col.s !== undefined ? col.u[CODE[col.s.charCodeAt(i)]]
         : col.i ? col.u[col.i[i]] : col.u[0];
  }
  function polyline(text, scale) {  // [[lat, lng], ...] of an encoded polyline
    var out = [], i = 0, lat = 0, lng = 0;
    function next() {
      var value = 0, shift = 0, group;
      do { group = text.charCodeAt(i++) - 63; value |= (group & 31) << shift; shift += 5; } while (group >= 32);
      return value & 1 ? ~(value >> 1) : value >> 1;
    }
    while (i < text.length) { lat += next(); lng += next(); out.push([lat / scale, lng / scale]); }
    return out;
  }
  function shape(nested, scale) {
    return typeof nested === "string" ? polyline(nested, scale)
         : nested.map(function (n) { return shape(n, scale); });
  }
  function inflate(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).json();
  }
  // One canvas draws everything in insertion order, and its hit test picks the last drawn
  // feature. Keep points clickable on top: lines to the back, then zones, then the outlines.
  function reorder(map) {
    var groups = (window.atlasLayers || []).filter(function (g) { return g._map === map; });
    [1, 2].forEach(function (kind) {
      groups.forEach(function (g) {
        if (!g.atlasBase) { g.eachLayer(function (l) { if (l.atlasKind === kind) { l.bringToBack(); } }); }
      });
    });
    groups.forEach(function (g) { if (g.atlasBase) { g.eachLayer(function (l) { l.bringToBack(); }); } });
  }
  function scheduleReorder(map) {
    if (!map) { return; }
    clearTimeout(map.atlasReorder);
    map.atlasReorder = setTimeout(function () { reorder(map); }, 0);
  }
  function fill(group, p, d, clustered) {
    var points = [], np = 0, ng = 0, scale = Math.pow(10, p.f);
    for (var i = 0; i < d.y.length; i++) {
      var code = d.y.charCodeAt(i) - 48, kind = code >> 1, layer;
      var opts = Object.assign({atlasRow: i}, p.st[code]);
      if (kind === 0) { layer = L.circleMarker([d.p[2 * np] / 1e5, d.p[2 * np + 1] / 1e5], opts); np++; }
      else { layer = (kind === 1 ? L.polyline : L.polygon)(shape(d.g[ng], scale), opts); ng++; }
      layer.atlasKind = kind;
      if (clustered && kind === 0) { points.push(layer); } else { group.addLayer(layer); }
    }
    if (points.length) { group.addLayers(points); }
    scheduleReorder(group._map);
  }
  window.atlasLayer = function (p) {
    var clustered = p.cl && L.markerClusterGroup;
    var group = clustered
      ? L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false})
      : L.featureGroup();
    var data = null;
    if (p.z) { inflate(p.z).then(function (d) { data = d; fill(group, p, d, clustered); }); }
    else { data = p; fill(group, p, p, clustered); }
    if (p.t) {
      group.bindPopup(function (layer) {
        var i = layer.options.atlasRow;
        return p.t.replace(/\u0001(\d+)\u0001/g, function (_, n) { return cell(data.c[+n], i); });
      }, {maxWidth: 380, minWidth: 260});
      group.bindTooltip(function (layer) { return cell(data.c[0], layer.options.atlasRow); },
                        {sticky: true, direction: "top"});
    }
    group.atlasBase = !p.t;
    group.atlasName = p.n || "";
    group.atlasTheme = p.th || "";
    group.on("add", function () { scheduleReorder(group._map); });
    (window.atlasLayers = window.atlasLayers || []).push(group);  // for tests and tools
    return group;
  };
  // All theme layers of one selection, as one Leaflet layer: adding it draws the themes (those the
  // user had switched off stay off) and a layer control listing the base outlines and the themes;
  // removing it (streamlit-folium does on a filter change) removes both, the base map stays.
  var Themes = L.Layer.extend({
    initialize: function (items) { this._groups = items.map(window.atlasLayer); },
    onAdd: function (map) {
      var hidden = map.atlasHidden = map.atlasHidden || {};
      var control = this._control = L.control.layers(null, null, {collapsed: false, position: "topright"});
      (window.atlasLayers || []).forEach(function (g) {
        if (g.atlasBase && g._map === map) { control.addOverlay(g, g.atlasName); }
      });
      this._groups.forEach(function (g) {
        if (!hidden[g.atlasTheme]) { map.addLayer(g); }
        control.addOverlay(g, g.atlasName);
      });
      control.addTo(map);
      this._toggle = function (e) {
        if (e.layer.atlasTheme) { hidden[e.layer.atlasTheme] = e.type === "overlayremove"; }
      };
      map.on("overlayadd overlayremove", this._toggle);
      // Tell an embedding page that the map has drawn its selection, even an empty one (the app's
      // MAP_DRAWN_JS then lays out the filters, which would otherwise hold up the map).
      if (window.parent !== window) { window.parent.postMessage({atlas: "drawn"}, "*"); }
    },
    onRemove: function (map) {
      var groups = this._groups;
      map.off("overlayadd overlayremove", this._toggle);
      map.removeControl(this._control);
      groups.forEach(function (g) { map.removeLayer(g); });
      window.atlasLayers = (window.atlasLayers || []).filter(function (g) { return groups.indexOf(g) < 0; });
    }
  });
  window.atlasThemes = function (items) { return new Themes(items); };
  window.atlasLegend = function (html, position) {
    var c = L.control({position: position || "bottomleft"});
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "atlas-legend");
      d.innerHTML = html;
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    return c;
  };
})();
"""


# An st.components.v2 component of the app page: its state value "drawn" becomes "map" when the
# map (ATLAS_JS, in streamlit-folium's same-origin iframe) posts {atlas: "drawn"}, or "fallback"
# after data.fallback_ms if no map ever says so. The reason is kept in window.atlasMapDrawn for
# tests and tools.
MAP_DRAWN_JS = r"""
export default function ({ data, setStateValue }) {
  let done = false;
  const onMessage = (event) => {
    if (event.origin === window.location.origin && event.data && event.data.atlas === "drawn") { finish("map"); }
  };
  const timer = setTimeout(() => finish("fallback"), data.fallback_ms);
  function stop() { window.removeEventListener("message", onMessage); clearTimeout(timer); }
  function finish(reason) {
    if (done) { return; }
    done = true;
    stop();
    window.atlasMapDrawn = reason;
    setStateValue("drawn", reason);
  }
  window.addEventListener("message", onMessage);
  return stop;
}
"""
