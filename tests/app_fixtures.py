"""Small, realistic fixture layers for the app tests (mapview, snapshot, AppTest, browser).

`fixture_gdf()` builds a GeoDataFrame shaped like `layers.read_layers()` output: the
schema.FIELD_NAMES columns, a `layer` column and mixed points, lines and zones in EPSG:4326.
`write_fixture_layers(dir)` writes it the way the build does: `<theme>.gpkg` holding
`<theme>_point|_line|_zone`, written with plain pyogrio. Coordinates are approximate
city/site positions, good enough to look right on a map; they are test data, not gazetteer data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely.geometry import LineString, Point, Polygon

from atlas.schema import FIELD_NAMES

HARBIN, CHANGCHUN, SHENYANG, DALIAN = (126.63, 45.75), (125.32, 43.82), (123.43, 41.80), (121.61, 38.91)
BENXI, DANDONG, CHIFENG, JINZHOU = (123.77, 41.30), (124.35, 40.00), (118.89, 42.26), (121.13, 41.10)
HUNCHUN, MUDANJIANG, SUIFENHE = (130.37, 42.87), (129.63, 44.55), (131.15, 44.40)

_SECTION = "第七章/第一节/专栏12/快速铁路及区际干线"

# (id, name_zh, name_en, theme, subtype, provinces, status, section, text, precision, match, geometry)
_ROWS = [
    ("RW-001", "哈大客运专线", "Harbin–Dalian passenger railway", "railway", "客运专线", "黑龙江;吉林;辽宁",
     "铺轨", _SECTION, "建成哈大、沈丹、丹大等客运专线。", 2, "哈尔滨市; 长春市; 沈阳市; 大连市 (admin centres)",
     LineString([HARBIN, CHANGCHUN, SHENYANG, DALIAN])),
    ("RW-002", "沈丹客运专线", "Shenyang–Dandong passenger railway", "railway", "客运专线", "辽宁",
     "开工", _SECTION, "建成哈大、沈丹、丹大等客运专线。", 2, "沈阳市; 本溪市; 丹东市",
     LineString([SHENYANG, BENXI, DANDONG])),
    ("RW-003", "赤峰至锦州铁路", "Chifeng–Jinzhou railway", "railway", "区际干线", "内蒙古;辽宁",
     "", _SECTION, "赤（峰）大（板）白（音华）至锦州铁路", 2, "赤峰市; 锦州市",
     LineString([CHIFENG, (120.4, 41.6), JINZHOU])),
    ("RW-004", "哈尔滨-牡丹江—绥芬河铁路", "Harbin–Mudanjiang–Suifenhe railway", "railway", "快速铁路",
     "黑龙江", "前期工作", _SECTION, "哈尔滨-牡丹江—绥芬河", 2, "哈尔滨市; 牡丹江市; 绥芬河市",
     LineString([HARBIN, MUDANJIANG, SUIFENHE])),
    ("HW-001", "长春至珲春高速公路", "Changchun–Hunchun expressway", "highway", "国家高速公路", "吉林",
     "通车", "第七章/第一节/专栏13/高速公路", "长春至珲春高速公路", 2, "长春市; 珲春市",
     LineString([CHANGCHUN, (126.55, 43.84), HUNCHUN])),
    ("AP-001", "长白山机场", "Changbaishan Airport", "airport", "新建", "吉林", "建成",
     "第七章/第一节/专栏14/新建", "新建长白山、漠河、抚远等支线机场", 1, "airportsdata NBS",
     Point(127.60, 42.07)),
    ("AP-002", "漠河机场", "Mohe Airport", "airport", "新建", "黑龙江", "通车",
     "第七章/第一节/专栏14/新建", "新建长白山、漠河、抚远等支线机场", 1, "airportsdata OHE",
     Point(122.43, 52.91)),
    ("AP-003", "阿尔山机场", "Arxan Airport", "airport", "新建", "内蒙古", "",
     "第七章/第一节/专栏14/新建", "新建阿尔山机场", 1, "airportsdata YIE", Point(119.91, 47.31)),
    ("PW-001", "红沿河核电站一期工程", "Hongyanhe Nuclear Power Plant phase I", "power", "核电", "辽宁",
     "在建", "第七章/第二节/专栏15/核电", "建成红沿河核电站一期工程", 1, "landmarks.csv 红沿河核电站",
     Point(121.48, 39.80)),
    ("PW-002", "吉林风电基地", "Jilin wind power base", "power", "风电基地", "吉林", "",
     "第七章/第二节/专栏15/风电基地", "风电基地：吉林、黑龙江、蒙东", 4, "吉林省 (province polygon)",
     Polygon([(122.0, 41.0), (131.0, 42.5), (129.5, 46.0), (123.5, 46.2), (122.0, 44.0)])),
    ("WA-001", "尼尔基水利枢纽", "Nierji water conservancy hub", "water", "水利枢纽", "内蒙古;黑龙江", "建成",
     "第七章/第三节/专栏16/水利枢纽", "尼尔基水利枢纽配套工程", 1, "landmarks.csv 尼尔基水库",
     Point(124.50, 48.50)),
    ("IN-001", "沈阳数控机床产业基地", "Shenyang CNC machine tool base", "industry", "装备制造", "辽宁",
     "", "第五章/第一节/专栏5/装备制造", "沈阳、大连、齐齐哈尔数控机床产业基地", 2, "沈阳市 (city centre)",
     Point(*SHENYANG)),
    ("IN-002", "大连数控机床产业基地", "Dalian CNC machine tool base", "industry", "装备制造", "辽宁",
     "", "第五章/第一节/专栏5/装备制造", "沈阳、大连、齐齐哈尔数控机床产业基地", 2, "大连市 (city centre)",
     Point(*DALIAN)),
    ("EC-001", "大小兴安岭森林生态功能区", "Greater and Lesser Khingan forest ecological function zone",
     "eco_zone", "重点生态功能区", "黑龙江;内蒙古", "", "第八章/第二节/专栏8/限制开发区域",
     "大小兴安岭森林生态功能区", 5, "estimated region from member counties",
     Polygon([(120.5, 53.3), (126.5, 52.8), (129.5, 48.5), (127.0, 47.0), (121.0, 47.5), (119.5, 50.5)])),
]

HOSTILE_NAMES = ('<script>alert("x")</script>哈尔滨', '<img src=x onerror=alert(1)>机场')


def fixture_gdf(hostile: bool = False) -> gpd.GeoDataFrame:
    """The fixture features; `hostile=True` renames two of them with HTML/script payloads."""
    records = []
    for (fid, zh, en, theme, sub, prov, status, sec, text, prec, match, geom) in _ROWS:
        records.append({
            "id": fid, "name_zh": zh, "name_en": en, "theme": theme, "subtype": sub, "provinces": prov,
            "status_2010": status, "source_doc": "ne_revitalization_plan_12th_fyp", "source_section": sec,
            "source_text": text, "source_span": "0-10", "evidence_2010": "", "geom_precision": prec,
            "geocode_match": match, "schematic": int(geom.geom_type == "LineString"), "geometry": geom,
        })
    if hostile:
        records[0]["name_zh"] = records[0]["name_en"] = HOSTILE_NAMES[0]
        records[5]["name_zh"] = records[5]["name_en"] = HOSTILE_NAMES[1]
        records[5]["source_text"] = HOSTILE_NAMES[1] + "<b>bold</b>"
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    gdf["layer"] = [f"{t}_{_kind(g)}" for t, g in zip(gdf["theme"], gdf.geometry)]
    return gdf[[*FIELD_NAMES, "layer", "geometry"]]


def _kind(geom) -> str:
    return {"Point": "point", "LineString": "line"}.get(geom.geom_type, "zone")


def write_fixture_layers(out_dir: Path, hostile: bool = False) -> Path:
    """Write the fixture as `<theme>.gpkg` files with `<theme>_<kind>` layers; returns out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gdf = fixture_gdf(hostile)
    for layer_name, part in gdf.groupby("layer", sort=True):
        theme = layer_name.rsplit("_", 1)[0]
        pyogrio.write_dataframe(part.drop(columns="layer"), out_dir / f"{theme}.gpkg", layer=layer_name,
                                driver="GPKG")
    return out_dir


