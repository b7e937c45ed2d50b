"""Select features by province, theme, subtype, status, precision and free text. Pure.

The app, `atlas export` and `atlas snapshot` share these filters, so a view and its export hold
the same features. Province values accept the short name (吉林), the full name (吉林省), English
or pinyin (Jilin, case-insensitive); see `normalize_province`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import geopandas as gpd
import pandas as pd

from atlas._errors import AtlasError
from atlas.models import PROVINCES
from atlas.names import name_en, pinyin_key
from atlas.schema import PRECISION, STATUSES, THEMES

# Extra spellings beyond short name + 省, English name and pinyin (derived in _province_aliases).
_EXTRA_PROVINCE_FORMS = {
    "内蒙古": (
        "内蒙古自治区",
        "蒙东",
        "Nei Mongol",
        "Inner Mongolia Autonomous Region",
        "Eastern Inner Mongolia",
    ),
}
_TEXT_FIELDS = ("name_zh", "name_en", "source_text")


class FilterError(AtlasError, ValueError):
    """A filter value that names no province, theme, status or precision code."""


def _fold(value: str) -> str:
    """Compare form: NFKC, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


@lru_cache(maxsize=1)
def _province_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for short in PROVINCES:
        english = name_en(short)
        forms = {
            short,
            f"{short}省",
            english,
            f"{english} Province",
            pinyin_key(short),
            *_EXTRA_PROVINCE_FORMS.get(short, ()),
        }
        for form in forms:
            aliases[_fold(form)] = short
    return aliases


def normalize_province(value: str) -> str:
    """The short province name (辽宁, 吉林, 黑龙江, 内蒙古) for any accepted spelling.

    Raises FilterError naming the value and the supported choices.
    """
    short = _province_aliases().get(_fold(value))
    if short is None:
        choices = ", ".join(f"{p} ({name_en(p)})" for p in PROVINCES)
        msg = f"unknown province {value!r}; supported: {choices} (also e.g. 吉林省, Jilin)"
        raise FilterError(msg)
    return short


def _normalize_theme(value: str) -> str:
    folded = _fold(value)
    for key, (prefix, en, zh, _) in THEMES.items():
        if folded in {_fold(key), _fold(prefix), _fold(en), _fold(zh)}:
            return key
    msg = f"unknown theme {value!r}; supported: {', '.join(THEMES)}"
    raise FilterError(msg)


def _normalize_status(value: str) -> str:
    if value in STATUSES:
        return value
    msg = f"unknown status {value!r}; supported: {', '.join(s for s in STATUSES if s)}"
    raise FilterError(msg)


def _normalize_precision(value: int | str) -> int:
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = None
    if code not in PRECISION:
        msg = f"unknown precision code {value!r}; supported: {', '.join(map(str, PRECISION))}"
        raise FilterError(msg)
    return code


def _as_tuple(values: Iterable | str | int | None) -> tuple:
    if values is None:
        return ()
    if isinstance(values, (str, int)):
        return (values,)
    return tuple(values)


def pinyin_keys(names: pd.Series) -> pd.Series:
    """Toneless pinyin without spaces of each name (computed once per distinct name)."""
    names = names.fillna("").astype(str)
    keys = {name: pinyin_key(name) for name in names.unique()}
    return names.map(keys)


def text_matches(gdf: pd.DataFrame, text: str) -> pd.Series:
    """Boolean mask: `text` found in name_zh, name_en, the toneless pinyin of name_zh or source_text.

    Case-insensitive; spaces are ignored against the pinyin ("ha er bin", "Harbin" and "哈尔滨" all
    find 哈尔滨机场). Pinyin is compared only when the query has Latin letters.
    """
    query = _fold(text)
    mask = pd.Series(not query, index=gdf.index, dtype=bool)
    if not query or gdf.empty:
        return mask
    mask = pd.Series(False, index=gdf.index, dtype=bool)
    plain = " ".join(unicodedata.normalize("NFKC", text).split())
    for field in _TEXT_FIELDS:
        if field in gdf:
            mask |= gdf[field].fillna("").astype(str).str.contains(plain, case=False, regex=False)
    if "name_zh" in gdf and any("a" <= c <= "z" for c in query):
        mask |= pinyin_keys(gdf["name_zh"]).str.contains(query, regex=False)
    return mask


def filter_options(gdf: pd.DataFrame) -> dict[str, list]:
    """The values each filter offers for `gdf`: every province and precision code, and the
    themes (legend order), subtypes and 2010 statuses ("" = not reported, last) present."""
    themes = set(gdf["theme"].dropna()) if len(gdf) else set()
    statuses = set(gdf["status_2010"].fillna("")) if len(gdf) else set()
    return {"province": list(PROVINCES),
            "theme": [t for t in THEMES if t in themes] + sorted(themes - set(THEMES)),
            "subtype": sorted({s for s in gdf["subtype"].dropna() if s}) if len(gdf) else [],
            "status": sorted(statuses, key=lambda s: (s == "", s)),
            "precision": list(PRECISION)}


def filter_features(
    gdf: gpd.GeoDataFrame,
    provinces: Iterable[str] = (),
    themes: Iterable[str] = (),
    subtypes: Iterable[str] = (),
    statuses: Iterable[str] = (),
    precisions: Iterable[int | str] = (),
    text: str = "",
) -> gpd.GeoDataFrame:
    """The features matching every given filter (an empty filter selects all), in their order.

    Within one filter the values are alternatives: a feature matches `provinces` when any of its
    provinces (";"-separated) is listed. Raises FilterError for an unknown province, theme,
    status or precision code. An empty result is an empty GeoDataFrame, not an error.
    """
    wanted_provinces = {normalize_province(p) for p in _as_tuple(provinces)}
    wanted_themes = {_normalize_theme(t) for t in _as_tuple(themes)}
    wanted_subtypes = set(_as_tuple(subtypes))
    wanted_statuses = {_normalize_status(s) for s in _as_tuple(statuses)}
    wanted_precisions = {_normalize_precision(p) for p in _as_tuple(precisions)}

    mask = pd.Series(True, index=gdf.index)
    if wanted_provinces:
        pattern = "(?:^|;)(?:" + "|".join(sorted(wanted_provinces)) + ")(?:;|$)"
        mask &= gdf["provinces"].fillna("").astype(str).str.contains(pattern, regex=True)
    if wanted_themes:
        mask &= gdf["theme"].isin(wanted_themes)
    if wanted_subtypes:
        mask &= gdf["subtype"].isin(wanted_subtypes)
    if wanted_statuses:
        mask &= gdf["status_2010"].fillna("").isin(wanted_statuses)
    if wanted_precisions:
        mask &= pd.to_numeric(gdf["geom_precision"], errors="coerce").isin(wanted_precisions)
    if _fold(text or "") and mask.any():
        mask[mask] = text_matches(gdf[mask], text)
    return gdf[mask]
