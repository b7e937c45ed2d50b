"""atlas.mapview: offline HTML, escaping, theme layers, coarse styling, GCJ-02, payload encoding."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
import shapely
from app_fixtures import HOSTILE_NAMES, fixture_gdf, synthetic_points

from atlas import _assets, mapview
from atlas.i18n import theme_label
from atlas.schema import THEMES

CDN_HOSTS = ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "fontawesome", "unpkg")


def _base(m):
    return next(c for c in m._children.values() if isinstance(c, mapview.AtlasLayer))


def _themes(m):
    return next(c for c in m._children.values() if isinstance(c, mapview.AtlasThemes))


def _theme_layer(m, theme):
    """The theme's payload as the browser decodes it (kinds, styles, coordinates, popup cells)."""
    layer = next(layer for layer in _themes(m).layers if layer["th"] == theme)
    return {**layer, **mapview.decode_payload(layer)}


def _all_elements(element):
    yield element
    for child in element._children.values():
        yield from _all_elements(child)


@pytest.mark.parametrize("basemap", ["offline", "osm"])
def test_html_loads_no_script_or_style_from_network(basemap):
    page = mapview.map_html(mapview.make_map(fixture_gdf(), basemap=basemap))
    sources = re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page)
    assert sources, "expected inlined assets"
    assert all(s.startswith("data:") for s in sources), [s[:60] for s in sources if not s.startswith("data:")]
    assert not any(host in page for host in CDN_HOSTS)
    urls = set(re.findall(r"https?://[^\"'\s)]+", page))
    if basemap == "offline":
        assert urls == set()
    else:  # only the tile URL template, and the attribution link (followed only on a click)
        allowed = ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://www.openstreetmap.org/copyright")
        assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in urls
        assert all(u.startswith(allowed) for u in urls), urls


def test_streamlit_component_links_are_inlined():
    # streamlit-folium loads every element's default_js/default_css as <script src>/<link href>.
    m = mapview.make_map(synthetic_points(50), cluster=True)
    links = [url for el in _all_elements(m) for _, url in getattr(el, "default_js", []) + getattr(el, "default_css", [])]
    assert links and all(url.startswith("data:") for url in links)
    assert any("markercluster" in name for el in _all_elements(m) for name, _ in getattr(el, "default_js", []))


def test_popup_shows_details_escaped():
    row = fixture_gdf().iloc[0]
    popup = mapview.popup_html(row, "zh")
    for expected in ("哈大客运专线", "客运专线", "黑龙江、吉林、辽宁", "铺轨", "2 · 25公里以内", row["geocode_match"],
                     row["source_section"], row["source_text"], "RW-001"):
        assert html.escape(expected) in popup, expected
    popup_en = mapview.popup_html(row, "en")
    assert "<h4>Harbin–Dalian passenger railway</h4>" in popup_en
    assert "Heilongjiang, Jilin, Liaoning" in popup_en and "track laid" in popup_en


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_popup_and_tooltip_escape_hostile_names(name):
    gdf = fixture_gdf(hostile=True)
    row = gdf[gdf["name_zh"] == name].iloc[0]
    popup = mapview.popup_html(row)
    assert html.escape(name) in popup
    assert "<script" not in popup and "<img" not in popup and "<b>bold" not in popup
    layer = _theme_layer(mapview.make_map(gdf), row["theme"])
    assert html.escape(name) in layer["c"][0]  # the tooltips


def test_map_html_never_contains_raw_hostile_text():
    page = mapview.map_html(mapview.make_map(fixture_gdf(hostile=True)))
    assert "<img src=x onerror" not in page
    assert '<script>alert("x")' not in page
    assert "<b>bold</b>" not in page
    assert "\\u0026lt;script\\u0026gt;" in page  # escaped, then JSON-escaped for the <script> block


def test_popup_template_filled_like_the_browser_equals_popup_html():
    gdf = fixture_gdf(hostile=True)
    layer = _theme_layer(mapview.make_map(gdf, lang="en"), "railway")
    template = layer["t"]
    rows = gdf[gdf["theme"] == "railway"]
    for i in range(len(rows)):  # the substitution ATLAS_JS performs on a click
        filled = re.sub("\u0001(\\d+)\u0001", lambda m, i=i: layer["c"][int(m.group(1))][i], template)
        assert filled == mapview.popup_html(rows.iloc[i], "en")


