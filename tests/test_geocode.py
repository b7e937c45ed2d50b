"""Geocoding real projects of the four provinces: points, lines, zones, and what stays unresolved."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from shapely.geometry import Point

from atlas.geocode import geocode_places, geocode_project, province_hints, split_places
from _geo import km
from atlas.models import PROVINCES, Project

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "reference_sample.csv"




def project(name, theme, kind, places=(), site="", hint=(), qualifiers=()):
    return Project(id="T-001", name_zh=name, theme=theme, subtype="", geom_kind=kind, places=tuple(places),
                   site=site, province_hint=tuple(hint), qualifiers=tuple(qualifiers))


def test_yingkou_airport_on_lanqi_runway(gaz):
    located = geocode_project(project("营口机场", "airport", "point", ["营口"]), gaz)
    assert located.precision == 1
    assert km(located.geometry.x, located.geometry.y, 122.3586, 40.542524) < 5
    assert "ZYYK" in located.match
    assert located.provinces == ("辽宁",)


def test_planned_airport_that_does_not_exist_is_coarse_not_precise(gaz):
    located = geocode_project(project("研究建设大连新机场", "airport", "point", ["大连"]), gaz)
    assert located.precision is None or located.precision >= 3
    assert "DLC" not in located.match.split("→")[-1].split("(existing")[0]


def test_line_harbin_mudanjiang_suifenhe(gaz):
    located = geocode_places(split_places("哈尔滨-牡丹江—绥芬河"), "line", gaz)
    assert located.geometry.geom_type == "LineString"
    assert len(located.geometry.coords) == 3
    assert located.schematic is True
    assert located.provinces == ("黑龙江",)
    assert all(gaz.province_at(x, y) == "黑龙江" for x, y in located.geometry.coords)
    end = located.geometry.coords[-1]
    assert km(end[0], end[1], 131.14775, 44.39982) < 15  # GeoNames 2034657 Suifenhe


def test_line_through_towns_baihe_dunhua_dongjingcheng(gaz):
    located = geocode_places(split_places("白河-敦化-东京城"), "line", gaz)
    start, _mid, end = located.geometry.coords
    assert km(start[0], start[1], 128.11048, 42.42456) < 10  # 二道白河, not 白河县 in Shaanxi
    assert km(end[0], end[1], 129.21003, 44.11426) < 10
    assert located.provinces == ("吉林", "黑龙江")
    assert "陕西" in located.match and "out of region" in located.match


def test_line_leaving_the_region_lists_neighbours_after_the_four(gaz):
    located = geocode_places(split_places("北京—沈阳"), "line", gaz)
    assert located.provinces[0] == "辽宁"
    assert "北京" in located.provinces and "河北" in located.provinces
    assert list(located.provinces).index("辽宁") < list(located.provinces).index("北京")


def test_ambiguous_town_chosen_near_its_neighbour(gaz):
    located = geocode_places(split_places("抚远-前进"), "line", gaz)
    assert located.provinces == ("黑龙江",)
    (x1, y1), (x2, y2) = located.geometry.coords
    assert km(x1, y1, x2, y2) < 250  # the 前进 of 同江, not the ones near 绥化 or 嫩江
    assert located.precision == 3  # the curated 前进 is an estimate


def test_line_with_unknown_waypoint_is_unresolved_naming_it(gaz):
    located = geocode_places(["哈尔滨", "甲乙丙丁屯"], "line", gaz)
    assert located.geometry is None and located.precision is None
    assert located.unresolved and located.unresolved[0].startswith("甲乙丙丁屯:")


def test_border_qualifier_gives_province_hints():
    p = project("小沟岭（黑吉界）－抚松", "highway", "line", ["小沟岭（黑吉界）", "抚松"])
    assert province_hints(p) == ("黑龙江", "吉林")


@pytest.mark.parametrize(
    ("place", "province", "lon", "lat", "tol"),
    [("北四家子", "辽宁", 123.48586, 42.84857, 10), ("东京城", "黑龙江", 129.21003, 44.11426, 10),
     ("大板", "内蒙古", 118.66667, 43.53333, 10), ("白河", "吉林", 128.11048, 42.42456, 10),
     ("古莲", "黑龙江", 122.34126, 52.95186, 10), ("敦化", "吉林", 128.22861, 43.36954, 15),
     ("康平", "辽宁", 123.34944, 42.73917, 15), ("赤峰", "内蒙古", 118.96361, 42.26833, 15)],
)
def test_point_places(gaz, place, province, lon, lat, tol):
    located = geocode_places([place], "point", gaz)
    assert located.provinces == (province,)
    assert km(located.geometry.x, located.geometry.y, lon, lat) < tol
    assert located.precision in (2, 3)


def test_town_is_precision_2_and_large_banner_precision_3(gaz):
    assert geocode_places(["北四家子"], "point", gaz).precision == 2
    banner = geocode_places(["鄂伦春自治旗"], "point", gaz)
    assert banner.precision == 3 and "somewhere in this unit" in banner.match


def test_compound_city_district(gaz):
    located = geocode_project(project("沈阳铁西装备制造产业", "industry", "point", ["沈阳铁西"]), gaz)
    assert "210106" in located.match
    assert km(located.geometry.x, located.geometry.y, 123.33397, 41.82081) < 12


def test_unknown_point_is_unresolved_with_reason(gaz):
    located = geocode_places(["甲乙丙丁屯"], "point", gaz)
    assert located.geometry is None
    assert located.unresolved == ["甲乙丙丁屯: not in the gazetteer (admin units, GeoNames towns, curated places)"]


def test_out_of_region_only_is_unresolved(gaz):
    located = geocode_places(["白河县"], "point", gaz)
    assert located.geometry is None
    assert "outside the region" in located.unresolved[0] and "陕西" in located.unresolved[0]


def test_zone_from_counties_is_valid_polygon(gaz):
    located = geocode_places(split_places("阜蒙县、彰武"), "zone", gaz)
    assert located.geometry.geom_type in ("Polygon", "MultiPolygon")
    assert located.geometry.is_valid
    assert located.precision == 3
    assert located.provinces == ("辽宁",)
    seat = gaz.lookup("彰武县")[0]
    assert located.geometry.contains(Point(seat.lon, seat.lat))


def test_province_wide_zone_is_province_polygon(gaz):
    located = geocode_project(project("吉林省风电基地", "power", "zone", ["吉林"], hint=["吉林"]), gaz)
    assert located.precision == 4
    assert located.provinces == ("吉林",)
    assert located.geometry.is_valid and located.geometry.area > 10  # square degrees


def test_same_inputs_same_output(gaz):
    a = geocode_places(split_places("赤峰—大板—白音华—锦州"), "line", gaz)
    b = geocode_places(split_places("赤峰—大板—白音华—锦州"), "line", gaz)
    assert a.geometry.equals_exact(b.geometry, 0) and a.match == b.match


def test_reference_sample_points(gaz):
    if not SAMPLE.is_file():
        pytest.skip(f"no reference sample at {SAMPLE}")
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["theme"] == "airport"]
    assert rows
    for row in rows:
        city = row["name_zh"].removesuffix("机场")
        located = geocode_project(project(row["name_zh"], "airport", "point", [city]), gaz)
        assert km(located.geometry.x, located.geometry.y, float(row["ref_lon"]), float(row["ref_lat"])) <= float(
            row["tolerance_km"]), row["name_zh"]
        assert set(located.provinces) == set(row["provinces"].split(";"))


def test_reference_sample_lines(gaz):
    if not SAMPLE.is_file():
        pytest.skip(f"no reference sample at {SAMPLE}")
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["geom"] == "line"]
    for row in rows:
        located = geocode_places(row["waypoints_zh"].split(";"), "line", gaz)
        assert located.geometry is not None, located.unresolved
        assert set(located.provinces) >= set(row["provinces"].split(";")), row["name_zh"]
        assert set(located.provinces) <= set(PROVINCES)
