"""User-interface strings in Chinese and English, and labels for coded values.

`text(key, lang, **values)` returns the string for `lang` ("zh" or "en"), formatted with `values`.
Theme and precision labels come from atlas.schema so the legend, the popups and the QGIS styles
say the same thing.
"""

from __future__ import annotations

from atlas.models import PROVINCES
from atlas.schema import PRECISION, THEMES

LANGS = ("zh", "en")

# key -> (Chinese, English)
STRINGS: dict[str, tuple[str, str]] = {
    "title": ("东北振兴规划项目图集", "Northeast China Project Atlas"),
    "subtitle": ("《东北地区振兴规划》及进展报告中的项目，离线定位",
                 "Projects named by the Northeast revitalization plans, geocoded offline"),
    "language": ("语言 / Language", "Language / 语言"),
    "filters": ("筛选", "Filters"),
    "filters_loading": ("地图绘制完成后显示筛选…", "Filters appear once the map has drawn…"),
    "province": ("省区", "Province"),
    "theme": ("类别", "Theme"),
    "subtype": ("子类", "Subtype"),
    "status": ("2010年进展", "Status (2010 report)"),
    "precision": ("位置精度", "Location precision"),
    "search": ("搜索名称（中文、拼音或英文）", "Search names (Chinese, pinyin or English)"),
    "basemap": ("底图", "Basemap"),
    "basemap_offline": ("离线底图（行政边界）", "Offline (boundaries only)"),
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap_tianditu": ("天地图", "Tianditu"),
    "basemap_amap": ("高德地图（GCJ-02）", "AMap / Gaode (GCJ-02)"),
    "tianditu_no_key": ("未设置天地图密钥（TIANDITU_KEY），改用离线底图。",
                        "No Tianditu key (TIANDITU_KEY) set; using the offline basemap."),
    "count": ("显示 {shown} / {total} 个项目", "Showing {shown} of {total} features"),
    "per_theme": ("各类别数量", "Features per theme"),
    "table": ("属性表（{shown} 个项目）", "Attribute table ({shown} features)"),
    "zoom_hint": ("选择表格中的一行可将地图缩放到该项目。", "Select a row in the table to zoom the map to it."),
    "downloads": ("下载所选项目：数据、网页与快照", "Download the selection: data, web map, snapshot"),
    "snapshot": ("导出图片", "Snapshot"),
    "snapshot_png": ("地图图片 PNG", "Map image PNG"),
    "snapshot_pdf": ("地图 PDF", "Map PDF"),
    "html_export": ("独立网页 HTML（离线可用）", "Standalone HTML (works offline)"),
    "make_snapshot": ("生成图片", "Render snapshot"),
    "no_features": ("没有符合筛选条件的项目。", "No features match the filters."),
    "load_error": ("无法读取图层：{error}", "Cannot read the layers: {error}"),
    "no_layers": ("图层目录 {path} 中没有 GeoPackage；请先运行 `make build`。",
                  "No GeoPackage in the layers folder {path}; run `make build` first."),
    "details": ("项目详情", "Feature details"),
    # popup / table labels
    "name": ("名称", "Name"),
    "other_name": ("英文名称", "Chinese name"),
    "id": ("编号", "Id"),
    "provinces": ("省区", "Provinces"),
    "matched": ("定位依据", "Matched to"),
    "section": ("来源章节", "Section"),
    "source_text": ("原文", "Source text"),
    "evidence_2010": ("2010年进展原文", "2010 report text"),
    "document": ("来源文件", "Document"),
    "schematic": ("示意线（站点间直线连接）", "schematic (straight segments between stops)"),
    "not_reported": ("—", "—"),
    "boundaries": ("行政边界", "Boundaries"),
    "legend_solid": ("实线/实心：地点或城镇（精度1–3）", "Solid: site, town or county (precision 1–3)"),
    "legend_dashed": ("虚线/空心：省级或估计区域（精度4–5，位置粗略）",
                      "Dashed/hollow: province or estimated region (precision 4–5, coarse)"),
    "snapshot_title": ("东北振兴规划项目", "Northeast revitalization projects"),
    "sources_caption": ("来源：{docs}；定位：离线地名库；底图：行政边界", "Sources: {docs}; geocoded offline; base: boundaries"),
    "filter_caption": ("筛选：{filters}", "Filters: {filters}"),
    "all": ("全部", "all"),
}

PROVINCE_EN = {"辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang", "内蒙古": "Inner Mongolia"}
STATUS_EN = {"建成": "completed", "通车": "opened to traffic", "铺轨": "track laid", "在建": "under construction",
             "开工": "construction started", "前期工作": "preparatory work", "规划研究": "planning study",
             "": "not reported"}
assert set(PROVINCE_EN) == set(PROVINCES)


def text(key: str, lang: str = "zh", **values: object) -> str:
    """UI string `key` in `lang`, formatted with `values`; KeyError names an unknown key."""
    zh, en = STRINGS[key]
    s = en if lang == "en" else zh
    return s.format(**values) if values else s


def theme_label(theme: str, lang: str = "zh") -> str:
    """Legend label of a theme; an unknown theme is shown as its code."""
    if theme not in THEMES:
        return theme
    _, en, zh, _ = THEMES[theme]
    return en if lang == "en" else zh


def precision_label(code: int | None, lang: str = "zh") -> str:
    """'3 · 县级或地级行政区' — the code with its meaning."""
    if code is None or code not in PRECISION:
        return text("not_reported", lang) if code is None else str(code)
    en, zh = PRECISION[code]
    return f"{code} · {en if lang == 'en' else zh}"


def province_label(province: str, lang: str = "zh") -> str:
    return PROVINCE_EN.get(province, province) if lang == "en" else province


def provinces_label(provinces: str, lang: str = "zh") -> str:
    """'辽宁;吉林' -> '辽宁、吉林' or 'Liaoning, Jilin'."""
    parts = [p for p in str(provinces or "").split(";") if p]
    return (", " if lang == "en" else "、").join(province_label(p, lang) for p in parts)


def status_label(status: str, lang: str = "zh") -> str:
    status = status or ""
    if lang == "en":
        return STATUS_EN.get(status, status)
    return status or text("not_reported", lang)
