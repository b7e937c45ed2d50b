"""Extraction on the real documents: box item counts made by reading the text, and the tricky
forms one by one; plus a plan-style document of our own (tests/data/sample_plan)."""

from collections import Counter
from pathlib import Path

import pytest

from atlas._errors import ExtractError
from atlas.extract import extract_projects, load_curation, load_rules
from atlas.lexicon import build_lexicon
from atlas.pipeline import extract_from
from atlas.settings import GEODATA_DIR, SOURCES_DIR
from atlas.sources import load_documents

SAMPLE = Path(__file__).parent / "data" / "sample_plan"


@pytest.fixture(scope="module")
def projects():
    return extract_from(SOURCES_DIR)


@pytest.fixture(scope="module")
def by_name(projects):
    return {p.name_zh: p for p in projects}


def _box_counts(projects):
    counts = Counter()
    for p in projects:
        box = next((part for part in p.source.section.split("/") if part.startswith("专栏")), None)
        if box:
            counts[box] += 1
    return counts


# Counted by reading each box of the plan (items separated by 、，； under each sub-heading; an
# enumeration with a shared suffix counts once per place; prose lists count once per named place):
# 专栏4: 辽宁 15 + 吉林 8 + 黑龙江 9 + 蒙东 6 county clusters = 38
# 专栏5: 装备 4+3+4+4+2+3+2 = 22, 钢材 1, 石化 5, 农产品 4 regions, 煤化工 3 regions = 35
# 专栏7: 10 brands; 专栏8: 辽中南 1 + 重点开发 3 + 东北平原 1 + 6 ecological zones + 禁止开发 1 = 12
# 专栏9: 28 table rows; 专栏10: 10 cities
# 专栏12: 快速 9 + 扩能 6, 煤炭 3, 东部 5, 中俄 6, 中蒙俄 4 = 33; 专栏13: 新建 7 + 改扩建 3 = 10
# 专栏14: 新建 11 + 扩建 10 + 迁建锦州 + 大连新机场 = 23
# 专栏15: 热电 5, 水电 8, 核电 1, 风电 2+4+5, 煤电 3, 电网 2 with places (the 500 kV export
#         lines of 'large bases' name no place) = 30
# 专栏16: 调水 8, 灌区 5 (the pump-station and small-works clauses name no place), 江河 7 = 20
EXPECTED_BOX_COUNTS = {
    "专栏4": 38, "专栏5": 35, "专栏7": 10, "专栏8": 12, "专栏9": 28, "专栏10": 10,
    "专栏12": 33, "专栏13": 10, "专栏14": 23, "专栏15": 30, "专栏16": 20,
}


def test_every_box_yields_the_items_counted_by_reading(projects):
    assert dict(sorted(_box_counts(projects).items())) == dict(sorted(EXPECTED_BOX_COUNTS.items()))


def test_ids_are_unique_and_prefixed_by_theme(projects):
    ids = [p.id for p in projects]
    assert len(ids) == len(set(ids))
    from atlas.schema import THEMES
    assert all(p.id.startswith(THEMES[p.theme][0] + "-") for p in projects)


def test_extraction_is_deterministic(projects):
    again = extract_from(SOURCES_DIR)
    assert [(p.id, p.name_zh, p.places) for p in again] == [(p.id, p.name_zh, p.places) for p in projects]


@pytest.mark.parametrize(
    "name, theme, subtype, places",
    [
        ("康平－北四家子", "highway", "新建", ("康平", "北四家子")),
        ("白河-敦化-东京城铁路", "railway", "东部铁路通道贯通工程", ("白河", "敦化", "东京城")),
        ("哈尔滨-牡丹江—绥芬河", "railway", "快速铁路及区际干线", ("哈尔滨", "牡丹江", "绥芬河")),
        ("营口机场", "airport", "新建", ("营口",)),
        ("哈尔滨机场", "airport", "扩建", ("哈尔滨",)),
        ("锦州机场", "airport", "迁建", ("锦州",)),
        ("富裕农机装备配套产业集聚区", "industry", "县域集聚区", ("富裕",)),
        ("沈阳铁西装备制造产业", "industry", "产业集群", ("铁西区",)),
        ("红沿河核电一期和二期工程", "power", "核电", None),
        ("蒲石河抽水蓄能电站", "power", "水电", None),
        ("大小兴安岭森林生态功能区", "eco_zone", "重点生态功能区", None),
    ],
)
def test_named_items_have_theme_subtype_and_places(by_name, name, theme, subtype, places):
    p = by_name[name]
    assert (p.theme, p.subtype) == (theme, subtype)
    if places is not None:
        assert p.places == places


def test_shared_suffix_is_distributed(by_name):
    for city in ("沈阳", "大连", "齐齐哈尔"):
        assert by_name[f"{city}数控机床产业基地"].places == (city,)
    assert by_name["鞍山冶金矿山、重型机械、通用成套设备产业基地"].places == ("鞍山",)


def test_abbreviated_city_pairs_expand(by_name):
    assert by_name["哈大客运专线"].places == ("哈尔滨", "大连")
    assert by_name["京沈客运专线"].places == ("北京", "沈阳") if "京沈客运专线" in by_name else True


