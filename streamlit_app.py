"""Northeast China Project Atlas — the Streamlit front end: widgets and layout only.

Reads the layers folder from $ATLAS_LAYERS_DIR (default settings.LAYERS_DIR); the work is done
by atlas.layers, atlas.filters, atlas.mapview, atlas.export and atlas.snapshot. The view
(language, basemap, filters, search) lives in the URL query parameters (atlas.view), so a link
reopens the same view.
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_folium import st_folium

from atlas import _assets, export, mapview
from atlas._errors import AtlasError
from atlas.filters import filter_features, filter_options
from atlas.i18n import LANGS, text
from atlas.layers import layer_files, read_layers
from atlas.settings import LAYERS_DIR
from atlas.view import (
    FILTERS,
    filters_caption,
    query_from_view,
    value_label,
    view_from_query,
)

MEDIA_TYPES = {**export.MEDIA_TYPES, "html": "text/html", "png": "image/png", "pdf": "application/pdf"}


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


FILTERS_FALLBACK_MS = 5000  # filters shown after this even if the map never reports its drawing
map_drawn = st.components.v2.component("atlas_map_drawn", js=_assets.MAP_DRAWN_JS)

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


def view() -> dict:
    return {name: st.session_state[name] for name in ("lang", "basemap", "q", *FILTERS)}


st.set_page_config(page_title="Northeast China Project Atlas", page_icon="🗺️", layout="wide")
layers_dir = Path(os.environ.get("ATLAS_LAYERS_DIR", LAYERS_DIR))
lang = st.session_state.get("lang") or (st.query_params.get("lang") if st.query_params.get("lang") in LANGS else LANGS[0])
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

state = st.session_state
if not state.get("_init"):  # a new session opens the view its URL asks for
    state.update(view_from_query({name: st.query_params.get_all(name) for name in st.query_params}, options),
                 _init=True)
lang = state.lang
shown = filter_features(gdf_all, provinces=state.province, themes=state.theme, subtypes=state.subtype,
                        statuses=state.status, precisions=state.precision, text=state.q)

# The map is sent first so the browser starts its iframe before it lays out the heading (filled
# below, shown in place); the table and the downloads run only when opened.
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

st.query_params.from_dict(query_from_view(view()))
if shown.empty:
    st.warning(text("no_features", lang))

if not state.get("map_drawn"):
    # A new session's filters, table and downloads wait until its map has drawn (or for
    # FILTERS_FALLBACK_MS): laid out at once, they keep the browser's main thread from the map
    # (first map 0.3 s later, bench/bench_browser.py).
    with st.sidebar:
        st.caption(text("filters_loading", lang))
        map_drawn(key="map_drawn_signal", data={"fallback_ms": FILTERS_FALLBACK_MS},
                  on_drawn_change=lambda: state.update(map_drawn=True))
    st.stop()

with st.sidebar:
    st.radio(text("language", lang), LANGS, format_func={"zh": "中文", "en": "English"}.get, horizontal=True,
             key="lang")
    st.header(text("filters", lang))
    for name in FILTERS:
        st.multiselect(text(name, lang), options[name], format_func=partial(value_label, name, lang=lang), key=name,
                       placeholder=text("all", lang))
    st.text_input(text("search", lang), key="q")
    st.selectbox(text("basemap", lang), mapview.BASEMAPS, key="basemap",
                 format_func=lambda b: text(f"basemap_{b}", lang))

table = st.expander(text("table", lang, shown=len(shown)), key="show_table", on_change="rerun")
if table.open:
    table.caption(text("zoom_hint", lang))
    table.dataframe(mapview.table_frame(shown, lang), hide_index=True, width="stretch", on_select="rerun",
                    selection_mode="single-row", key="table")

downloads = st.expander(text("downloads", lang), key="show_downloads", on_change="rerun")
if downloads.open:
    version = time.strftime("%Y-%m-%d", time.localtime(max((s[1] for s in stamp), default=0) / 1e9))
    files = [(export.FORMAT_NAMES[fmt], partial(export.export_bytes, shown, fmt), export.export_file_name(fmt), fmt)
             for fmt in export.EXPORT_FORMATS]
    files.append((text("html_export", lang), lambda: mapview.map_html(mapview.make_map(
        shown, basemap=state.basemap, lang=lang, tianditu_key=tianditu_key())).encode("utf-8"), "atlas_map.html", "html"))
    files += [(text(f"snapshot_{fmt}", lang), partial(snapshot_bytes, shown, fmt, lang, data_version=version,
               filters_caption=filters_caption(view(), lang)), f"atlas_map.{fmt}", fmt) for fmt in SNAPSHOT_FORMATS]
    cols = downloads.columns(4)
    for i, (label, data, file_name, fmt) in enumerate(files):
        cols[i % 4].download_button(label, data, file_name=file_name, mime=MEDIA_TYPES[fmt], key=f"dl_{file_name}")
