"""Northeast China Project Atlas — the Streamlit front end: widgets and layout only.

Reads the layers folder from $ATLAS_LAYERS_DIR (default settings.LAYERS_DIR); the work is done
by atlas.layers, atlas.filters, atlas.mapview, atlas.export and atlas.snapshot. Filters live in
the URL query parameters, so a link reopens the same view.
"""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_folium import st_folium

from atlas import i18n, mapview
from atlas._errors import AtlasError
from atlas.export import export_features
from atlas.filters import filter_features, filter_options
from atlas.i18n import LANGS, text
from atlas.layers import layer_files, read_layers
from atlas.settings import LAYERS_DIR

FILTERS = ("province", "theme", "subtype", "status", "precision")
EXPORTS = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage", "kml": "KML", "shp": "Shapefile (zip)"}
MIME = {"geojson": "application/geo+json", "csv": "text/csv", "gpkg": "application/geopackage+sqlite3", "html": "text/html",
        "kml": "application/vnd.google-earth.kml+xml", "shp": "application/zip", "png": "image/png", "pdf": "application/pdf"}


@st.cache_resource(show_spinner=False, max_entries=2)
def load_layers(layers_dir: str, stamp: tuple) -> tuple:
    """(features, filter options, a message per unreadable file) of the layer folder; `stamp`
    (file names, mtimes, sizes) keys the cache. One copy shared by every session and never
    modified (filters return new frames), so a rerun copies nothing."""
    problems: list[str] = []
    gdf = read_layers(Path(layers_dir), problems=problems)
    return gdf, filter_options(gdf), problems


@st.cache_data(show_spinner=False, max_entries=64)
def themes_js(_shown, key: tuple, basemap: str, lang: str) -> str:
    """The theme layers' browser payload of a selection; `key` (layer stamp and filter values)
    stands for `_shown` in the cache."""
    return mapview.theme_layers(_shown, basemap=basemap, lang=lang).payload_js()


SNAPSHOT_FORMATS = ("png", "pdf")  # atlas.snapshot.SNAPSHOT_FORMATS (a test keeps them equal)


def snapshot_bytes(*args, **kwargs) -> bytes:
    """atlas.snapshot.render_snapshot, imported on the first click: matplotlib takes ~1 s to import,
    which a first page load should not wait for."""
    from atlas import snapshot

    return snapshot.render_snapshot(*args, **kwargs)


def tianditu_key() -> str:
    try:
        return os.environ.get("TIANDITU_KEY") or str(st.secrets.get("TIANDITU_KEY", ""))
    except (StreamlitSecretNotFoundError, OSError):  # no secrets.toml
        return ""


def init_state(options: dict[str, list]) -> None:
    """First run of a session: widget values from the URL query parameters."""
    if st.session_state.get("_init"):
        return
    params = st.query_params
    st.session_state["lang"] = params.get("lang") if params.get("lang") in LANGS else "zh"
    st.session_state["basemap"] = params.get("basemap") if params.get("basemap") in mapview.BASEMAPS else "osm"
    for name in FILTERS:
        wanted = params.get_all(name)
        st.session_state[name] = [v for v in options[name] if str(v) in wanted]
    st.session_state["q"] = params.get("q", "")
    st.session_state["_init"] = True


def export_bytes(gdf, fmt: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = export_features(gdf, Path(tmp) / f"atlas.{'zip' if fmt == 'shp' else fmt}", fmt, allow_empty=True)
        return path.read_bytes()


def filters_caption(labels: dict, lang: str) -> str:
    """'省区: 辽宁、吉林; 类别: 铁路' for the filters in use."""
    parts = [f"{text(n, lang)}: {'、'.join(labels[n](v) for v in st.session_state[n])}"
             for n in FILTERS if st.session_state[n]]
    parts += [f"{text('search', lang)}: {st.session_state.q}"] if st.session_state.q else []
    return "; ".join(parts)


st.set_page_config(page_title="Northeast China Project Atlas", page_icon="🗺️", layout="wide")
layers_dir = Path(os.environ.get("ATLAS_LAYERS_DIR", LAYERS_DIR))
lang = st.session_state.get("lang") or (st.query_params.get("lang") if st.query_params.get("lang") in LANGS else "zh")
try:
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in layer_files(layers_dir))
    gdf_all, options, problems = load_layers(str(layers_dir), stamp)
except (AtlasError, OSError) as exc:
    st.error(text("load_error", lang, error=exc))
    st.stop()