def test_each_theme_is_a_toggleable_layer_with_its_colour():
    gdf = fixture_gdf()
    m = mapview.make_map(gdf, lang="en")
    layers = {layer["th"]: layer for layer in _themes(m).layers}
    assert list(layers) == [t for t in THEMES if t in set(gdf["theme"])]  # legend order
    for theme, layer in layers.items():
        assert theme_label(theme, "en") in layer["n"]  # the layer control's label
        assert f"({(gdf['theme'] == theme).sum()})" in layer["n"]
        assert THEMES[theme][3] in {s.get("color") for s in layer["st"]} | {s.get("fillColor") for s in layer["st"]}
    assert "atlasThemes(" in mapview.map_html(m) and "L.control.layers(" in _assets.ATLAS_JS  # themes, their control


def test_lines_zones_points_and_coarse_precision_dashed():
    gdf = fixture_gdf()
    m = mapview.make_map(gdf)
    rail, eco, airport, power = (_theme_layer(m, t) for t in ("railway", "eco_zone", "airport", "power"))
    assert set(rail["k"]) == {1} and set(eco["k"]) == {2} and set(airport["k"]) == {0}

    def style(p, i):
        return p["st"][p["y"][i]]

    assert "dashArray" in style(eco, 0) and style(eco, 0)["fillOpacity"] < 0.1  # precision 5
    assert all("dashArray" not in style(airport, i) for i in range(len(airport["k"])))  # precision 1
    zone = power["k"].index(2)  # the province-wide wind power base, precision 4
    assert "dashArray" in style(power, zone)
    assert "dashArray" not in style(power, power["k"].index(0))
    # lines keep their stops (simplified for drawing only within SHAPE_TOLERANCE)
    assert rail["g"][0] == [[round(y, 4), round(x, 4)] for x, y in gdf.geometry.iloc[0].coords]


def test_amap_shifts_drawn_geometry_to_gcj02_only_for_amap():
    gdf = fixture_gdf()
    wgs = _theme_layer(mapview.make_map(gdf, basemap="osm"), "airport")["g"]
    gcj = _theme_layer(mapview.make_map(gdf, basemap="amap"), "airport")["g"]
    shifts_m = [np.hypot((b[0] - a[0]) * 111_000, (b[1] - a[1]) * 111_000 * np.cos(np.radians(a[0])))
                for a, b in zip(wgs, gcj)]
    assert all(100 < s < 900 for s in shifts_m), shifts_m
    assert [[*p] for p in wgs] == [[round(y, 5), round(x, 5)] for x, y in
                                   shapely.get_coordinates(gdf[gdf.theme == "airport"].geometry.values)]


def test_wgs84_to_gcj02_known_offset_and_outside_china():
    lon, lat = mapview.wgs84_to_gcj02(np.array([116.3912757, 2.35]), np.array([39.906217, 48.85]))
    assert lon[0] == pytest.approx(116.39752, abs=3e-4) and lat[0] == pytest.approx(39.90762, abs=3e-4)
    assert (lon[1], lat[1]) == (2.35, 48.85)  # Paris is outside China: unchanged


def test_points_cluster_automatically_only_when_many():
    few = mapview.make_map(synthetic_points(200))
    many = mapview.make_map(synthetic_points(4 * (mapview.CLUSTER_MIN_POINTS + 10)))
    assert not any(layer["cl"] for layer in _themes(few).layers)
    assert all(layer["cl"] for layer in _themes(many).layers)
    # Leaflet.markercluster refuses a map without maxZoom ("Map has no maxZoom specified")
    assert '"maxZoom": 18' in mapview.map_html(many)


def test_dictionary_encoding_round_trips_every_value():
    gdf = synthetic_points(500)
    payload = mapview.layer_payload(gdf, "#000000")
    values = mapview.popup_values(gdf)
    decoded = mapview.decode_payload(payload)
    for column, expected in zip(decoded["c"], values):
        assert column == [html.escape(v) for v in expected]
    ids, themes, subtypes = payload["c"][2], payload["c"][3], payload["c"][4]
    assert isinstance(ids, list)  # all distinct: a plain list
    assert set(themes) == {"u", "s"} and len(themes["u"]) == 4 and len(themes["s"]) == len(gdf)  # a char each
    assert subtypes == {"u": ["合成"]}  # constant: no per-feature codes
    assert decoded["g"] == [[round(y, 5), round(x, 5)] for x, y in shapely.get_coordinates(gdf.geometry.values)]


def test_encoded_polylines_match_googles_format_and_round_trip():
    # Google's documented example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453) at 1e-5
    example = np.array([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]])
    assert mapview.encode_polylines([example], 5) == ["_p~iF~ps|U_ulLnnqC_mqNvxq`@"]
    rng = np.random.default_rng(7)
    rings = [np.column_stack([rng.uniform(119, 135, n), rng.uniform(38, 54, n)]) for n in (1, 2, 57, 3)]
    encoded = mapview.encode_polylines(rings, 4)
    assert len(encoded) == len(rings) and mapview.encode_polylines([], 4) == []
    for ring, text in zip(rings, encoded):  # each ring decodes on its own: deltas restart per ring
        assert mapview.decode_polyline(text, 4) == [[round(y, 4), round(x, 4)] for x, y in ring]


