"""Shared generators for the benchmarks and robustness tests: synthetic plan documents and
synthetic map features. Deterministic for a given seed; nothing here touches the network.

- `synthetic_sources(out_dir, scale)`: `scale` copies of each real document (geodata/sources),
  copy 0 verbatim, every other copy with the place names of the four provinces permuted among
  the real places of the same level (geodata/admin_units.csv). Each copy is its own document, so
  the text keeps the same constructs (boxes, sub-headings, enumerations, PDF artifacts, page
  numbers) and the build sees `scale` times the text and roughly `scale` times the items.
- `synthetic_features(n)`: `n` point features with the schema.FIELDS columns, names, English
  names, verbatim source sentences, section paths and match texts shaped like the real layers.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
GEODATA = REPO / "geodata"
REAL_SOURCES = GEODATA / "sources"
REGION = ("辽宁", "吉林", "黑龙江", "内蒙古")
# Eastern Inner Mongolia (蒙东): 赤峰, 通辽, 呼伦贝尔, 兴安盟, 锡林郭勒盟 (adcode prefixes).
MENGDONG_PREFIXES = ("1504", "1505", "1507", "1522", "1525")
# Short names of admin units that are also ordinary words or parts of other names in the plan
# text (东北振兴, 黑龙江, 新兴产业, 富裕 ...): never replaced, or the prose itself would change.
COMMON_WORDS = frozenset({
    "振兴", "龙江", "新兴", "富裕", "东山", "青山", "新城", "太平", "宏伟", "友好", "前进", "工农",
    "大东", "和平", "东风", "向阳", "胜利", "红旗", "站前", "新华", "中山", "西安", "建华", "铁东",
    "明山", "立山", "平山", "城区", "郊区", "长安", "朝阳", "南山", "兴安", "长白", "白山", "吉林",
})


# ---------------------------------------------------------------- places of the region


@lru_cache(maxsize=2)
def region_places(geodata_dir: Path = GEODATA) -> tuple[dict, ...]:
    """Prefectures and counties of 辽宁, 吉林, 黑龙江 and 蒙东: dicts with name, short, level,
    province, lon, lat, adcode (from geodata/admin_units.csv), in file order."""
    out = []
    with open(Path(geodata_dir) / "admin_units.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["province"] not in REGION or row["level"] not in ("prefecture", "county"):
                continue
            if row["province"] == "内蒙古" and not row["adcode"].startswith(MENGDONG_PREFIXES):
                continue
            shorts = [s for s in row["short_names"].split(";") if s]
            out.append({"name": row["name"], "short": shorts[0] if shorts else row["name"],
                        "level": row["level"], "province": row["province"], "adcode": row["adcode"],
                        "lon": float(row["lon"]), "lat": float(row["lat"])})
    return tuple(out)


def place_permutation(text: str, seed: int, places: tuple[dict, ...] | None = None) -> dict[str, str]:
    """name -> replacement for every region place named in `text` (full and short names), each
    unit mapped to another unit of the same level by a seeded permutation. Province names and
    COMMON_WORDS are left alone."""
    places = places or region_places()
    rng = np.random.default_rng(seed)
    mapping: dict[str, str] = {}
    for level in ("prefecture", "county"):
        pool = [p for p in places if p["level"] == level and len(p["short"]) >= 2 and p["short"] not in COMMON_WORDS]
        targets = [pool[i] for i in rng.permutation(len(pool))]
        for src, dst in zip(pool, targets):
            for name, new in ((src["name"], dst["name"]), (src["short"], dst["short"])):
                if name in text and name not in mapping and name not in COMMON_WORDS:
                    mapping[name] = new
    return mapping


def permute_places(text: str, mapping: dict[str, str], keep: list[tuple[int, int]] = ()) -> str:
    """`text` with every name of `mapping` replaced in one pass (longest name first), except
    inside the `keep` spans."""
    if not mapping:
        return text
    pattern = re.compile("|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True)))

    def swap(m: re.Match) -> str:
        inside = any(a <= m.start() < b for a, b in keep)
        return m.group() if inside else mapping[m.group()]

    return pattern.sub(swap, text)


def table_box_spans(text: str, geodata_dir: Path = GEODATA) -> list[tuple[int, int]]:
    """Spans of the boxes that the extraction rules read as tables (mode = "table"), from the
    box heading to the next box heading (the table's end is not marked in the PDF text). Their row names are listed in
    geodata/curation.toml, which fails the build when a row is not in the text, so the
    generator keeps them verbatim."""
    import tomllib

    rules = tomllib.loads((Path(geodata_dir) / "extraction_rules.toml").read_text(encoding="utf-8"))
    titles = [r["title"] for r in rules.get("boxes", {}).values() if r.get("mode") == "table"]
    spans = []
    for title in titles:
        for m in re.finditer(r"专栏(?:专栏)*\d+：[^：。]{0,20}" + re.escape(title), text):
            nxt = re.compile(r"专栏(?:专栏)*\d+：").search(text, m.end())
            spans.append((m.start(), nxt.start() if nxt else len(text)))
    return spans


def synthetic_sources(out_dir: Path, scale: int, sources_dir: Path = REAL_SOURCES, seed: int = 1) -> list[Path]:
    """Write `scale` copies of every document of `sources_dir` into `out_dir`; return the paths.

    Copy 0 is the real text under its real name; copy i > 0 has its places permuted with seed
    `seed + i` and is named `synthetic<i>_<name>`, so the curation entries of geodata/curation.toml
    (scoped to the real documents by name prefix, and failing loudly when their text is not
    found) do not apply to it: copies are extracted by the rules alone, as any new plan would be.
    Exception: the table boxes (see `table_box_spans`) stay verbatim, because their curated rows
    apply to every document."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(p for p in Path(sources_dir).iterdir() if p.suffix in (".txt", ".md")):
        text = path.read_text(encoding="utf-8")
        keep = table_box_spans(text)
        for i in range(scale):
            copy = text if i == 0 else permute_places(text, place_permutation(text, seed + i), keep)
            name = path.name if i == 0 else f"synthetic{i:03d}_{path.name}"
            target = out_dir / name
            target.write_text(copy, encoding="utf-8")
            written.append(target)
    return written


# ---------------------------------------------------------------- synthetic map features

# theme -> (id prefix, [(subtype, noun, English noun)])
_POINT_KINDS = {
    "industry": ("IN", [("装备制造", "数控机床产业基地", "CNC machine tool base"),
                        ("汽车", "汽车零部件产业集聚区", "auto parts cluster"),
                        ("农产品加工", "农产品加工产业园", "agro-processing park"),
                        ("石化", "石化产业基地", "petrochemical base"),
                        ("县域集聚区", "特色产业集聚区", "county industry cluster")]),
    "power": ("PW", [("风电", "风电场", "wind farm"), ("火电", "热电厂", "combined heat and power plant"),
                     ("抽水蓄能", "抽水蓄能电站", "pumped-storage plant"), ("光伏", "光伏电站", "solar plant")]),
    "airport": ("AP", [("新建", "机场", "Airport"), ("扩建", "机场扩建工程", "Airport expansion")]),
    "water": ("WA", [("水库", "水库", "reservoir"), ("灌区", "灌区", "irrigation district"),
                     ("引水", "引水工程", "water diversion")]),
    "port": ("PT", [("港区", "港区", "port area"), ("码头", "码头", "terminal")]),
    "tourism": ("TO", [("生态旅游品牌", "生态旅游区", "eco-tourism area")]),
}
_THEME_WEIGHTS = {"industry": 0.4, "power": 0.2, "airport": 0.05, "water": 0.15, "port": 0.05, "tourism": 0.15}
_QUALIFIERS = [("", ""), ("东部", "East"), ("西部", "West"), ("北部", "North"), ("南部", "South"),
               ("新区", "New District"), ("高新区", "Hi-tech Zone"), ("临港", "Harbour"), ("经济开发区", "ETDZ"),
               ("循环经济", "Circular"), ("沿江", "Riverside"), ("沿边", "Border"), ("老工业区", "Old Industrial"),
               ("第二", "Second"), ("第三", "Third"), ("北山", "Beishan"), ("河西", "Hexi"), ("河东", "Hedong"),
               ("红星", "Hongxing"), ("金山", "Jinshan"), ("龙泉", "Longquan"), ("松江", "Songjiang"),
               ("白河", "Baihe"), ("青年", "Qingnian"), ("东湖", "Donghu"), ("西湖", "Xihu"), ("长岭", "Changling"),
               ("石门", "Shimen"), ("二道", "Erdao"), ("三道", "Sandao"), ("四方", "Sifang"), ("五星", "Wuxing")]
_VERBS = ("建设", "加快建设", "推进", "规划建设", "扩建", "新建", "改造提升", "培育壮大")
_STATUS_CHOICES = ("", "", "", "", "", "", "建成", "在建", "开工", "前期工作")
_SECTIONS = {"industry": ("第三章/第一节/专栏5/装备制造", "第三章/第一节/专栏5/农产品加工产业基地",
                          "第五章/第三节/专栏4/辽宁省", "第五章/第三节/专栏4/吉林省", "第三章/第一节"),
             "power": ("第七章/第二节/专栏15/风电基地", "第七章/第二节/专栏15/火电", "第七章/第二节"),
             "airport": ("第七章/第一节/专栏14/新建机场", "第七章/第一节/专栏14/扩建（迁建）机场"),
             "water": ("第七章/第三节/专栏16/水源工程", "第七章/第三节/专栏16/灌区", "第七章/第三节"),
             "port": ("第七章/第一节/港口", "第三章/第四节"),
             "tourism": ("第三章/第三节/专栏7/生态旅游", "第三章/第三节")}


def synthetic_features(n: int, seed: int = 0):
    """`n` point features (GeoDataFrame, schema.FIELD_NAMES + geometry, EPSG:4326) shaped like the
    real layers: a distinct Chinese name per feature made of a real place, a qualifier and a
    facility noun; an English name; the verbatim sentence that lists its group (1-8 items, as an
    enumeration in a box does); a section path; a match text per place; points within ~10 km of
    the place's seat. Rows are grouped by nothing: themes and provinces are interleaved."""
    import geopandas as gpd
    import pandas as pd

    from atlas.names import name_en
    from atlas.schema import FIELD_NAMES

    rng = np.random.default_rng(seed)
    places = [p for p in region_places() if p["short"] not in COMMON_WORDS]
    place_en = {p["short"]: name_en(p["short"]) for p in places}
    themes = list(_THEME_WEIGHTS)
    theme_idx = rng.choice(len(themes), n, p=[_THEME_WEIGHTS[t] for t in themes])
    place_idx = rng.integers(0, len(places), n)
    qual_idx = rng.integers(0, len(_QUALIFIERS), n)
    kind_pick = rng.integers(0, 1 << 30, n)
    jitter = rng.normal(0, 0.06, (n, 2))
    group_sizes = rng.integers(1, 9, n)
    statuses = rng.choice(len(_STATUS_CHOICES), n)
    sections = rng.integers(0, 1 << 30, n)
    precisions = rng.choice([1, 2, 2, 2, 3], n)
    counters: dict[str, int] = {}
    rows, xs, ys = [], np.empty(n), np.empty(n)
    i = 0
    while i < n:  # one enumeration sentence per group of items sharing theme and noun
        theme = themes[theme_idx[i]]
        prefix, kinds = _POINT_KINDS[theme]
        subtype, noun, noun_en = kinds[kind_pick[i] % len(kinds)]
        size = min(int(group_sizes[i]), n - i)
        members = range(i, i + size)
        item_names = [places[place_idx[j]]["short"] + _QUALIFIERS[qual_idx[j]][0] for j in members]
        sentence = f"{_VERBS[i % len(_VERBS)]}{'、'.join(item_names)}{'等' if size > 2 else ''}{noun}。"
        for j, item in zip(members, item_names):
            place = places[place_idx[j]]
            _, qual_en = _QUALIFIERS[qual_idx[j]]
            counters[prefix] = counters.get(prefix, 0) + 1
            rows.append({
                "id": f"{prefix}-{counters[prefix]:06d}",
                "name_zh": f"{item}{noun}",
                "name_en": " ".join(w for w in (place_en[place["short"]], qual_en, noun_en) if w),
                "theme": theme, "subtype": subtype, "provinces": place["province"],
                "status_2010": _STATUS_CHOICES[statuses[j]],
                "source_doc": "ne_revitalization_plan_12th_fyp", "source_section": _SECTIONS[theme][sections[j] % len(_SECTIONS[theme])],
                "source_text": sentence, "source_span": f"{1000 + 37 * j}-{1000 + 37 * j + len(sentence)}",
                "evidence_2010": "",
                "geom_precision": int(precisions[j]),
                "geocode_match": f"{place['short']} → {place['name']} (admin_units {place['adcode']}, "
                                 f"{place['province']}) [{'county seat' if place['level'] == 'county' else 'city centre'}]",
                "schematic": 0,
            })
            xs[j] = place["lon"] + jitter[j, 0]
            ys[j] = place["lat"] + jitter[j, 1]
        i += size
    frame = pd.DataFrame(rows, columns=list(FIELD_NAMES))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326")


def peak_rss_reset() -> bool:
    """Reset this process's peak RSS (VmHWM) on Linux; False when the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc/<pid>/status (VmRSS, VmHWM ...), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    """One line describing this machine: CPU model, cores, memory, Python."""
    import os
    import platform

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.machine())
    mem = next((int(ln.split()[1]) // 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), 0)
    return f"{cpu}, {os.cpu_count()} cores, {mem / 1024:.0f} GiB, Python {platform.python_version()}"
