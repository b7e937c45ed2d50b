"""atlas.names: exonyms, generic terms, pinyin fallback, and a bad exonym table."""

import pytest

from atlas.names import NamesError, load_exonyms, name_en, pinyin_key, pinyin_word


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("哈尔滨", "Harbin"),
        ("内蒙古", "Inner Mongolia"),
        ("呼和浩特", "Hohhot"),
        ("吉林", "Jilin"),
        ("陕西", "Shaanxi"),
        ("哈尔滨机场", "Harbin Airport"),
        ("吉林省", "Jilin Province"),
        ("蒲石河抽水蓄能电站", "Pushihe Pumped-Storage Power Station"),
        ("大兴安岭生态功能区", "Greater Khingan Ecological Function Zone"),
        ("哈尔滨-牡丹江—绥芬河铁路", "Harbin–Mudanjiang–Suifenhe Railway"),
        ("赤峰至锦州铁路", "Chifeng–Jinzhou Railway"),
        ("小沟岭（黑吉界）", "Xiaogouling (Heilongjiang–Jilin border)"),
        ("沈阳市", "Shenyang City"),
    ],
)
def test_name_en(zh, en):
    assert name_en(zh) == en


def test_one_character_terms_only_at_the_end_or_after_a_place():
    # 市 starting a word is part of it, not "City"; after a place it is the place's suffix.
    assert name_en("市场") == "Shichang"
    assert name_en("沈阳市") == "Shenyang City"
    assert name_en("满洲里段铁路") == "Manzhouli Section Railway"


def test_county_names_split_long_names():
    # 建昌 and 公主岭 come from geodata/admin_units.csv; 和 joins two words.
    assert name_en("葫芦岛市建昌食品产业集聚区") == "Huludao City Jianchang Food Industrial Cluster"
    assert name_en("公主岭汽车零部件产业集聚区") == "Gongzhuling Automobile Parts Industrial Cluster"
    assert name_en("大连软件和信息技术产业") == "Dalian Software and Information Technology Industry"


def test_pinyin_apostrophe_and_key():
    assert pinyin_word("平安") == "Ping'an"
    assert pinyin_key("吉林 省") == "jilinsheng"
    assert name_en("") == ""


def test_deterministic():
    names = ["红沿河核电站", "长白山森林生态功能区", "阿尔山—乔巴山铁路中国段"]
    assert [name_en(n) for n in names] == [name_en(n) for n in names]


def test_every_row_has_a_source(tmp_path):
    table = load_exonyms()
    assert table["哈尔滨"] == "Harbin"
    bad = tmp_path / "exonyms.csv"
    bad.write_text("zh,en,kind,source\n沈阳,Shenyang,place,\n", encoding="utf-8")
    with pytest.raises(NamesError, match="exonyms.csv:2"):
        load_exonyms(bad)


def test_missing_table_names_the_path(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(NamesError, match="nope.csv"):
        load_exonyms(missing)
