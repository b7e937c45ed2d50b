"""Benchmark the offline geocoder against the naive baseline, on the same mentions.

    .venv/bin/python bench/bench_geocode.py [--repeat N]

Prints: gazetteer load time, mentions geocoded per second, counts per precision code, the
unresolved count (with reasons), and the baseline a user would try first, an exact-name
lookup in pyecharts' city-coordinate table (dev-only dependency): how many mentions it
resolves and how many of its places lie more than 15 km from our answer.
Mentions come from atlas.extract (via atlas.pipeline.extract_from) when it exists, else from a hand list of items
of the plan's boxes (below).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.gazetteer import load_gazetteer  # noqa: E402
from atlas.geocode import geocode_project, split_places  # noqa: E402
from atlas.models import Project  # noqa: E402
from atlas.settings import SOURCES_DIR  # noqa: E402

FAR_KM = 15.0
# Items as written in the plan's boxes (专栏4, 5, 12, 13 ...): (theme, kind, text).
HAND_MENTIONS = [
    ("railway", "line", "哈尔滨-牡丹江—绥芬河"), ("railway", "line", "哈尔滨-齐齐哈尔"),
    ("railway", "line", "哈尔滨-佳木斯"), ("railway", "line", "吉林—珲春"), ("railway", "line", "沈阳—丹东"),
    ("railway", "line", "丹东—大连"), ("railway", "line", "北京—沈阳"), ("railway", "line", "赤峰—锦州"),
    ("railway", "line", "长春-白城"), ("railway", "line", "长春－双辽"), ("railway", "line", "四平－长春－吉林"),
    ("railway", "line", "佳木斯-双鸭山-同江"), ("railway", "line", "佳木斯-鹤岗"), ("railway", "line", "营口—盘锦—朝阳"),
    ("railway", "line", "七台河-密山"), ("railway", "line", "白河-敦化-东京城"), ("railway", "line", "和龙-图们"),
    ("railway", "line", "通化-白河"), ("railway", "line", "抚远-前进"), ("railway", "line", "白城-乌兰浩特"),
    ("railway", "line", "阿尔山-芒罕屯"), ("railway", "line", "齐齐哈尔—古莲"), ("railway", "line", "齐齐哈尔—海拉尔—满洲里"),
    ("railway", "line", "古莲-洛古河"), ("railway", "line", "长春-太平川-乌斯台"), ("railway", "line", "集宁-通辽"),
    ("railway", "line", "巴彦乌拉—新邱"), ("railway", "line", "赤峰—大板—白音华—锦州"), ("railway", "line", "四平-松江河"),
    ("highway", "line", "康平－北四家子"), ("highway", "line", "通化－东丰"), ("highway", "line", "集安－通化"),
    ("highway", "line", "靖宇－通化"), ("highway", "line", "吉林－荒岗（黑吉界）"), ("highway", "line", "小沟岭（黑吉界）－抚松"),
    ("highway", "line", "沈阳（辉山街道）－铁岭（毛家店）"), ("pipeline", "line", "秦皇岛—沈阳"), ("pipeline", "line", "大连-沈阳"),
    ("grid", "line", "巴林-阜新-盘锦"),
    ("airport", "point", "营口"), ("airport", "point", "哈尔滨"), ("airport", "point", "阿尔山"), ("airport", "point", "长白山"),
    ("airport", "point", "漠河"), ("airport", "point", "大连新"), ("airport", "point", "白城"), ("airport", "point", "松原"),
    ("airport", "point", "延吉"), ("airport", "point", "锦州"), ("airport", "point", "通化"), ("airport", "point", "加格达奇"),
    ("industry", "point", "沈阳"), ("industry", "point", "大连"), ("industry", "point", "齐齐哈尔"), ("industry", "point", "富裕"),
    ("industry", "point", "沈阳铁西"), ("industry", "point", "长春"), ("industry", "point", "吉林"), ("industry", "point", "大庆"),
    ("industry", "point", "鞍山"), ("industry", "point", "本溪"), ("industry", "point", "通辽"), ("industry", "point", "赤峰"),
    ("industry", "point", "呼伦贝尔"), ("industry", "point", "辽中"), ("industry", "point", "新民"), ("industry", "point", "阜蒙县"),
    ("resource_city", "point", "阜新"), ("resource_city", "point", "伊春"), ("resource_city", "point", "辽源"),
    ("resource_city", "point", "白山"), ("resource_city", "point", "盘锦"), ("resource_city", "point", "阿尔山"),
    ("resource_city", "point", "舒兰"), ("resource_city", "point", "九台"), ("resource_city", "point", "敦化"),
    ("resource_city", "point", "五大连池"), ("resource_city", "point", "七台河"), ("resource_city", "point", "双鸭山"),
    ("eco_zone", "zone", "大小兴安岭"), ("eco_zone", "zone", "三江平原"), ("power", "zone", "吉林"),
    ("power", "zone", "黑龙江"), ("economic_zone", "zone", "长吉图"), ("economic_zone", "zone", "哈大齐工业走廊"),
]


def km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def mentions() -> tuple[list[Project], str]:
    """Projects from the extractor when it exists, else from the hand list."""
    try:
        from atlas.pipeline import extract_from
    except ImportError:
        pass
    else:
        return extract_from(SOURCES_DIR), "atlas.extract on geodata/sources"
    projects = []
    for i, (theme, kind, text) in enumerate(HAND_MENTIONS, 1):
        places = split_places(text)
        projects.append(Project(id=f"B-{i:03d}", name_zh=text + ("机场" if theme == "airport" else ""), theme=theme,
                                subtype="", geom_kind=kind, places=places))
    return projects, f"hand list of {len(projects)} plan items (atlas.extract not found)"


def baseline_table() -> dict[str, list[float]]:
    import pyecharts.datasets

    path = Path(pyecharts.datasets.__file__).parent / "city_coordinates.json"
    return json.loads(path.read_text(encoding="utf-8"))


def our_points(located) -> list[tuple[float, float]]:
    geom = located.geometry
    if geom is None:
        return []
    if geom.geom_type == "Point":
        return [(geom.x, geom.y)]
    if geom.geom_type == "LineString":
        return list(geom.coords)
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="geocode the mentions this many times for the rate")
    args = parser.parse_args()

    t0 = time.perf_counter()
    gaz = load_gazetteer()
    load_s = time.perf_counter() - t0
    projects, origin = mentions()

    t0 = time.perf_counter()
    for _ in range(args.repeat):
        located = [geocode_project(p, gaz) for p in projects]
    rate = len(projects) * args.repeat / (time.perf_counter() - t0)

    precision = Counter(loc.precision for loc in located)
    unresolved = [loc for loc in located if loc.geometry is None]

    table = baseline_table()
    base_resolved = base_far = base_compared = 0
    for loc in located:
        places = [p for p in loc.project.places]
        coords = [table.get(p) for p in places]
        if not places or any(c is None for c in coords):
            continue
        base_resolved += 1
        ours = our_points(loc)
        if len(ours) == len(coords):
            for (bx, by), (ox, oy) in zip(coords, ours, strict=True):
                base_compared += 1
                base_far += km(bx, by, ox, oy) > FAR_KM

    print(f"mentions: {len(projects)} ({origin})")
    print(f"gazetteer load: {load_s:.2f} s ({len(gaz.units)} admin units, {len(gaz.towns)} towns, "
          f"{len(gaz.airports)} airports, {len(gaz.landmarks)} landmarks, {len(gaz.regions)} regions)")
    print(f"geocoded: {rate:.0f} mentions/s ({args.repeat} passes)")
    for code in sorted((c for c in precision if c is not None)):
        print(f"  precision {code}: {precision[code]}")
    print(f"unresolved: {len(unresolved)}")
    for loc in unresolved:
        print(f"  {loc.project.name_zh}: {'; '.join(loc.unresolved)}")
    print(f"baseline (pyecharts city_coordinates exact name): resolved {base_resolved}/{len(projects)}; "
          f"{base_far}/{base_compared} of its places > {FAR_KM:.0f} km from our answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
