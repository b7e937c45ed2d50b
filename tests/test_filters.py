"""atlas.filters: province spellings, unknown values, text search, combinations."""

import pytest
from _fixtures_delivery import make_gdf

from atlas.filters import FilterError, filter_features, filter_options, normalize_province


@pytest.fixture(scope="module")
def gdf():
    return make_gdf()


@pytest.mark.parametrize(
    ("value", "short"),
    [
        ("吉林", "吉林"),
        ("吉林省", "吉林"),
        ("Jilin", "吉林"),
        ("JILIN", "吉林"),
        (" jilin ", "吉林"),
        ("黑龙江省", "黑龙江"),
        ("Heilongjiang", "黑龙江"),
        ("辽宁", "辽宁"),
        ("Liaoning Province", "辽宁"),
        ("内蒙古自治区", "内蒙古"),
        ("Inner Mongolia", "内蒙古"),
        ("蒙东", "内蒙古"),
    ],
)
def test_normalize_province(value, short):
    assert normalize_province(value) == short


def test_unknown_province_names_value_and_choices(gdf):
    with pytest.raises(FilterError) as err:
        filter_features(gdf, provinces=["Shanxi"])
    msg = str(err.value)
    assert "'Shanxi'" in msg and "吉林 (Jilin)" in msg and "内蒙古 (Inner Mongolia)" in msg
    assert isinstance(err.value, ValueError)


def test_province_forms_select_the_same_features(gdf):
    ids = [filter_features(gdf, provinces=[p])["id"].tolist() for p in ("吉林", "吉林省", "Jilin")]
    assert ids[0] == ids[1] == ids[2] == ["RW-001", "RW-002", "RW-003", "EC-002"]
    both = filter_features(gdf, provinces=["内蒙古", "辽宁"])["id"].tolist()
    assert both == ["RW-001", "EC-001", "EC-003"]


def test_theme_subtype_status_precision(gdf):
    assert filter_features(gdf, themes=["eco_zone"])["id"].tolist() == ["EC-001", "EC-002", "EC-003"]
    assert filter_features(gdf, themes=["铁路"], subtypes=["干线"])["id"].tolist() == ["RW-002"]
    assert filter_features(gdf, statuses=["铺轨"])["id"].tolist() == ["RW-001"]
    assert filter_features(gdf, precisions=["4"])["id"].tolist() == ["EC-002"]
    assert filter_features(gdf, precisions=[1, 3])["id"].tolist() == ["RW-003", "EC-001"]
    with pytest.raises(FilterError, match="precision code 9"):
        filter_features(gdf, precisions=[9])
    with pytest.raises(FilterError, match="unknown theme 'spaceport'"):
        filter_features(gdf, themes=["spaceport"])
    with pytest.raises(FilterError, match="unknown status"):
        filter_features(gdf, statuses=["done"])


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("哈尔滨", ["RW-001"]),
        ("harbin", ["RW-001"]),
        ("ha er bin", ["RW-001"]),
        ("HAERBIN", ["RW-001"]),
        ("生态功能区", ["EC-001", "EC-002"]),
        ("建设吉林", ["RW-002"]),  # source_text
        ("<script>", ["EC-003"]),
        ("' OR 1=1 --", []),
        ("x" * 5000, []),
    ],
)
def test_text_search(gdf, text, ids):
    assert filter_features(gdf, text=text)["id"].tolist() == ids


def test_filters_combine_and_keep_order(gdf):
    out = filter_features(gdf, provinces=["Jilin"], themes=["railway"], text="铁路")
    assert out["id"].tolist() == ["RW-002"]
    assert len(filter_features(gdf)) == len(gdf)
    empty = filter_features(gdf, provinces=["辽宁"], themes=["eco_zone"])
    assert empty.empty and list(empty.columns) == list(gdf.columns)
    assert len(gdf) == 6  # the input is not modified


def test_filter_options_offer_what_the_features_hold(gdf):
    options = filter_options(gdf)
    assert options["province"] == ["辽宁", "吉林", "黑龙江", "内蒙古"]
    assert options["theme"] == ["railway", "eco_zone"]  # legend (schema.THEMES) order, not A-Z
    assert options["status"] == ["铺轨", ""]  # "not reported" last
    assert set(options["subtype"]) == set(gdf["subtype"])
    assert filter_options(gdf.iloc[:0])["theme"] == []
