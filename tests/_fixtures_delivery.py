"""Small synthetic inputs for the delivery tests (layers, filters, export, QGIS)."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from atlas.models import Evidence, Located, Project

PLAN = "ne_revitalization_plan_12th_fyp"
PROGRESS = "ne_revitalization_2010_progress_2011_tasks"


def make_located() -> list[Located]:
    """Points, lines and zones across two themes, one coarse zone, one unresolved project."""

    def project(pid, name, theme, subtype, kind, status="", extra=()):
        ev = (Evidence(PLAN, "第七章/专栏12/快速铁路", f"建设{name}。", (100, 110)), *extra)
        return Project(
            id=pid,
            name_zh=name,
            theme=theme,
            subtype=subtype,
            geom_kind=kind,
            places=(name,),
            status_2010=status,
            evidence=ev,
        )

    progress = Evidence(PROGRESS, "一、进展/2", "哈大客运专线铺轨。", (5, 14), "铺轨")
    return [
        Located(
            project("RW-001", "哈尔滨-大连客运专线", "railway", "客运专线", "line", "铺轨", (progress,)),
            LineString([(126.63, 45.75), (123.43, 41.80), (121.61, 38.91)]),
            2,
            "哈尔滨(city) → 沈阳(city) → 大连(city)",
            ("黑龙江", "吉林", "辽宁"),
            True,
        ),
        Located(
            project("RW-002", "吉林-珲春铁路", "railway", "干线", "line"),
            LineString([(126.55, 43.84), (130.37, 42.86)]),
            2,
            "吉林 → 珲春",
            ("吉林",),
            True,
        ),
        Located(
            project("RW-003", "长春站", "railway", "枢纽", "point"),
            Point(125.32, 43.90),
            1,
            "长春站 landmark",
            ("吉林",),
        ),
        Located(
            project("EC-001", "大兴安岭生态功能区", "eco_zone", "重点生态功能区", "zone"),
            Polygon([(120, 50), (126, 50), (126, 53), (120, 53)]),
            3,
            "大兴安岭地区",
            ("黑龙江", "内蒙古"),
        ),
        Located(
            project("EC-002", "长白山森林生态功能区", "eco_zone", "重点生态功能区", "zone"),
            MultiPolygon(
                [
                    Polygon([(127, 41.5), (128.5, 41.5), (128.5, 42.5), (127, 42.5)]),
                    Polygon([(129, 42), (129.5, 42), (129.5, 42.5), (129, 42.5)]),
                ]
            ),
            4,
            "吉林省 (province polygon)",
            ("吉林",),
        ),
        Located(
            project("EC-003", "呼伦贝尔草原<script>alert(1)</script>", "eco_zone", "草原", "point"),
            Point(119.76, 49.21),
            2,
            "呼伦贝尔市",
            ("内蒙古",),
        ),
        Located(
            project("RW-004", "小镇-无名屯铁路", "railway", "支线", "line"),
            None,
            None,
            "unresolved",
            (),
            False,
            ["无名屯: not in gazetteer", "小镇: ambiguous (3 candidates)"],
        ),
    ]


def make_gdf() -> gpd.GeoDataFrame:
    from atlas.layers import features_from_located

    return features_from_located(make_located())
