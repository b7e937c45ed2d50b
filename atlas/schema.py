"""The attribute schema every layer shares, the themes, and the precision codes."""

from __future__ import annotations

# theme -> (id prefix, English label, Chinese label, colour). The colour is the one source of
# truth for the web legend and the QGIS styles.
THEMES: dict[str, tuple[str, str, str, str]] = {
    "railway": ("RW", "Railways", "铁路", "#b2182b"),
    "highway": ("HW", "Expressways", "高速公路", "#e66101"),
    "airport": ("AP", "Airports", "机场", "#2166ac"),
    "port": ("PT", "Ports", "港口", "#01665e"),
    "waterway": ("WW", "Inland waterways", "内河航道", "#35978f"),
    "bridge": ("BR", "Bridges and border crossings", "桥梁与口岸", "#542788"),
    "power": ("PW", "Power plants and bases", "电源与能源基地", "#d6a100"),
    "grid": ("GR", "Grid lines and substations", "电网", "#8c510a"),
    "pipeline": ("PL", "Oil and gas pipelines", "油气管道", "#4d4d4d"),
    "water": ("WA", "Water projects", "水利", "#4393c3"),
    "industry": ("IN", "Industry bases and clusters", "产业基地与集群", "#c51b7d"),
    "tourism": ("TO", "Eco-tourism brands", "生态旅游品牌", "#7fbc41"),
    "resource_city": ("RC", "Resource-exhausted cities", "资源枯竭城市", "#8073ac"),
    "economic_zone": ("EZ", "Key economic zones and city clusters", "重点经济区与城市群", "#f4a582"),
    "function_zone": ("FZ", "Main function zones", "主体功能区", "#bababa"),
    "eco_zone": ("EC", "Ecological function zones", "生态功能区", "#1b7837"),
}

# AidData / IATI geographic precision codes, as used throughout the atlas.
PRECISION: dict[int, tuple[str, str]] = {
    1: ("exact site", "精确位置"),
    2: ("within 25 km (town, city centre, county seat)", "25公里以内"),
    3: ("admin unit (county, district or prefecture)", "县级或地级行政区"),
    4: ("province", "省级"),
    5: ("estimated region", "估计区域"),
}

STATUSES = ("建成", "通车", "铺轨", "在建", "开工", "前期工作", "规划研究", "")

# Attribute columns of every layer, in order: (name, pandas dtype, English alias, Chinese alias).
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("id", "str", "Project id", "编号"),
    ("name_zh", "str", "Name (Chinese)", "名称"),
    ("name_en", "str", "Name (English)", "英文名称"),
    ("theme", "str", "Theme", "类别"),
    ("subtype", "str", "Subtype", "子类"),
    ("provinces", "str", "Provinces", "省区"),
    ("status_2010", "str", "Status (2010 report)", "2010年进展"),
    ("source_doc", "str", "Source document", "来源文件"),
    ("source_section", "str", "Source section", "来源章节"),
    ("source_text", "str", "Source text (verbatim)", "原文"),
    ("source_span", "str", "Source span (char offsets)", "原文位置"),
    ("evidence_2010", "str", "2010 report text", "2010年进展原文"),
    ("geom_precision", "int", "Location precision code", "位置精度"),
    ("geocode_match", "str", "Matched to", "定位依据"),
    ("schematic", "int", "Schematic line (1 = straight segments)", "示意线"),
)
FIELD_NAMES = tuple(f[0] for f in FIELDS)