def synthetic_points(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` synthetic point features spread over the region, for scale checks and benchmarks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    themes = ["airport", "power", "water", "industry"]
    theme = [themes[i % len(themes)] for i in range(n)]
    gdf = gpd.GeoDataFrame({
        "id": [f"SY-{i:06d}" for i in range(n)], "name_zh": [f"合成点{i}" for i in range(n)],
        "name_en": [f"Synthetic {i}" for i in range(n)], "theme": theme, "subtype": "合成",
        "provinces": rng.choice(["辽宁", "吉林", "黑龙江", "内蒙古"], n), "status_2010": "",
        "source_doc": "synthetic", "source_section": "synthetic", "source_text": "合成测试要素",
        "source_span": "", "evidence_2010": "", "geom_precision": rng.integers(1, 6, n),
        "geocode_match": "synthetic", "schematic": 0,
    }, geometry=gpd.points_from_xy(rng.uniform(119, 134, n), rng.uniform(39, 53, n)), crs="EPSG:4326")
    gdf["layer"] = [f"{t}_point" for t in theme]
    return gdf


APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
PANELS = ("show_table", "show_downloads")  # the app's lazy expanders (closed on a first visit)


def app_test(timeout: float = 60, open_panels: bool = True, map_drawn: bool = True):
    """An AppTest of streamlit_app.py as a browser session sees it once its map has drawn (the app
    lays out its filters then), with the table and download panels opened as a user would."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["map_drawn"] = map_drawn
    for key in PANELS if open_panels else ():
        at.session_state[key] = True
    return at