def test_bracket_completions_and_curated_order(by_name):
    p = by_name["赤（峰）大（板）白（音华）至锦州"]
    assert p.places == ("白音华", "大板", "赤峰", "锦州")
    assert p.subtype == "煤炭外运通道"  # the box item 赤峰—锦州 and the running text are one project
    assert len(p.evidence) >= 2


def test_border_qualifier_gives_province_hints(by_name):
    p = by_name["小沟岭（黑吉界）－抚松"]
    assert set(p.province_hint) >= {"黑龙江", "吉林"}
    assert p.places[0] == "小沟岭"


def test_bracketed_place_qualifier(by_name):
    assert by_name["辽宁（海城）菱镁新材料产业集聚区"].places == ("海城",)


def test_item_named_in_a_running_sentence(by_name):
    # 建成红沿河核电站一期工程，推进红沿河核电站二期工程 -> evidence of the box project
    p = by_name["红沿河核电一期和二期工程"]
    assert any("红沿河核电站" in e.text for e in p.evidence[1:])


def test_progress_report_gives_status_and_second_evidence(by_name):
    p = by_name["哈大客运专线"]
    assert p.status_2010 == "铺轨"
    assert any(e.doc_id.startswith("ne_revitalization_2010") for e in p.evidence)
    assert by_name["沈阳—丹东"].status_2010 == "开工"


def test_evidence_points_at_the_original_text(projects):
    docs = {s.document.doc_id: s.document for s in load_documents(SOURCES_DIR)}
    kept = {doc_id: set(doc.offsets) for doc_id, doc in docs.items()}
    for p in projects:
        for ev in p.evidence:
            start, end = ev.span
            original = docs[ev.doc_id].original
            # the original span, less what the repair dropped (page numbers, repeated headings)
            repaired = "".join(original[i] for i in range(start, end) if i in kept[ev.doc_id])
            assert repaired.replace("琿", "珲") == ev.text, p.id


def test_a_curation_entry_that_no_longer_matches_fails_loudly(tmp_path):
    curation = tmp_path / "curation.toml"
    curation.write_text(
        (GEODATA_DIR / "curation.toml").read_text(encoding="utf-8")
        + '\n[[drop]]\ndoc = "ne_revitalization_plan"\nname = "不存在的项目"\nreason = "test"\n', encoding="utf-8")
    with pytest.raises(ExtractError, match="不存在的项目"):
        extract_projects(load_documents(SOURCES_DIR), build_lexicon(), load_rules(), load_curation(curation))


def test_a_curation_entry_without_reason_is_rejected(tmp_path):
    curation = tmp_path / "curation.toml"
    curation.write_text('[[drop]]\ndoc = "x"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ExtractError, match="no reason"):
        load_curation(curation)


# --- a plan-style document of our own: different places, the same constructs -----------------

def test_own_sample_plan_yields_what_its_text_names():
    got = {p.name_zh: p for p in extract_from(SAMPLE)}
    assert set(got) == {
        "长吉城际", "铁岭至抚顺铁路", "丹东-桓仁—通化", "四（平）梨（树）至双辽", "梅河口－集安（吉辽界）",
        "营口—大石桥扩能", "本溪机场", "朝阳机场", "敦化机场", "延吉机场", "长白山机场",
        "铁岭县专用车产业集聚区", "凤城汽车零部件产业集聚区", "辽宁（盖州）果品加工产业集聚区",
        "梅河口医药产业集聚区", "珲春木制品加工产业集聚区",
    }
    assert got["四（平）梨（树）至双辽"].places == ("四平", "梨树", "双辽")
    assert got["丹东-桓仁—通化"].places == ("丹东", "桓仁", "通化")
    assert set(got["梅河口－集安（吉辽界）"].province_hint) == {"吉林", "辽宁"}
    assert got["长吉城际"].places == ("长春", "吉林")
    assert got["延吉机场"].subtype == "扩建" and got["本溪机场"].subtype == "新建"
    assert got["辽宁（盖州）果品加工产业集聚区"].places == ("盖州",)
    assert got["珲春木制品加工产业集聚区"].province_hint == ("吉林",)
    assert got["丹东-桓仁—通化"].source.section == "第一章/第一节/专栏1/快速铁路"


def test_bracketed_sub_place_of_a_waypoint_is_the_waypoint(by_name):
    # 沈阳（辉山街道）－铁岭（毛家店）: the expressway starts at 辉山街道 of 沈阳, ends at 毛家店 of 铁岭
    assert by_name["沈阳（辉山街道）－铁岭（毛家店）"].places == ("辉山街道", "毛家店")


def test_trailing_bracket_describing_the_whole_line_is_not_a_stop(by_name):
    p = by_name["阿尔山-阿尔山口岸铁路（阿尔山—乔巴山铁路中国段）"]
    assert "乔巴山" not in p.places and p.places[0] == "阿尔山"


def test_multi_stop_line_keeps_its_order(by_name):
    assert by_name["营口—盘锦—朝阳"].places == ("营口", "盘锦", "朝阳")
    assert by_name["四平－长春－吉林"].places == ("四平", "长春", "吉林")


def test_items_without_a_place_are_not_projects(projects):
    names = {p.name_zh for p in projects}
    assert not names & {"继续实施大型灌溉排涝泵站更新改造", "兴建完善小微型农田水利设施", "重点企业联合重组"}
