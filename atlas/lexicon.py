"""The place lexicon the extractor uses to tell places from other words.

Built from the same committed gazetteer files the geocoder reads (geodata/admin_units.csv,
towns.csv, aliases.csv, places_curated.csv, landmarks.csv, regions.csv, abbreviations.csv). The
extractor only needs to know that a word is a place and how specific it is; where it is, is the
geocoder's business.
"""

from __future__ import annotations

import csv
from pathlib import Path

from atlas._errors import GazetteerError
from atlas.extract import LEVELS, PlaceLexicon, load_abbreviations
from atlas.settings import GEODATA_DIR

REGION_PROVINCES = ("辽宁", "吉林", "黑龙江", "内蒙古")
# Words that are names of some small place but, in plan text, are ordinary words.
STOP_WORDS = frozenset(
    "中部 东部 西部 北部 南部 中心 重点 新区 城市 地区 工业 产业 农业 发展 建设 国际 国家 东北 北方 "
    "现代 沿海 沿边 边境 口岸 东方 前进 大型 中国 加快 合作 开发 经济 综合 一体 生态 绿色 新型 "
    "和平 长江 黄河 胜利 红旗 光明 民主 团结 友谊 向阳 东风 立新 永安 新兴 兴隆 太平 "
    "同江铁路 大连新 新城".split()
)


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, csv.Error) as exc:
        raise GazetteerError(f"cannot read {path}: {exc}") from None


def build_lexicon(geodata_dir: Path = GEODATA_DIR) -> PlaceLexicon:
    """Every name that denotes a place of the region, with its level (see extract.LEVELS)."""
    geodata_dir = Path(geodata_dir)
    admin = _rows(geodata_dir / "admin_units.csv")
    if not admin:
        raise GazetteerError(f"gazetteer file missing or empty: {geodata_dir / 'admin_units.csv'}")
    levels: dict[str, int] = {}

    def add(name: str, level: int) -> None:
        name = name.strip()
        if len(name) >= 2 and name not in STOP_WORDS:
            levels[name] = max(levels.get(name, -1), level)

    for row in admin:
        level = LEVELS.get(row["level"], LEVELS["county"])
        in_region = row["province"] in REGION_PROVINCES
        if not in_region and row["level"] == "county":
            continue  # counties elsewhere only cause false matches
        names = [row["name"], *filter(None, row.get("short_names", "").split(";")),
                 *filter(None, row.get("former_names", "").split(";"))]
        for name in names:
            add(name, level)
    for row in _rows(geodata_dir / "aliases.csv"):
        add(row["alias"], LEVELS["county"])
    weak = set()
    for row in _rows(geodata_dir / "towns.csv"):
        if row["province"] in REGION_PROVINCES:
            for name in row["names_zh"].split(";"):
                if name not in levels:
                    add(name, LEVELS["town"])
                    if len(name) == 2:
                        weak.add(name)  # 联合, 海洋, 石河: words first, towns second
    for row in _rows(geodata_dir / "places_curated.csv"):
        for name in [row["name_zh"], *filter(None, row.get("aliases", "").split(";"))]:
            add(name, LEVELS["town"])
    for row in _rows(geodata_dir / "landmarks.csv"):
        for name in [row["name_zh"], *filter(None, row.get("aliases", "").split(";"))]:
            add(name, LEVELS["landmark"] if row.get("kind") not in ("town", "station") else LEVELS["town"])
    for row in _rows(geodata_dir / "regions.csv"):
        for name in [row["region_zh"], *filter(None, row.get("aliases", "").split(";"))]:
            if name not in levels:
                add(name, LEVELS["region"])
    abbreviations = {}
    if (geodata_dir / "abbreviations.csv").exists():
        abbreviations = load_abbreviations(geodata_dir / "abbreviations.csv")
    return PlaceLexicon(levels, abbreviations, max(len(n) for n in levels), frozenset(weak))