def test_shapes_and_outlines_travel_as_encoded_polylines():
    m = mapview.make_map(fixture_gdf())
    eco = next(layer for layer in _themes(m).layers if layer["th"] == "eco_zone")
    assert eco["f"] == mapview.SHAPE_DECIMALS and all(isinstance(r, str) for r in eco["g"][0])  # polygon: rings
    base = _base(m).payload
    assert base["f"] == mapview.BOUNDARY_DECIMALS and len(base["g"]) == len(base["y"])

    def vertices(nested):
        return [nested] if isinstance(nested[0], float) else [v for n in nested for v in vertices(n)]

    lat, lon = np.array([v for shape in mapview.decode_payload(base)["g"] for v in vertices(shape)]).T
    # the provinces touching mapview.BASE_BBOX reach from 内蒙古's west end (97°E) to 黑龙江 (135°E, 53.6°N)
    assert len(lat) > 1000 and 25 < lat.min() and lat.max() < 54 and 73 < lon.min() and lon.max() < 136


def test_large_payload_travels_gzipped_and_still_escaped(monkeypatch):
    monkeypatch.setattr(mapview, "GZIP_MIN_CHARS", 20_000)
    gdf = synthetic_points(2_000)
    gdf.loc[7, "name_zh"] = HOSTILE_NAMES[1]
    m = mapview.make_map(gdf)
    payloads = _themes(m).layers
    assert all("z" in p and "c" not in p for p in payloads)  # over GZIP_MIN_CHARS: packed
    page = mapview.map_html(m)
    assert "<img src=x onerror" not in page and "DecompressionStream" in _assets.ATLAS_JS
    layer = _theme_layer(m, gdf.loc[7, "theme"])
    assert html.escape(HOSTILE_NAMES[1]) in layer["c"][0]
    assert sum(len(_theme_layer(m, p["th"])["k"]) for p in payloads) == len(gdf)


def test_tianditu_needs_a_key_and_quotes_it():
    gdf = fixture_gdf()
    assert "tianditu" not in mapview.map_html(mapview.make_map(gdf, basemap="tianditu"))
    page = mapview.map_html(mapview.make_map(gdf, basemap="tianditu", tianditu_key="k&y<1>"))
    assert "tianditu.gov.cn" in page and "tk=k%26y%3C1%3E" in page and "k&y<1>" not in page


def test_unknown_basemap_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown basemap 'google'. Supported basemaps: offline"):
        mapview.make_map(fixture_gdf(), basemap="google")


def test_offline_base_uses_boundaries_or_falls_back_to_graticule(tmp_path):
    with_file = mapview.decode_payload(_base(mapview.make_map(fixture_gdf())).payload)
    without = mapview.decode_payload(_base(mapview.make_map(fixture_gdf(), boundaries=tmp_path / "missing.gpkg")).payload)
    if mapview.BOUNDARIES_GPKG.is_file():
        assert 2 in with_file["k"] and len(with_file["k"]) > 30  # province and county polygons
    assert set(without["k"]) == {1} and not without["c"]  # grid lines, not interactive


def test_empty_selection_still_makes_a_map():
    page = mapview.map_html(mapview.make_map(fixture_gdf().iloc[:0]))
    assert "atlasLayer(" in page


def test_table_frame_and_theme_counts():
    gdf = fixture_gdf(hostile=True)
    table = mapview.table_frame(gdf, "en")
    assert list(table.columns)[:2] == ["Id", "Name"] and len(table) == len(gdf)
    assert HOSTILE_NAMES[0] in set(table["Name"])  # plain text for st.dataframe, which never renders HTML
    counts = mapview.theme_counts(gdf, "en")
    assert [c[0] for c in counts] == [t for t in THEMES if t in set(gdf["theme"])]
    assert sum(c[2] for c in counts) == len(gdf)


def test_feature_view_zooms_close_on_points_and_out_on_long_lines():
    gdf = fixture_gdf()
    (lat, lon), zoom_point = mapview.feature_view(gdf.geometry.iloc[5])
    assert (lat, lon) == pytest.approx((42.07, 127.60)) and zoom_point == 11
    _, zoom_line = mapview.feature_view(gdf.geometry.iloc[0])
    assert 4 <= zoom_line < 8
