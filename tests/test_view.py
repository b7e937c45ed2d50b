"""atlas.view: the app's view state to and from URL query parameters, labels and caption."""

from __future__ import annotations

from atlas.view import (
    FILTERS,
    filters_caption,
    query_from_view,
    value_label,
    view_from_query,
)

OPTIONS = {"province": ["辽宁", "吉林", "黑龙江", "内蒙古"], "theme": ["railway", "airport"],
           "subtype": ["客运专线", "新建"], "status": ["建成", ""], "precision": [1, 2, 5]}


def test_a_link_opens_its_view_and_drops_what_the_layers_do_not_offer():
    query = {"lang": ["en"], "basemap": ["offline"], "q": ["哈大"], "province": ["吉林", "辽宁", "火星"],
             "precision": ["5", "9"], "theme": ["<script>"]}
    view = view_from_query(query, OPTIONS)
    assert view == {"lang": "en", "basemap": "offline", "q": "哈大", "province": ["辽宁", "吉林"],
                    "theme": [], "subtype": [], "status": [], "precision": [5]}
    assert view_from_query({}, OPTIONS) == {"lang": "zh", "basemap": "osm", "q": "", **{f: [] for f in FILTERS}}
    unknown = view_from_query({"lang": ["fr"], "basemap": ["google"]}, OPTIONS)
    assert (unknown["lang"], unknown["basemap"]) == ("zh", "osm")


def test_query_from_view_round_trips():
    view = {"lang": "zh", "basemap": "amap", "q": "机场", "province": ["内蒙古"], "theme": ["airport"],
            "subtype": [], "status": [""], "precision": [1, 2]}
    query = query_from_view(view)
    assert query["precision"] == ["1", "2"] and query["status"] == [""]
    as_url = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    assert view_from_query(as_url, OPTIONS) == view


def test_labels_and_caption_follow_the_language():
    assert value_label("province", "内蒙古", "en") == "Inner Mongolia"
    assert value_label("subtype", "客运专线", "en") == "客运专线"
    assert value_label("precision", 5, "zh").startswith("5 · ")
    view = {"lang": "zh", "basemap": "osm", "q": "哈大", "province": ["辽宁", "吉林"], "theme": ["railway"],
            "subtype": [], "status": [], "precision": []}
    assert filters_caption(view, "zh") == "省区: 辽宁、吉林; 类别: 铁路; 搜索名称（中文、拼音或英文）: 哈大"
    assert filters_caption({**view, "q": "", "province": [], "theme": []}, "en") == ""
