"""Print-ready snapshot (PNG or PDF) of a filtered selection, drawn on the server with matplotlib.

`render_snapshot(gdf)` draws the offline base (province and county outlines from
geodata/boundaries.gpkg), the features in the legend colours (coarse locations dashed and
hollow, as on the web map), a title, a legend, a scale bar, a north arrow, the filter caption,
the sources and the data version. The map is in a Lambert conformal conic projection fitted to
Northeast China, so the scale bar holds across the region. Chinese text uses Noto Sans CJK SC
from the mplfonts package (or Debian's fonts-noto-cjk). Uses matplotlib's object API only (no
pyplot state), so concurrent app sessions cannot interfere.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from atlas._errors import AtlasError
from atlas import mapview
from atlas.i18n import text, theme_label
from atlas.models import PROVINCES
from atlas.schema import THEMES

SNAPSHOT_FORMATS = ("png", "pdf")
MAP_CRS = "+proj=lcc +lat_1=40 +lat_2=50 +lat_0=45 +lon_0=125 +datum=WGS84 +units=m +no_defs"
PAGE_SIZE = (11.69, 8.27)  # inches, A4 landscape
PRINT_DPI = 200
REGION_BOUNDS = (118.0, 38.5, 135.2, 53.6)  # lon/lat box shown when the selection is empty
MIN_EXTENT_M = 300_000  # never zoom closer than this, so a single point keeps its context
CJK_FONT_CANDIDATES = (
    "mplfonts/fonts/NotoSansCJKsc-Regular.otf",  # relative to site-packages
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class SnapshotError(AtlasError, ValueError):
    """A snapshot cannot be made: unknown format or no CJK font."""


@lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontProperties:
    """A font with Chinese glyphs: mplfonts' Noto Sans CJK SC, else Debian's Noto Sans CJK."""
    import mplfonts

    site = Path(mplfonts.__file__).resolve().parent.parent
    for candidate in CJK_FONT_CANDIDATES:
        path = site / candidate if not candidate.startswith("/") else Path(candidate)
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path))
    msg = f"No CJK font found; install mplfonts or fonts-noto-cjk (looked for {', '.join(CJK_FONT_CANDIDATES)})."
    raise SnapshotError(msg)


def _nice_length(max_m: float) -> float:
    """The largest 1/2/5 x 10^n metres not above `max_m`."""
    exp = 10 ** np.floor(np.log10(max_m))
    return max(f * exp for f in (1, 2, 5) if f * exp <= max_m)


def _extent(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    if len(gdf) and np.isfinite(gdf.total_bounds).all():
        minx, miny, maxx, maxy = gdf.total_bounds
    else:
        minx, miny, maxx, maxy = gpd.GeoSeries.from_xy([REGION_BOUNDS[0], REGION_BOUNDS[2]],
                                                       [REGION_BOUNDS[1], REGION_BOUNDS[3]],
                                                       crs="EPSG:4326").to_crs(MAP_CRS).total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w = max(maxx - minx, MIN_EXTENT_M) / 2 * 1.12
    half_h = max(maxy - miny, MIN_EXTENT_M) / 2 * 1.12
    aspect = 0.78 * PAGE_SIZE[0] / (0.84 * PAGE_SIZE[1])  # of the map axes
    if half_w / half_h < aspect:
        half_w = half_h * aspect
    else:
        half_h = half_w / aspect
    return cx - half_w, cx + half_w, cy - half_h, cy + half_h


def _draw_base(ax, boundaries: Path | None) -> None:
    provinces, counties = mapview.load_boundaries(boundaries) if boundaries else (None, None)
    ax.set_facecolor("#e9ebec")  # outside China: no outlines shipped, so neutral, not "sea"
    if provinces is None:
        return
    provinces = provinces.to_crs(MAP_CRS)
    ours = provinces["province"].isin(PROVINCES) if "province" in provinces else np.zeros(len(provinces), bool)
    provinces[~ours].plot(ax=ax, facecolor="#f6f5f1", edgecolor="#9aa5ab", linewidth=0.6, zorder=1)
    provinces[ours].plot(ax=ax, facecolor="#fffefa", edgecolor="none", zorder=1)
    if counties is not None:
        counties.to_crs(MAP_CRS).boundary.plot(ax=ax, color="#c3cbd0", linewidth=0.25, zorder=2)
    provinces[ours].boundary.plot(ax=ax, color="#5f6b73", linewidth=0.9, zorder=3)


def _draw_features(ax, gdf: gpd.GeoDataFrame, lang: str, font) -> list:
    handles = []
    gdf = gdf.to_crs(MAP_CRS)
    coarse = gdf["geom_precision"].fillna(0).astype(float) >= mapview.COARSE_PRECISION
    kinds = gdf.geom_type.str.replace("Multi", "")
    for theme in mapview._theme_order(gdf["theme"].unique()):
        colour = THEMES.get(theme, ("", "", "", mapview.UNKNOWN_COLOUR))[3]
        in_theme = gdf["theme"] == theme
        for is_coarse in (False, True):
            dash = "--" if is_coarse else "-"
            zones = gdf[in_theme & (kinds == "Polygon") & (coarse == is_coarse)]
            if len(zones):
                zones.plot(ax=ax, facecolor=colour, edgecolor="none", alpha=0.08 if is_coarse else 0.22, zorder=4)
                zones.boundary.plot(ax=ax, color=colour, linewidth=1.0, linestyle=dash, zorder=4)
            lines = gdf[in_theme & (kinds == "LineString") & (coarse == is_coarse)]
            if len(lines):
                lines.plot(ax=ax, color=colour, linewidth=2.0, linestyle=dash, zorder=5)
        points = gdf[in_theme & (kinds == "Point")]
        if len(points):
            fine, rough = points[~coarse[points.index]], points[coarse[points.index]]
            if len(fine):
                ax.scatter(fine.geometry.x, fine.geometry.y, s=22, color=colour, edgecolor="white",
                           linewidth=0.6, zorder=6)
            if len(rough):
                ax.scatter(rough.geometry.x, rough.geometry.y, s=60, facecolor="none", edgecolor=colour,
                           linewidth=1.0, linestyle="--", zorder=6)
        label = f"{theme_label(theme, lang)} ({int(in_theme.sum())})"
        dominant = kinds[in_theme].mode().iloc[0]
        if dominant == "Point":
            handles.append(Line2D([], [], marker="o", linestyle="none", markersize=6, color=colour,
                                  markeredgecolor="white", label=label))
        elif dominant == "LineString":
            handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
        else:
            handles.append(Patch(facecolor=colour, alpha=0.4, edgecolor=colour, label=label))
    coarse_label = textwrap.fill(text("legend_dashed", lang), 16 if lang == "zh" else 30)
    handles.append(Line2D([], [], color="#555", linewidth=1.5, linestyle="--", label=coarse_label))
    return handles


def _scale_bar(ax, font) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) / 5)
    bx, by, h = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05, (y1 - y0) * 0.008
    for i in range(2):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, h, facecolor=("#333" if i == 0 else "white"),
                               edgecolor="#333", linewidth=0.6, zorder=10))
    for pos, value in ((0, 0), (length / 2, length / 2000), (length, length / 1000)):
        ax.text(bx + pos, by + h * 1.8, f"{value:g}", ha="center", va="bottom", fontsize=7, zorder=10,
                fontproperties=font)
    ax.text(bx + length + (x1 - x0) * 0.01, by, "km", va="bottom", fontsize=7, zorder=10, fontproperties=font)


def _north_arrow(ax, font) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.16
    ax.add_patch(FancyArrow(x, y, 0, (y1 - y0) * 0.07, width=(x1 - x0) * 0.006, head_width=(x1 - x0) * 0.022,
                            head_length=(y1 - y0) * 0.03, color="#222", zorder=10))
    ax.text(x, y + (y1 - y0) * 0.105, "N", ha="center", va="bottom", fontsize=11, weight="bold", zorder=10,
            fontproperties=font)


def render_snapshot(gdf: gpd.GeoDataFrame, fmt: str = "png", lang: str = "zh", *, filters_caption: str = "",
                    title: str | None = None, data_version: str = "", boundaries: Path | None = mapview.BOUNDARIES_GPKG,
                    dpi: int = PRINT_DPI) -> bytes:
    """The snapshot of `gdf` (FIELDS + geometry, EPSG:4326) as PNG or PDF bytes.

    `filters_caption` says which filters made the selection ("" = all features); `data_version`
    is printed with the sources (e.g. the layers' build date). Raises SnapshotError for an
    unknown format.
    """
    if fmt not in SNAPSHOT_FORMATS:
        msg = f"Unknown snapshot format {fmt!r}. Supported formats: {', '.join(SNAPSHOT_FORMATS)}."
        raise SnapshotError(msg)
    font = cjk_font()
    fig = Figure(figsize=PAGE_SIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.1, 0.74, 0.8))
    xmin, xmax, ymin, ymax = _extent(gdf.to_crs(MAP_CRS) if len(gdf) else gdf)
    _draw_base(ax, boundaries)
    handles = _draw_features(ax, gdf, lang, font) if len(gdf) else []
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#555")
    _scale_bar(ax, font)
    _north_arrow(ax, font)

    heading = title or text("snapshot_title", lang)
    fig.text(0.02, 0.955, heading, fontsize=18, weight="bold", fontproperties=font, va="center")
    caption = text("filter_caption", lang, filters=filters_caption or text("all", lang))
    fig.text(0.02, 0.918, f"{caption} · n = {len(gdf)}", fontsize=9.5, color="#333", fontproperties=font,
             va="center")
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.775, 0.9), frameon=False,
                   prop=_sized(font, 8.5), title=text("theme", lang),
                   title_fontproperties=_sized(font, 10), alignment="left")
    else:
        fig.text(0.78, 0.86, text("no_features", lang), fontproperties=_sized(font, 9))
    docs = "; ".join(sorted(set(gdf["source_doc"].dropna().astype(str)))) if len(gdf) else "—"
    sources = text("sources_caption", lang, docs=docs)
    version = data_version or dt.date.today().isoformat()
    fig.text(0.02, 0.05, sources, fontsize=7.5, color="#444", fontproperties=font, wrap=True)
    fig.text(0.02, 0.025, f"{'数据版本' if lang == 'zh' else 'Data version'}: {version} · Lambert conformal conic "
             "(40°N/50°N, 125°E), WGS 84", fontsize=7, color="#666", fontproperties=font)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white")
    return buf.getvalue()


def _sized(font: font_manager.FontProperties, size: float) -> font_manager.FontProperties:
    sized = font.copy()
    sized.set_size(size)
    return sized
