"""streamlit_app.py through streamlit.testing.v1.AppTest: filters, counts, URL state, language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from app_fixtures import APP, HOSTILE_NAMES, app_test, fixture_gdf, write_fixture_layers
from streamlit.testing.v1 import AppTest

TOTAL = len(fixture_gdf())


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(write_fixture_layers(tmp_path / "layers")))
    return app_test()


def shown_count(at: AppTest) -> tuple[int, int]:
    for md in at.markdown:
        found = re.search(r"(?:显示|Showing) (\d+) (?:/|of) (\d+)", md.value)
        if found:
            return int(found.group(1)), int(found.group(2))
    raise AssertionError("no feature count on the page")


def run_ok(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_all_features_shown_at_start(app):
    run_ok(app)
    assert shown_count(app) == (TOTAL, TOTAL)
    assert len(app.dataframe[0].value) == TOTAL


def test_province_filter_changes_count_and_table(app):
    run_ok(app)
    app.multiselect(key="province").set_value(["吉林"])
    run_ok(app)
    expected = sum("吉林" in p.split(";") for p in fixture_gdf()["provinces"])
    assert shown_count(app) == (expected, TOTAL) and expected < TOTAL
    assert len(app.dataframe[0].value) == expected


def test_theme_and_precision_and_text_filters(app):
    run_ok(app)
    app.multiselect(key="theme").set_value(["railway", "airport"])
    run_ok(app)
    assert shown_count(app)[0] == 7
    app.multiselect(key="precision").set_value([1])
    run_ok(app)
    assert shown_count(app)[0] == 3  # the three airports
    app.multiselect(key="theme").set_value([])
    app.multiselect(key="precision").set_value([])
    app.text_input(key="q").set_value("Harbin")
    run_ok(app)
    assert shown_count(app)[0] == 2  # Harbin–Dalian and Harbin–Mudanjiang–Suifenhe


def test_status_and_subtype_filters(app):
    run_ok(app)
    app.multiselect(key="status").set_value(["建成"])
    run_ok(app)
    assert set(app.dataframe[0].value["编号"]) == {"AP-001", "WA-001"}
    app.multiselect(key="status").set_value([])
    app.multiselect(key="subtype").set_value(["客运专线"])
    run_ok(app)
    assert set(app.dataframe[0].value["编号"]) == {"RW-001", "RW-002"}


def test_filters_are_written_to_the_url(app):
    run_ok(app)
    app.multiselect(key="province").set_value(["辽宁", "吉林"])
    app.text_input(key="q").set_value("机场")
    run_ok(app)
    assert set(app.query_params["province"]) == {"辽宁", "吉林"}
    assert app.query_params["q"] in ("机场", ["机场"])


def test_url_opens_the_same_view(app):
    app.query_params["province"] = ["黑龙江"]
    app.query_params["theme"] = ["railway"]
    app.query_params["lang"] = "en"
    run_ok(app)
    assert app.multiselect(key="province").value == ["黑龙江"]
    assert app.multiselect(key="theme").value == ["railway"]
    assert shown_count(app) == (2, TOTAL)  # Harbin–Dalian, Harbin–Mudanjiang–Suifenhe
    assert app.radio(key="lang").value == "en"


def test_bad_url_values_are_ignored_not_fatal(app):
    app.query_params["province"] = ["Atlantis", "<script>"]
    app.query_params["precision"] = ["9", "x"]
    app.query_params["lang"] = "fr"
    run_ok(app)
    assert shown_count(app) == (TOTAL, TOTAL)


def test_language_switch_keeps_filters(app):
    run_ok(app)
    app.multiselect(key="province").set_value(["辽宁"])
    run_ok(app)
    zh_count = shown_count(app)
    assert app.title[0].value == "东北振兴规划项目图集"
    app.radio(key="lang").set_value("en")
    run_ok(app)
    assert app.title[0].value == "Northeast China Project Atlas"
    assert shown_count(app) == zh_count
    assert app.multiselect(key="province").value == ["辽宁"]
    table = app.dataframe[0].value
    assert "Name" in table.columns and "Harbin–Dalian passenger railway" in set(table["Name"])


def test_hostile_names_reach_the_table_as_plain_text(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(write_fixture_layers(tmp_path / "l", hostile=True)))
    at = run_ok(app_test())
    names = set(at.dataframe[0].value["名称"])
    assert set(HOSTILE_NAMES) <= names  # data cells, which st.dataframe draws as text
    assert not any("<script" in md.value or "<img" in md.value for md in at.markdown)


def test_missing_layers_folder_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(tmp_path / "nowhere"))
    at = app_test().run()
    assert not at.exception
    assert len(at.error) == 1 and str(tmp_path / "nowhere") in at.error[0].value


def test_corrupt_geopackage_is_a_clear_error(tmp_path, monkeypatch):
    layers = write_fixture_layers(tmp_path / "layers")
    (layers / "railway.gpkg").write_bytes(b"this is not a geopackage")
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(layers))
    at = app_test().run()
    assert not at.exception
    assert len(at.error) == 1 and "railway.gpkg" in at.error[0].value
    # the readable layers are still shown in the table
    table = at.dataframe[0].value
    assert len(table) > 0


def test_empty_layers_folder_says_to_build(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(tmp_path / "empty"))
    at = app_test().run()
    assert not at.exception and "make build" in at.error[0].value


def test_download_buttons_offered(app):
    run_ok(app)
    labels = {b.proto.label for b in app.get("download_button")}
    assert {"GeoJSON", "CSV", "GeoPackage", "KML", "Shapefile (zip)", "地图图片 PNG", "地图 PDF"} <= labels


def test_snapshot_formats_match_the_snapshot_module():
    # The app names the formats without importing atlas.snapshot (matplotlib) at page load.
    from atlas import snapshot

    source = Path(APP).read_text(encoding="utf-8")
    declared = re.search(r"^SNAPSHOT_FORMATS = (\(.*?\))", source, re.MULTILINE).group(1)
    assert ast.literal_eval(declared) == snapshot.SNAPSHOT_FORMATS


def test_table_and_downloads_run_only_when_opened(tmp_path, monkeypatch):
    # A first visit draws the map without building the table or the download files.
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(write_fixture_layers(tmp_path / "layers")))
    at = run_ok(app_test(open_panels=False))
    assert not at.dataframe and not at.get("download_button")
    assert [e.label for e in at.expander][0] == f"属性表（{TOTAL} 个项目）"
    at.session_state["show_table"] = True
    run_ok(at)
    assert len(at.dataframe[0].value) == TOTAL and not at.get("download_button")


def test_filters_wait_for_the_map_on_a_first_visit(tmp_path, monkeypatch):
    # A new session sends the map and the count first; the filters and panels follow once the
    # map's component reports its drawing (map_drawn), keeping the URL's filter values.
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(write_fixture_layers(tmp_path / "layers")))
    at = app_test(map_drawn=False, open_panels=False)
    at.query_params["province"] = "吉林"
    run_ok(at)
    expected = sum("吉林" in p.split(";") for p in fixture_gdf()["provinces"])
    assert shown_count(at) == (expected, TOTAL)
    assert not at.multiselect and not at.text_input and not at.expander
    signal = [e for e in at.sidebar if getattr(e, "type", "") == "bidi_component"]
    assert [e.proto.component_name for e in signal] == ["atlas_map_drawn"]
    assert [c.value for c in at.sidebar.caption] == ["地图绘制完成后显示筛选…"]
    at.session_state["map_drawn"] = True  # what the component's on_drawn_change callback sets
    run_ok(at)
    assert at.multiselect(key="province").value == ["吉林"] and shown_count(at) == (expected, TOTAL)
    assert not [e for e in at.sidebar if getattr(e, "type", "") == "bidi_component"]
    assert len(at.expander) == 2
