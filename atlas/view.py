"""The app's view of the atlas: language, basemap, filter values and search, to and from the URL.

A view is a plain dict {"lang", "basemap", "q", and each of FILTERS: list of values}. The app keeps
it in st.session_state (the widgets' values) and in the URL query parameters, so a link reopens
the same view; `view_from_query` reads a link, `query_from_view` writes one. No streamlit import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from atlas.i18n import (
    LANGS,
    precision_label,
    province_label,
    status_label,
    text,
    theme_label,
)
from atlas.mapview import BASEMAPS

FILTERS = ("province", "theme", "subtype", "status", "precision")
DEFAULT_BASEMAP = "osm"


def view_from_query(query: Mapping[str, Sequence[str]], options: Mapping[str, Sequence]) -> dict[str, Any]:
    """The view a link asks for: `query` maps each parameter to its values (repeated parameters
    hold several). Values the layers do not offer (`options`, see filters.filter_options) and an
    unknown language or basemap are dropped, so a stale or edited link still opens."""
    def first(name: str) -> str:  # the last of repeated values, as st.query_params.get does
        return (query.get(name) or [""])[-1]

    view: dict[str, Any] = {"lang": first("lang") if first("lang") in LANGS else LANGS[0],
                            "basemap": first("basemap") if first("basemap") in BASEMAPS else DEFAULT_BASEMAP,
                            "q": first("q")}
    for name in FILTERS:
        wanted = set(query.get(name, ()))
        view[name] = [v for v in options[name] if str(v) in wanted]
    return view


def query_from_view(view: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """URL query parameters of a view (filters as repeated parameters); inverse of view_from_query."""
    return {"lang": view["lang"], "basemap": view["basemap"], "q": view["q"],
            **{name: [str(v) for v in view[name]] for name in FILTERS}}


def value_label(name: str, value: Any, lang: str = "zh") -> str:
    """How a value of filter `name` is shown in `lang` (subtypes as they are)."""
    label = {"province": province_label, "theme": theme_label, "status": status_label,
             "precision": precision_label}.get(name)
    return label(value, lang) if label else str(value)


def filters_caption(view: Mapping[str, Any], lang: str = "zh") -> str:
    """'省区: 辽宁、吉林; 类别: 铁路' for the filters and the search in use ('' when none)."""
    parts = [f"{text(name, lang)}: {'、'.join(value_label(name, v, lang) for v in view[name])}"
             for name in FILTERS if view[name]]
    parts += [f"{text('search', lang)}: {view['q']}"] if view["q"] else []
    return "; ".join(parts)