for problem in problems:  # show what can be shown; name each file that cannot
    st.error(text("load_error", lang, error=problem))
if gdf_all.empty:
    if not problems:
        st.error(text("no_layers", lang, path=layers_dir))
    st.stop()

init_state(options)
state = st.session_state
lang = state.lang
labels = {"province": partial(i18n.province_label, lang=lang), "theme": partial(i18n.theme_label, lang=lang),
          "subtype": str, "status": partial(i18n.status_label, lang=lang),
          "precision": partial(i18n.precision_label, lang=lang)}
shown = filter_features(gdf_all, provinces=state.province, themes=state.theme, subtypes=state.subtype,
                        statuses=state.status, precisions=state.precision, text=state.q)

# The map is sent first so the browser starts its iframe before it lays out the heading and the
# sidebar (filled below, shown in place); the table and the downloads run only when opened.
head = st.container()
selected = (state.get("table") or {}).get("selection", {}).get("rows", [])
chosen = selected and selected[0] < len(shown)
center, zoom = mapview.feature_view(shown.geometry.iloc[selected[0]]) if chosen else (None, None)
# The base map (tiles, outlines, legend) is the same script on every rerun, so streamlit-folium
# keeps its iframe; only the theme layers are swapped in (feature_group_to_add) on a filter change.
basemap = state.basemap if state.basemap != "tianditu" or tianditu_key() else "offline"
fmap = mapview.base_map(basemap, lang, tianditu_key=tianditu_key())
selection_key = (stamp, *(tuple(map(str, state[name])) for name in FILTERS), state.q)
themes = mapview.AtlasThemes([], payload_json=themes_js(shown, selection_key, basemap, lang))
st_folium(fmap, key="map", height=620, width=None, returned_objects=[], center=center, zoom=zoom,
          feature_group_to_add=themes)

with head:
    st.title(text("title", lang))
    st.caption(text("subtitle", lang))
    st.markdown(f"**{text('count', lang, shown=len(shown), total=len(gdf_all))}**")
    st.caption(" · ".join(f"{label} {n}" for _, label, n in mapview.theme_counts(shown, lang)))
    if state.basemap == "tianditu" and not tianditu_key():
        st.info(text("tianditu_no_key", lang))

with st.sidebar:
    st.radio(text("language", lang), LANGS, format_func={"zh": "中文", "en": "English"}.get, horizontal=True,
             key="lang")
    st.header(text("filters", lang))
    for name in FILTERS:
        st.multiselect(text(name, lang), options[name], format_func=labels[name], key=name,
                       placeholder=text("all", lang))
    st.text_input(text("search", lang), key="q")
    st.selectbox(text("basemap", lang), mapview.BASEMAPS, key="basemap",
                 format_func=lambda b: text(f"basemap_{b}", lang))
st.query_params.from_dict({"lang": lang, "basemap": state.basemap, "q": state.q,
                           **{name: [str(v) for v in state[name]] for name in FILTERS}})

if shown.empty:
    st.warning(text("no_features", lang))
table = st.expander(text("table", lang, shown=len(shown)), key="show_table", on_change="rerun")
if table.open:
    table.caption(text("zoom_hint", lang))
    table.dataframe(mapview.table_frame(shown, lang), hide_index=True, width="stretch", on_select="rerun",
                    selection_mode="single-row", key="table")

downloads = st.expander(text("downloads", lang), key="show_downloads", on_change="rerun")
if downloads.open:
    caption = filters_caption(labels, lang)
    version = time.strftime("%Y-%m-%d", time.localtime(max((s[1] for s in stamp), default=0) / 1e9))
    files = [(name, partial(export_bytes, shown, fmt), f"atlas.{'zip' if fmt == 'shp' else fmt}", MIME[fmt])
             for fmt, name in EXPORTS.items()]
    files.append((text("html_export", lang), lambda: mapview.map_html(mapview.make_map(
        shown, basemap=state.basemap, lang=lang, tianditu_key=tianditu_key())).encode("utf-8"), "atlas_map.html",
        MIME["html"]))
    files += [(text(f"snapshot_{fmt}", lang), partial(snapshot_bytes, shown, fmt, lang,
               filters_caption=caption, data_version=version), f"atlas_map.{fmt}", MIME[fmt])
              for fmt in SNAPSHOT_FORMATS]
    cols = downloads.columns(4)
    for i, (label, data, file_name, mime) in enumerate(files):
        cols[i % 4].download_button(label, data, file_name=file_name, mime=mime, key=f"dl_{file_name}")
