"""Map benchmark: the atlas Folium map against the naive approach, same features, same run.

    .venv/bin/python bench/bench_map.py [--sizes 1000 10000 100000] [--naive-max 10000] [--runs 3]

For each size, synthetic point features (bench/_synthetic.synthetic_features: schema.FIELDS
columns, a distinct name per feature, the enumeration sentence it comes from, a match text per
place) are drawn three ways and each page rendered to HTML (folium is lazy: the render is where
the time goes, so "built" = make the map + render its HTML):
  - atlas:  atlas.mapview.make_map(gdf) + map_html (popups, one layer per theme, offline assets
            inlined, clustering above mapview.CLUSTER_MIN_POINTS points per theme);
  - naive:  one folium.Marker per feature with a folium.Popup carrying the same popup text
            (escaped), in one FeatureGroup per theme (only up to --naive-max features: it is slow);
  - FastMarkerCluster (100k only, reference): points only, no popups, no layers.
Printed per size: seconds to build (atlas: median of --runs builds of the same frame, as the
app rebuilds a view; naive: one build), HTML MB, and naive/atlas ratios. Also the filter path the
app takes (filter_features by one province, then the map of what is left) and checks that the
atlas page keeps what the goal asks: popups (the popup template), one layer per theme (+ base)
and the layer control. Goal at 100k: built <= 2 s, HTML <= 6 MB.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import folium
from _synthetic import machine, synthetic_features
from folium.plugins import FastMarkerCluster

from atlas import mapview
from atlas.filters import filter_features

GOAL_SECONDS, GOAL_MB = 2.0, 6.0
_LABELS = ("id", "theme", "subtype", "provinces", "status", "precision", "matched", "document")


def atlas_map(gdf) -> tuple[float, float, str]:
    """(seconds for make_map, seconds for the HTML render, html)."""
    t0 = time.perf_counter()
    m = mapview.make_map(gdf)
    t1 = time.perf_counter()
    page = mapview.map_html(m)
    return t1 - t0, time.perf_counter() - t1, page


def naive_map(gdf) -> tuple[float, str]:
    """One folium.Marker + folium.Popup per feature, grouped by theme; the popup holds the same
    fields as the atlas popup, escaped. Returns (seconds, html)."""
    t0 = time.perf_counter()
    values = [v.to_numpy() for v in mapview.popup_values(gdf)]
    m = folium.Map(location=mapview.REGION_CENTER, zoom_start=5)
    groups = {t: folium.FeatureGroup(name=t).add_to(m) for t in gdf["theme"].unique()}
    for i, (theme, geom) in enumerate(zip(gdf["theme"], gdf.geometry)):
        v = [html.escape(str(col[i])) for col in values]
        rows = "".join(f"<tr><th>{label}</th><td>{v[j]}</td></tr>" for label, j in zip(_LABELS, (2, 3, 4, 5, 6, 7, 8, 12)))
        popup = (f"<h4>{v[0]}</h4><div>{v[1]}</div><table>{rows}</table><div>{v[9]}</div>"
                 f"<blockquote>{v[10]}</blockquote><blockquote>{v[11]}</blockquote>")
        folium.Marker([geom.y, geom.x], popup=folium.Popup(popup, max_width=400), tooltip=v[0]).add_to(groups[theme])
    folium.LayerControl().add_to(m)
    page = m.get_root().render()
    return time.perf_counter() - t0, page


def fast_cluster_map(gdf) -> tuple[float, str]:
    t0 = time.perf_counter()
    m = folium.Map(location=mapview.REGION_CENTER, zoom_start=5)
    FastMarkerCluster([[p.y, p.x] for p in gdf.geometry]).add_to(m)
    page = m.get_root().render()
    return time.perf_counter() - t0, page


def kept(page: str, n_themes: int) -> str:
    """What the atlas page keeps: popup template, theme layers (+ base), layer control.

    The theme layers are one atlasThemes([...]) call with one entry ("th") per theme; the layer
    control is built by atlasThemes in the inlined asset script, so its presence is the call."""
    popups = "atlas-popup" in page
    themes = len(re.findall(r'\{"th":"', page))
    base = len(re.findall(r"= atlasLayer\(", page))
    control = "atlasThemes(" in page
    return (f"popups {'yes' if popups else 'NO'}, theme layers {themes} of {n_themes} + base {base}, "
            f"layer control {'yes' if control else 'NO'}")


def mb(page: str) -> float:
    return len(page.encode("utf-8")) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--naive-max", type=int, default=10000, help="largest size drawn the naive way")
    ap.add_argument("--runs", type=int, default=3, help="atlas maps built per size (median reported)")
    args = ap.parse_args()

    print(f"machine: {machine()}")
    mapview.make_map(synthetic_features(50))  # warm-up: boundaries cache, assets, imports
    print(f"\n{'features':>8} | {'atlas make s':>12} {'render s':>8} {'built s':>8} {'HTML MB':>8} | "
          f"{'naive s':>8} {'HTML MB':>8} | {'time ratio':>10} {'size ratio':>10}")
    checks, filters, atlas100k = [], [], None
    for n in args.sizes:
        gdf = synthetic_features(n, seed=n)
        timings = [atlas_map(gdf) for _ in range(args.runs)]
        make_s, render_s = (statistics.median(t[i] for t in timings) for i in (0, 1))
        page = timings[0][2]
        built = make_s + render_s
        line = f"{n:8} | {make_s:12.2f} {render_s:8.2f} {built:8.2f} {mb(page):8.2f} | "
        if n <= args.naive_max:
            naive_s, naive_page = naive_map(gdf)
            line += (f"{naive_s:8.2f} {mb(naive_page):8.2f} | {naive_s / built:9.1f}x {mb(naive_page) / mb(page):9.1f}x")
            del naive_page
        else:
            line += f"{'skipped':>8} {'':8} | (naive above --naive-max {args.naive_max})"
        print(line, flush=True)
        checks.append((n, kept(page, gdf['theme'].nunique())))
        t0 = time.perf_counter()
        shown = filter_features(gdf, provinces=["吉林"])
        f_s = time.perf_counter() - t0
        fm_s, fr_s, fpage = atlas_map(shown)
        filters.append((n, len(shown), f_s, fm_s + fr_s, mb(fpage)))
        if n == max(args.sizes):
            atlas100k = (n, built, mb(page))
        del page

    n_max = max(args.sizes)
    gdf = synthetic_features(n_max, seed=n_max)
    fc_s, fc_page = fast_cluster_map(gdf)
    print(f"\nreference at {n_max}: FastMarkerCluster (no popups, no layers, CDN assets not counted) "
          f"{fc_s:.2f} s, {mb(fc_page):.2f} MB")
    print("\nfilter path (filter_features province=吉林, then map + HTML of what is left):")
    for n, k, f_s, m_s, size in filters:
        print(f"  {n:8} features -> {k:7} shown: filter {f_s:.3f} s, map {m_s:.2f} s, HTML {size:.2f} MB")
    print("\natlas page keeps:")
    for n, text in checks:
        print(f"  {n:8}: {text}")
    n, built, size = atlas100k
    ok = built <= GOAL_SECONDS and size <= GOAL_MB
    print(f"\ngoal at {n}: built <= {GOAL_SECONDS} s and HTML <= {GOAL_MB} MB -> "
          f"{'meets' if ok else 'MISSES'} (built {built:.2f} s, HTML {size:.2f} MB)")


if __name__ == "__main__":
    main()
