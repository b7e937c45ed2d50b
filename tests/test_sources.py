"""Repair of PDF artifacts, with the map back to the original offsets."""

import pytest

from atlas._errors import SourceError
from atlas.settings import SOURCES_DIR
from atlas.sources import load_documents, read_text, repair_document

PLAN = "ne_revitalization_plan_12th_fyp"


@pytest.fixture(scope="module")
def plan():
    return next(s for s in load_documents(SOURCES_DIR) if s.document.doc_id == PLAN)


def test_headings_printed_four_times_keep_one_copy(plan):
    text = plan.document.text
    assert "专栏专栏" not in text
    assert "专栏12：铁路重点项目快速铁路及区际干线：北京—沈阳" in text
    assert "辽宁省：新民包装印刷产业集聚区" in text


def test_heading_units_are_recorded(plan):
    text = plan.document.text
    units = [text[a:b] for a, b in plan.heading_spans]
    assert "快速铁路及区际干线" in units
    assert "：铁路重点项目" in units


def test_glued_page_numbers_are_dropped(plan):
    text = plan.document.text
    assert "资源枯竭城市转型取得积极进展" in text  # was 取得2积极进展
    assert "巴彦乌拉至新邱铁路" in text  # was 巴36彦乌拉
    assert "重点建设鞍钢鲅鱼圈" in text  # was 重17点建设


def test_numbers_that_are_not_page_numbers_survive(plan):
    text = plan.document.text
    assert "500千伏" in text
    assert "比重达到8以上" in text  # the percent sign was lost in the PDF; the 8 is not a page


def test_every_repaired_character_maps_back_to_the_original(plan):
    doc = plan.document
    assert len(doc.offsets) == len(doc.text)
    assert all(doc.original[o] == c for o, c in zip(doc.offsets, doc.text))
    i = doc.text.find("康平－北四家子")
    start, end = doc.original_span(i, i + len("康平－北四家子"))
    assert doc.original[start:end] == "康平－北四家子"


def test_markdown_line_breaks_inside_a_sentence_are_joined():
    original = "4. 继续实施好专项，进\n\n一步推动装备制造。\n\n5. 发挥优势。"
    doc = repair_document("t", "t.md", original).document
    assert "进一步推动" in doc.text
    assert "。\n\n5. 发挥" in doc.text


def test_character_variants_are_normalised():
    doc = repair_document("t", "t.md", "吉林—琿春铁路", {"琿": "珲"}).document
    assert doc.text == "吉林—珲春铁路"


@pytest.mark.parametrize(
    "content, message",
    [(b"", "is empty"), (b"\x00\x01\x02binary", "binary"), ("东北振兴规划".encode("gbk"), "not UTF-8")],
)
def test_bad_documents_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as err:
        read_text(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(SourceError, match="source folder not found"):
        load_documents(tmp_path / "nowhere")


def test_folder_without_documents_is_named(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(SourceError, match="no .txt or .md documents"):
        load_documents(tmp_path)
