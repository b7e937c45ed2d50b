"""The web map: a folium.Map of the atlas features that works with no network.

`make_map(gdf)` draws one toggleable layer per theme (colours from schema.THEMES): lines as
lines, zones as filled outlines, points as circle markers, and anything located only to a
province or an estimated region (geom_precision >= 4) dashed and hollow so it never looks like a
precise site. The base is the shipped province and county outlines (geodata/boundaries.gpkg);
tiles are optional on top. Leaflet comes inlined from the XStatic packages (atlas._assets), so
the standalone HTML and the streamlit-folium component load nothing from a CDN.

Features travel to the browser compact and dictionary-encoded (see atlas._assets.ATLAS_JS): each
distinct, already html.escape'd string once, and popups filled from a template that
`popup_html` renders; point coordinates as integers, lines, zones and outlines simplified for
drawing and sent as encoded polylines, and a theme over GZIP_MIN_CHARS gzip'd. That keeps 100,000
points to ~3 MB and the real atlas (outlines included) to ~0.5 MB. `base_map` and
`theme_layers` are the two halves of `make_map`: the app keeps the base map across reruns and
swaps only the theme layers (streamlit-folium's feature_group_to_add). No streamlit import here.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from folium.template import Template

from atlas import _assets
from atlas.i18n import precision_label, provinces_label, status_label, text, theme_label
from atlas.models import PROVINCES
from atlas.schema import THEMES
from atlas.settings import GEODATA_DIR

BASEMAPS = ("offline", "osm", "tianditu", "amap")
BOUNDARIES_GPKG = GEODATA_DIR / "boundaries.gpkg"
COARSE_PRECISION = 4  # geom_precision at or above this is drawn dashed and hollow
CLUSTER_MIN_POINTS = 3000  # a theme with more points than this clusters them (None: auto)
REGION_CENTER = (45.5, 124.5)  # lat, lon: the middle of the four provinces
COORD_DECIMALS = 5  # ~1 m, for points (sent as integers: degrees * 10**5)
SHAPE_DECIMALS = 4  # ~10 m, for the vertices of lines and zones
SHAPE_TOLERANCE = 0.01  # degrees (~1 km, as the outlines): lines and zones simplified for drawing only
GZIP_MIN_CHARS = 1_000_000  # a theme payload larger than this travels gzip'd (inflated in the browser)
CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"  # one char per code
BOUNDARY_TOLERANCE = 0.01  # degrees (~1 km) for the drawn outlines
BOUNDARY_DECIMALS = 3  # ~100 m, matching the simplification
BASE_BBOX = (110.0, 35.0, 138.0, 56.0)  # lon/lat box of the outlines drawn around the region
UNKNOWN_COLOUR = "#666666"

_POPUP_CSS = """<style>
.atlas-popup{font:13px/1.35 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-height:340px;overflow:auto}
.atlas-popup h4{margin:0 0 2px;font-size:15px}
.atlas-popup .atlas-sub{color:#555;margin-bottom:6px}
.atlas-popup table{border-collapse:collapse;margin-bottom:6px}
.atlas-popup th{text-align:left;color:#555;font-weight:normal;padding:1px 8px 1px 0;vertical-align:top;white-space:nowrap}
.atlas-popup td{padding:1px 0}
.atlas-popup blockquote{margin:4px 0;padding:4px 8px;border-left:3px solid #bbb;background:#f7f7f7;white-space:pre-wrap}
.atlas-legend{background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;font:12px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.atlas-swatch{display:inline-block;width:18px;height:10px;margin-right:5px;vertical-align:middle}
.leaflet-container.atlas-offline{background:#eef2f4}
</style>"""


# ---------------------------------------------------------------- popups

# Popup rows: (index into the value list, label key); value 0 is the displayed name (also the
# tooltip), 1 the name in the other language, 9 the section and 10/11 the verbatim texts.
_POPUP_TABLE = (("id", 2), ("theme", 3), ("subtype", 4), ("provinces", 5), ("status", 6),
                ("precision", 7), ("matched", 8), ("document", 12))


def _map_unique(values: pd.Series, label: Any) -> pd.Series:
    """`label` applied once per distinct value (fast on 100k rows of a few distinct values)."""
    codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
    labels = np.array([label(u) for u in uniques] + [""], dtype=object)
    return pd.Series(labels[codes], index=values.index, dtype=object)


def popup_values(rows: pd.DataFrame, lang: str = "zh") -> list[pd.Series]:
    """The 13 popup values of every row, as plain (unescaped) strings, in template order."""
    def col(name: str) -> pd.Series:
        # numpy object arrays throughout: pandas' Arrow-backed str dtype would be converted back
        # and forth on every step (half of make_map's time at 100k rows)
        if name not in rows:
            return pd.Series(np.full(len(rows), "", dtype=object), index=rows.index, dtype=object)
        column = rows[name]
        if column.dtype.kind in "biu":  # integers and booleans never hold NA: numpy formats them
            values = column.to_numpy().astype(str).astype(object)
        else:
            values = column.to_numpy(dtype=object, na_value="")
            if not isinstance(column.dtype, pd.StringDtype):  # floats, mixed objects
                values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
        return pd.Series(values, index=rows.index, dtype=object)

    zh, en = col("name_zh"), col("name_en")
    shown, other = (en.where(en != "", zh), zh) if lang == "en" else (zh, en)
    dash = text("not_reported", lang)
    schematic_note = f"；{text('schematic', lang)}"

    def precision_text(key: str) -> str:
        code, schematic = key.split("|")
        return precision_label(_int_or_none(code or None), lang) + (schematic_note if schematic in ("1", "True") else "")

    precision = col("geom_precision").str.replace(r"\.0$", "", regex=True)
    def or_dash(s: pd.Series) -> pd.Series:
        return s.where(s != "", dash)

    return [shown, or_dash(other), col("id"), _map_unique(col("theme"), lambda t: theme_label(t, lang)),
            or_dash(col("subtype")), or_dash(_map_unique(col("provinces"), lambda p: provinces_label(p, lang))),
            _map_unique(col("status_2010"), lambda s: status_label(s, lang)),
            _map_unique(precision + "|" + col("schematic"), precision_text),
            or_dash(col("geocode_match")), or_dash(col("source_section")), or_dash(col("source_text")),
            or_dash(col("evidence_2010")), or_dash(col("source_doc"))]


def _render_popup(values: list[str], lang: str) -> str:
    """Popup markup around values that are already HTML-safe (escaped text or placeholders)."""
    rows = "".join(f"<tr><th>{html.escape(text(key, lang))}</th><td>{values[i]}</td></tr>"
                   for key, i in _POPUP_TABLE)
    return (f'<div class="atlas-popup"><h4>{values[0]}</h4><div class="atlas-sub">{values[1]}</div>'
            f"<table>{rows}</table>"
            f"<div><b>{html.escape(text('source_text', lang))}</b> · {values[9]}</div>"
            f"<blockquote>{values[10]}</blockquote>"
            f"<div><b>{html.escape(text('evidence_2010', lang))}</b></div><blockquote>{values[11]}</blockquote></div>")


def popup_html(row: Mapping[str, Any] | pd.Series, lang: str = "zh") -> str:
    """Popup HTML of one feature: names, subtype, provinces, status, precision with its meaning,
    what it was matched to, the verbatim source text and its section path. All text escaped."""
    frame = pd.DataFrame([dict(row)])
    values = [html.escape(str(v.iloc[0])) for v in popup_values(frame, lang)]
    return _render_popup(values, lang)


def popup_template(lang: str = "zh") -> str:
    """The popup markup with \\u0001N\\u0001 placeholders, filled in the browser from escaped values."""
    return _render_popup([f"\u0001{i}\u0001" for i in range(13)], lang)


def feature_name(row: Mapping[str, Any], lang: str = "zh") -> str:
    """The name to show in `lang` (English falls back to Chinese); plain text, not escaped."""
    if lang == "en" and str(row.get("name_en") or "").strip():
        return str(row["name_en"])
    return str(row.get("name_zh") or "")


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- geometry encoding

def _rings(geom: Any) -> tuple[int, Any, list[np.ndarray]]:
    """(kind, nesting, rings) of a line or zone: kind 1 (multi)line, 2 (multi)polygon; `nesting`
    mirrors Leaflet's coordinate nesting with the index of each ring (lon/lat array) in `rings`."""
    rings: list[np.ndarray] = []

    def ring(coords: Any) -> int:
        rings.append(np.asarray(coords)[:, :2])
        return len(rings) - 1

    def polygon(poly: Any) -> list[int]:
        return [ring(poly.exterior.coords), *(ring(r.coords) for r in poly.interiors)]

    kind = geom.geom_type
    if kind == "LineString":
        return 1, ring(geom.coords), rings
    if kind == "MultiLineString":
        return 1, [ring(part.coords) for part in geom.geoms], rings
    if kind == "Polygon":
        return 2, polygon(geom), rings
    if kind == "MultiPolygon":
        return 2, [polygon(part) for part in geom.geoms], rings
    msg = f"Cannot draw geometry type {kind!r}."
    raise ValueError(msg)


def encode_polylines(rings: list[np.ndarray], decimals: int) -> list[str]:
    """Each lon/lat array as an encoded polyline (Google's format: lat, lng of each vertex
    rounded to `decimals`, as deltas from the previous vertex, zigzag, in 5-bit groups + 63),
    all rings in one numpy pass. About 5 characters a vertex instead of ~19 as JSON numbers."""
    if not rings:
        return []
    lengths = np.array([len(r) for r in rings])
    latlng = np.rint(np.concatenate(rings)[:, 1::-1] * 10.0 ** decimals).astype(np.int64)
    deltas = latlng.copy()
    deltas[1:] -= latlng[:-1]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    deltas[starts] = latlng[starts]  # each ring starts from zero
    values = ((deltas << 1) ^ (deltas >> 63)).ravel()  # zigzag: small magnitudes, small codes
    shifts = 5 * np.arange(7)  # 7 groups of 5 bits hold any int32
    more = (values[:, None] >> (shifts + 5)) > 0  # another group follows
    chars = (((values[:, None] >> shifts) & 31) | (more << 5)) + 63
    keep = np.column_stack([np.ones(len(values), bool), more[:, :-1]])
    text = chars[keep].astype(np.uint8).tobytes().decode("ascii")
    per_vertex = keep.sum(axis=1).reshape(-1, 2).sum(axis=1)
    ends = np.cumsum(np.add.reduceat(per_vertex, starts))
    return [text[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def decode_polyline(encoded: str, decimals: int) -> list[list[float]]:
    """[[lat, lng], ...] of an encoded polyline (inverse of `encode_polylines`)."""
    out, values, value, shift = [], [], 0, 0
    for char in encoded:
        group = ord(char) - 63
        value |= (group & 31) << shift
        shift += 5
        if group < 32:
            values.append(~(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    lat = lng = 0
    for dlat, dlng in zip(values[::2], values[1::2]):
        lat, lng = lat + dlat, lng + dlng
        out.append([lat / 10 ** decimals, lng / 10 ** decimals])
    return out


def _encode_shapes(geoms: Iterable[Any], decimals: int) -> tuple[list[int], list[Any]]:
    """(kind per geometry, Leaflet nesting with each ring an encoded polyline) of lines and zones."""
    kinds, nestings, rings = [], [], []
    for geom in geoms:
        kind, nesting, own = _rings(geom)
        offset = len(rings)
        rings += own
        kinds.append(kind)
        nestings.append(_map_nesting(nesting, lambda i, o=offset: i + o))
    encoded = encode_polylines(rings, decimals)
    return kinds, [_map_nesting(n, encoded.__getitem__) for n in nestings]


def _map_nesting(nesting: Any, leaf: Any) -> Any:
    """`nesting` (lists of lists of ...) with `leaf` applied to every item that is not a list."""
    return [_map_nesting(n, leaf) for n in nesting] if isinstance(nesting, list) else leaf(nesting)


def _drawable(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows with a non-empty geometry; multipoints split into points (same attributes)."""
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if (gdf.geom_type == "MultiPoint").any() or (gdf.geom_type == "GeometryCollection").any():
        gdf = gdf.explode(index_parts=False)
        gdf = gdf[gdf.geom_type != "GeometryCollection"]
    return gdf


def _styles(colour: str) -> list[dict[str, Any]]:
    """Leaflet path options indexed by kind * 2 + coarse (point, line, polygon) x (fine, coarse)."""
    return [
        {"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 0.9},
        {"radius": 8, "color": colour, "weight": 2, "dashArray": "3 3", "fillColor": colour, "fillOpacity": 0.12},
        {"color": colour, "weight": 3, "opacity": 0.9},
        {"color": colour, "weight": 3, "opacity": 0.8, "dashArray": "8 6"},
        {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.2},
        {"color": colour, "weight": 1.5, "dashArray": "6 4", "fillColor": colour, "fillOpacity": 0.07},
    ]


def _escape_all(texts: list[str]) -> list[str]:
    """html.escape of every text, done in one pass over their join (the separator \x00 is
    not changed by escaping and cannot occur in plan text)."""
    if not texts:
        return []
    if any("\x00" in t for t in texts):
        return [html.escape(t) for t in texts]
    return html.escape("\x00".join(texts)).split("\x00")


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per value, the distinct values html.escape'd): a popup column factorized and escaped
    once for all rows, so each theme only re-numbers integer codes."""
    codes, uniques = pd.factorize(values, sort=False)
    return codes, np.array(_escape_all([str(u) for u in uniques]), dtype=object)


def _encode_column(codes: np.ndarray, escaped_uniques: np.ndarray) -> Any:
    """The escaped strings of one popup column (`_factorize` output, or a row subset of its codes)
    in the most compact of four forms (see ATLAS_JS): {"u": [v]} when constant, {"u": uniques,
    "s": one CODE_ALPHABET char per feature} for up to 64 distinct values, {"u": uniques, "i":
    codes} when values repeat, else a plain list. Uniques are in order of first appearance."""
    codes, first = pd.factorize(codes, sort=False)
    escaped = escaped_uniques[first].tolist()
    if len(escaped) <= 1:
        return {"u": escaped or [""]}
    if len(escaped) <= len(CODE_ALPHABET):
        return {"u": escaped, "s": "".join(np.array(list(CODE_ALPHABET))[codes].tolist())}
    if len(escaped) > len(codes) // 2:
        return np.array(escaped, dtype=object)[codes].tolist()
    return {"u": escaped, "i": codes.tolist()}


def _geometries(geoms: np.ndarray) -> tuple[np.ndarray, list[int], list[Any]]:
    """(kinds, point coordinates as flat integers lat, lon * 10**COORD_DECIMALS, the lines and
    zones simplified by SHAPE_TOLERANCE for drawing, their rings as encoded polylines)."""
    type_ids = shapely.get_type_id(geoms)
    is_point = type_ids == 0
    kinds = np.where(is_point, 0, np.where(np.isin(type_ids, (1, 2, 5)), 1, 2))
    scale = 10 ** COORD_DECIMALS
    points = np.rint(shapely.get_coordinates(geoms[is_point])[:, ::-1] * scale).astype(np.int64).ravel().tolist()
    shapes = shapely.simplify(geoms[~is_point], SHAPE_TOLERANCE, preserve_topology=True)
    return kinds, points, _encode_shapes(shapes, SHAPE_DECIMALS)[1]


def _theme_data(gdf: gpd.GeoDataFrame, columns: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """The per-feature part of a theme payload: y (style code per feature, one char: kind*2 +
    coarse), p (point coordinates), g (line/zone coordinates), c (popup columns)."""
    kinds, points, shapes = _geometries(gdf.geometry.values)
    precision = pd.to_numeric(gdf["geom_precision"], errors="coerce").fillna(0).to_numpy() \
        if "geom_precision" in gdf else np.zeros(len(gdf))
    styles = kinds * 2 + (precision >= COARSE_PRECISION)
    return {"y": "".join(styles.astype(str).tolist()), "p": points, "g": shapes,
            "c": [_encode_column(codes, escaped) for codes, escaped in columns]}


def _pack(data: dict) -> dict:
    """`data` as is, or as {"z": base64 gzip of its JSON} when large (deterministic: mtime 0)."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(raw) < GZIP_MIN_CHARS:
        return data
    packed = gzip.compress(raw.encode("utf-8"), compresslevel=3, mtime=0)
    return {"z": base64.b64encode(packed).decode("ascii")}


def unpack(payload: dict) -> dict:
    """The payload with its per-feature part readable (inverse of `_pack`), as the browser sees it."""
    if "z" not in payload:
        return payload
    data = json.loads(gzip.decompress(base64.b64decode(payload["z"])).decode("utf-8"))
    return {**{k: v for k, v in payload.items() if k != "z"}, **data}


def decode_payload(payload: dict) -> dict:
    """Per feature, what ATLAS_JS draws: k (kind), y (style index), g (Leaflet coordinates),
    c (popup columns as lists of escaped strings). For tests and tools."""
    data = unpack(payload)
    y = [int(ch) for ch in data["y"]]
    points = iter(np.asarray(data["p"], dtype=float).reshape(-1, 2) / 10 ** COORD_DECIMALS)
    shapes = iter(_map_nesting(data["g"], lambda ring: decode_polyline(ring, payload["f"])))
    geoms = [next(points).tolist() if code // 2 == 0 else next(shapes) for code in y]

    def cells(col: Any) -> list[str]:
        if isinstance(col, list):
            return col
        if "s" in col:
            return [col["u"][CODE_ALPHABET.index(ch)] for ch in col["s"]]
        if "i" in col:
            return [col["u"][i] for i in col["i"]]
        return [col["u"][0]] * len(y)

    return {"k": [code // 2 for code in y], "y": y, "g": geoms, "c": [cells(col) for col in data["c"]]}


def layer_payload(gdf: gpd.GeoDataFrame, colour: str, lang: str = "zh", cluster: bool = False,
                  columns: list[np.ndarray] | None = None) -> dict:
    """The compact browser payload of one theme (format in atlas._assets.ATLAS_JS); `columns`
    are its popup values when already computed for a larger frame."""
    gdf = _drawable(gdf)
    if columns is None:
        columns = [v.to_numpy() for v in popup_values(gdf, lang)]
    return {"st": _styles(colour), "t": popup_template(lang), "cl": cluster, "f": SHAPE_DECIMALS,
            **_pack(_theme_data(gdf, [_factorize(values) for values in columns]))}


def _outline_styles(province: dict, county: dict) -> list[dict]:
    """Styles indexed by kind * 2 + (1 for a county): the same for every kind."""
    return [province, county] * 3


def boundary_payload(provinces: gpd.GeoDataFrame | None, counties: gpd.GeoDataFrame | None) -> dict:
    """Non-interactive outlines: provinces and counties (same format as a theme, no popups)."""
    styles, geoms = [], []
    for is_county, part in ((1, counties), (0, provinces)):
        if part is None:
            continue
        for geom in part.geometry.values:
            if geom is None or geom.is_empty or geom.geom_type == "Point":
                continue
            geoms.append(geom)
            styles.append(is_county)
    kinds, shapes = _encode_shapes(geoms, BOUNDARY_DECIMALS)
    base = {"fill": False, "interactive": False}
    return {"y": "".join(str(k * 2 + c) for k, c in zip(kinds, styles)), "p": [], "g": shapes, "f": BOUNDARY_DECIMALS,
            "c": [], "t": "", "cl": False,
            "st": _outline_styles({**base, "color": "#5f6b73", "weight": 1.4}, {**base, "color": "#a9b4bb", "weight": 0.5})}


# ---------------------------------------------------------------- boundaries (offline base)

@functools.lru_cache(maxsize=4)
def _read_boundaries(path: str, mtime: float) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    layers = {name for name, _ in pyogrio.list_layers(path)}
    out = []
    for name in ("province", "county"):
        if name not in layers:
            out.append(None)
            continue
        gdf = pyogrio.read_dataframe(path, layer=name, bbox=BASE_BBOX)
        if name == "county" and "province" in gdf:
            gdf = gdf[gdf["province"].isin(PROVINCES)]
        gdf = gdf.set_geometry(shapely.simplify(gdf.geometry.values, BOUNDARY_TOLERANCE, preserve_topology=True))
        out.append(gdf)
    return out[0], out[1]


def load_boundaries(path: Path = BOUNDARIES_GPKG) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """(provinces, counties of the four provinces), simplified for drawing; (None, None) when the
    file is missing or unreadable — the map then falls back to a 1° graticule."""
    path = Path(path)
    try:
        return _read_boundaries(str(path), path.stat().st_mtime)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return None, None


@functools.lru_cache(maxsize=4)
def _base_payload_cached(path: str, mtime: float, gcj02: bool) -> tuple[dict, str]:
    provinces, counties = _read_boundaries(path, mtime)
    if gcj02:
        provinces, counties = shift_to_gcj02(provinces), shift_to_gcj02(counties)
    payload = boundary_payload(provinces, counties)
    return payload, to_js(payload)


def _base_payload(path: str, gcj02: bool) -> tuple[dict, str]:
    """The outlines payload and its JSON, built once per file version (the same for every map)."""
    return _base_payload_cached(path, Path(path).stat().st_mtime, gcj02)


def graticule_payload(step: float = 2.0) -> dict:
    """Fallback base when no boundaries file exists: a lat/lon grid over the region."""
    lats = np.arange(38.0, 54.0 + step, step)
    lons = np.arange(116.0, 136.0 + step, step)
    lines = [np.array([[lons[0], lat], [lons[-1], lat]]) for lat in lats] + \
            [np.array([[lon, lats[0]], [lon, lats[-1]]]) for lon in lons]
    grid = {"color": "#b8c2c8", "weight": 0.6, "dashArray": "2 4", "interactive": False}
    return {"y": "2" * len(lines), "p": [], "g": encode_polylines(lines, BOUNDARY_DECIMALS), "f": BOUNDARY_DECIMALS,
            "c": [], "t": "", "cl": False, "st": _outline_styles(grid, grid)}


# ---------------------------------------------------------------- GCJ-02 for AMap

_GCJ_A, _GCJ_EE = 6378245.0, 0.00669342162296594323


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 -> GCJ-02 (the published approximation); points outside China are unchanged."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * pi
    magic = 1 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * pi)
    outside = (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def shift_to_gcj02(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """A copy with every coordinate shifted WGS-84 -> GCJ-02 (for drawing over AMap only)."""
    if gdf is None:
        return None

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return gdf.set_geometry(shapely.transform(gdf.geometry.values, shift))


# ---------------------------------------------------------------- folium elements

def to_js(value: Any) -> str:
    """JSON for inline <script>: compact, UTF-8, with <, >, & escaped so no text can close the
    script element."""
    out = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Raw(Element):
    """Pre-rendered script text, added to the figure as is (never parsed as a Jinja template)."""

    def __init__(self, script: str):
        super().__init__()
        self._script = script

    def render(self, **kwargs: Any) -> str:
        return self._script


class AtlasLayer(JSCSSMixin, Layer):
    """The base outlines: a Leaflet layer built in the browser from a compact payload.

    Its script is added to the page as is: folium would otherwise re-parse the rendered script
    as a Jinja template, which is slow on megabytes of data and would evaluate any `{{` in it.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = atlasLayer({{ this.payload_js() }});
        {% endmacro %}
    """)

    def __init__(self, payload: dict, name: str, theme: str = "", overlay: bool = True,
                 control: bool = True, show: bool = True, payload_json: str | None = None):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "AtlasLayer"
        self.payload = {**payload, "n": name}
        self._payload_json = payload_json
        self.theme = theme
        self.default_js = _assets.leaflet_js() + _assets.markercluster_js()
        self.default_css = _assets.leaflet_css() + _assets.markercluster_css()

    def payload_js(self) -> str:
        return self._payload_json if self._payload_json is not None else to_js(self.payload)

    def render(self, **kwargs: Any) -> None:
        _render_raw(self, kwargs)
        if self.show:
            add = ElementAddToElement(self.get_name(), self._parent.get_name())
            self.get_root().script.add_child(_Raw(add._template.module.script(add, kwargs)),
                                             name=self.get_name() + "_add")
            self.add_child(add, name=self.get_name() + "_add")


def _render_raw(element: Any, kwargs: dict) -> None:
    """Header links of `element` and its script, added to the figure without Jinja re-parsing."""
    figure = element.get_root()
    for name, url in element.default_js:
        figure.header.add_child(JavascriptLink(url), name=name)
    for name, url in element.default_css:
        figure.header.add_child(CssLink(url), name=name)
    figure.script.add_child(_Raw(element._template.module.script(element, kwargs)), name=element.get_name())


class AtlasThemes(folium.FeatureGroup):
    """Every theme layer of a selection, with the layer control listing them, as one Leaflet layer
    (`atlasThemes` in ATLAS_JS). `layers`: per theme {"th": theme, "n": control label (escaped
    HTML), **layer_payload}. A FeatureGroup so streamlit-folium can swap it on a rerun
    (`st_folium(..., feature_group_to_add=...)`) without rebuilding the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = atlasThemes({{ this.payload_js() }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, layers: list[dict], payload_json: str | None = None):
        super().__init__(name="themes", control=False)
        self.layers = layers
        self._payload_json = payload_json
        self.default_js = _assets.leaflet_js() + _assets.markercluster_js()
        self.default_css = _assets.leaflet_css() + _assets.markercluster_css()

    def payload_js(self) -> str:
        return self._payload_json if self._payload_json is not None else to_js(self.layers)

    def render(self, **kwargs: Any) -> None:
        _render_raw(self, kwargs)


class Legend(MacroElement):
    """A small fixed legend box; `legend_html` must already be escaped."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            atlasLegend({{ this.legend_html|tojson }}, "bottomleft").addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, legend_html: str):
        super().__init__()
        self._name = "Legend"
        self.legend_html = legend_html


class _OfflineBackground(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.getContainer().classList.add("atlas-offline");
        {% endmacro %}
    """)


def _swatch(colour: str, kind: str = "line") -> str:
    style = f"background:{colour}" if kind != "line" else f"border-top:3px solid {colour};height:0"
    return f'<span class="atlas-swatch" style="{style}"></span>'


def _theme_order(themes: Iterable[str]) -> list[str]:
    known = [t for t in THEMES if t in set(themes)]
    return known + sorted(set(themes) - set(THEMES))


def _tile_layers(basemap: str, lang: str, tianditu_key: str) -> list[folium.TileLayer]:
    if basemap == "osm":
        return [folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)]
    if basemap == "tianditu" and tianditu_key:
        key = quote(tianditu_key, safe="")
        layers = []
        for layer in ("vec", "cva" if lang == "zh" else "eva"):
            url = (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                   f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
                   f"&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
            layers.append(folium.TileLayer(url, attr="&copy; 天地图 Tianditu", name=f"Tianditu {layer}",
                                           subdomains="01234567", max_zoom=18, control=False,
                                           overlay=layer != "vec"))
        return layers
    if basemap == "amap":
        amap_lang = "zh_cn" if lang == "zh" else "en"
        url = (f"https://webrd0{{s}}.is.autonavi.com/appmaptile?lang={amap_lang}&size=1&scale=1&style=8"
               "&x={x}&y={y}&z={z}")
        return [folium.TileLayer(url, attr="&copy; 高德地图 AutoNavi (GCJ-02)", name="AMap",
                                 subdomains="1234", max_zoom=18, control=False)]
    return []


def _check_basemap(basemap: str, tianditu_key: str) -> str:
    if basemap not in BASEMAPS:
        msg = f"Unknown basemap {basemap!r}. Supported basemaps: {', '.join(BASEMAPS)}."
        raise ValueError(msg)
    return "offline" if basemap == "tianditu" and not tianditu_key else basemap


def base_map(basemap: str = "offline", lang: str = "zh", *, tianditu_key: str = "",
             boundaries: Path | None = BOUNDARIES_GPKG) -> folium.Map:
    """The map without features: tiles, offline outlines (or a graticule), legend, assets. The
    same arguments give the same script, so streamlit-folium keeps it across reruns."""
    basemap = _check_basemap(basemap, tianditu_key)
    provinces, _ = load_boundaries(boundaries) if boundaries else (None, None)
    m = folium.Map(location=REGION_CENTER, zoom_start=5, tiles=None, prefer_canvas=True, control_scale=True)
    m.options.update(min_zoom=3, max_zoom=18)  # on the map itself: clustering needs it without tiles
    m.default_js = _assets.leaflet_js() + _assets.markercluster_js()
    m.default_css = _assets.leaflet_css() + _assets.markercluster_css()
    m.get_root().header.add_child(Element(_POPUP_CSS), name="atlas_css")
    for tile in _tile_layers(basemap, lang, tianditu_key):
        tile.add_to(m)
    _OfflineBackground().add_to(m)  # pale sea/land tone under the outlines, seen when tiles fail

    base_name = html.escape(text("boundaries", lang))
    if provinces is not None:
        base, _ = _base_payload(str(boundaries), basemap == "amap")
        payload = {**base, "n": base_name}
        AtlasLayer(payload, name=base_name, payload_json=to_js(payload)).add_to(m)
    else:
        AtlasLayer(graticule_payload(), name=base_name).add_to(m)
    legend = (f"{_swatch('#555')}{html.escape(text('legend_solid', lang))}<br>"
              f'<span class="atlas-swatch" style="border-top:3px dashed #555;height:0"></span>'
              f"{html.escape(text('legend_dashed', lang))}")
    Legend(legend).add_to(m)
    return m


def theme_layers(gdf: gpd.GeoDataFrame, basemap: str = "offline", lang: str = "zh",
                 cluster: bool | None = None) -> AtlasThemes:
    """One toggleable layer per theme of `gdf` (colours from schema.THEMES), as an AtlasThemes.
    The popup values are computed once for all rows; basemap "amap" shifts to GCJ-02."""
    if basemap == "amap":
        gdf = shift_to_gcj02(gdf)
    gdf = _drawable(gdf)
    columns = [_factorize(v.to_numpy()) for v in popup_values(gdf, lang)]
    themes = gdf["theme"].to_numpy() if len(gdf) else np.array([], dtype=object)
    is_point = shapely.get_type_id(gdf.geometry.values) == 0
    drawn = gdf[[c for c in ("geom_precision", gdf.geometry.name) if c in gdf]]  # what _theme_data reads
    layers = []
    for theme in _theme_order(pd.unique(themes)):
        rows = np.flatnonzero(themes == theme)
        colour = THEMES.get(theme, ("", "", "", UNKNOWN_COLOUR))[3]
        n_points = int(is_point[rows].sum())
        clustered = n_points > CLUSTER_MIN_POINTS if cluster is None else cluster
        label = f"{_swatch(colour, 'point' if n_points == len(rows) else 'line')}" \
                f"{html.escape(theme_label(theme, lang))} ({len(rows)})"
        payload = {"st": _styles(colour), "t": popup_template(lang), "cl": clustered, "f": SHAPE_DECIMALS,
                   **_pack(_theme_data(drawn.iloc[rows], [(codes[rows], escaped) for codes, escaped in columns]))}
        layers.append({"th": theme, "n": label, **payload})
    return AtlasThemes(layers)


def make_map(gdf: gpd.GeoDataFrame, basemap: str = "offline", lang: str = "zh", *,
             tianditu_key: str = "", boundaries: Path | None = BOUNDARIES_GPKG,
             cluster: bool | None = None, fit: bool = True) -> folium.Map:
    """The atlas map of `gdf` (schema.FIELD_NAMES + geometry, EPSG:4326): base_map + theme_layers.

    basemap: "offline" (outlines only), "osm", "tianditu" (needs `tianditu_key`; without one the
    offline base is used) or "amap" (every drawn geometry shifted to GCJ-02 to match its tiles).
    cluster: cluster the points of a theme; None clusters themes with > CLUSTER_MIN_POINTS points.
    """
    m = base_map(basemap, lang, tianditu_key=tianditu_key, boundaries=boundaries)
    basemap = _check_basemap(basemap, tianditu_key)
    theme_layers(gdf, basemap, lang, cluster).add_to(m)
    if fit and len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        if np.isfinite([minx, miny, maxx, maxy]).all():
            m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))
    return m


def map_html(m: folium.Map) -> str:
    """Standalone HTML of a map, every asset inlined: open it from disk or embed it in an iframe."""
    return m.get_root().render()


def feature_view(geom: Any) -> tuple[tuple[float, float], int]:
    """(lat, lon) centre and a zoom level that shows one feature, for zooming to a table row."""
    minx, miny, maxx, maxy = geom.bounds
    extent = max(maxx - minx, maxy - miny)
    zoom = 11 if extent < 0.02 else int(np.clip(np.floor(np.log2(360.0 / extent)) - 1, 4, 11))
    return ((miny + maxy) / 2, (minx + maxx) / 2), zoom


def table_frame(gdf: gpd.GeoDataFrame, lang: str = "zh") -> pd.DataFrame:
    """The shown features as a plain table (labels in `lang`), for st.dataframe; text, not HTML."""
    values = popup_values(gdf, lang)
    columns = {"id": 2, "name": 0, "theme": 3, "subtype": 4, "provinces": 5, "status": 6, "precision": 7}
    frame = pd.DataFrame({text(key, lang): values[i].to_numpy() for key, i in columns.items()})
    return frame.reset_index(drop=True)


def theme_counts(gdf: gpd.GeoDataFrame, lang: str = "zh") -> list[tuple[str, str, int]]:
    """(theme, label, count) for each theme present, in legend order."""
    counts = gdf["theme"].value_counts() if len(gdf) else pd.Series(dtype=int)
    return [(t, theme_label(t, lang), int(counts[t])) for t in _theme_order(counts.index)]
