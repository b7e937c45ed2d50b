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


# The layer builder. A payload is one theme (or the boundaries), compact and dictionary-encoded:
#   k: kinds (0 point, 1 line, 2 polygon), g: coordinates as [lat, lon] (nested for lines/polygons),
#   y: style index per feature, st: styles (Leaflet path options), c: popup columns, each a list of
#   strings or {u: distinct strings, i: index per feature}, all HTML-escaped on the server;
#   c[0] is the tooltip; t: popup template with \u0001N\u0001 placeholders for column N;
#   cl: cluster the points (Leaflet.markercluster).
# Every string reaching the DOM was escaped in Python; this code only puts them into a
# template that mapview.popup_html itself renders.
ATLAS_JS = r"""
(function () {
  function cell(col, i) { return Array.isArray(col) ? col[i] : col.u[col.i[i]]; }
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
  window.atlasLayer = function (p) {
    var clustered = p.cl && L.markerClusterGroup;
    var group = clustered
      ? L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false})
      : L.featureGroup();
    var points = [];
    for (var i = 0; i < p.k.length; i++) {
      var opts = Object.assign({atlasRow: i}, p.st[p.y[i]]);
      var layer = p.k[i] === 0 ? L.circleMarker(p.g[i], opts)
                : p.k[i] === 1 ? L.polyline(p.g[i], opts) : L.polygon(p.g[i], opts);
      layer.atlasKind = p.k[i];
      if (clustered && p.k[i] === 0) { points.push(layer); } else { group.addLayer(layer); }
    }
    if (points.length) { group.addLayers(points); }
    if (p.t && p.c.length) {
      group.bindPopup(function (layer) {
        var i = layer.options.atlasRow;
        return p.t.replace(/\u0001(\d+)\u0001/g, function (_, n) { return cell(p.c[+n], i); });
      }, {maxWidth: 380, minWidth: 260});
      group.bindTooltip(function (layer) { return cell(p.c[0], layer.options.atlasRow); },
                        {sticky: true, direction: "top"});
    }
    group.atlasKinds = p.k;
    group.atlasBase = !p.t;
    group.on("add", function () {
      var map = group._map;
      clearTimeout(map.atlasReorder);
      map.atlasReorder = setTimeout(function () { reorder(map); }, 0);
    });
    (window.atlasLayers = window.atlasLayers || []).push(group);  // for tests and tools
    return group;
  };
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
