"""Robustness (issue 6): bad documents, broken GeoPackages and hostile text.

Documents are generated in tmp_path from the small plan-style sample (tests/data/sample_plan) so
the builds stay fast. A bad document gives a one-line `atlas build: error: …` naming the file
and leaves a pre-existing OUT byte-identical; a document the rules can read in part gives a
clean partial result with the problems in unresolved.csv. Never a traceback, never a
half-written layer. A missing, locked or corrupt GeoPackage raises LayerError naming the file
and the app shows an st.error. Hostile text is shown as text in popups, the map HTML and the app.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from atlas import mapview
from atlas._errors import LayerError
from atlas.cli import main
from atlas.filters import filter_features
from atlas.layers import read_layers

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from _synthetic import permute_places, place_permutation
from app_fixtures import app_test, fixture_gdf, write_fixture_layers

SAMPLE = REPO / "tests" / "data" / "sample_plan" / "sample_plan.txt"
AIRPORT_BOX = "新建机场新建机场新建机场新建机场：本溪、朝阳、敦化。"  # a box sub-heading and its list in SAMPLE
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "sql": "' OR 1=1; DROP TABLE projects;--",
    "rtl": "\u202e机场\u202c",
    "emoji": "🚄",
    "combining": "e\u0301",
    "long": "长" * 10_000,
}


# ------------------------------------------------------------------ helpers


def sample_text() -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    assert AIRPORT_BOX in text  # the fixtures below edit this box
    return text


def write_sources(root: Path, files: dict[str, bytes | str]) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    for name, data in files.items():
        path = src / name
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return src


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def build(capsys, src: Path, out: Path) -> tuple[int, str]:
    rc = main(["build", "--sources", str(src), "--out", str(out)])
    return rc, capsys.readouterr().err


def spatial_layers(path: Path) -> list[str]:
    return [name for name, geometry_type in pyogrio.list_layers(path) if geometry_type]


def read_back(out: Path):
    """Every feature of OUT read back through GDAL (pyogrio), plus the unresolved.csv rows."""
    import pandas as pd

    parts = [pyogrio.read_dataframe(p, layer=name) for p in sorted(out.glob("*.gpkg")) for name in spatial_layers(p)]
    with open(out / "unresolved.csv", encoding="utf-8", newline="") as fh:
        unresolved = list(csv.DictReader(fh))
    return pd.concat(parts, ignore_index=True), unresolved


@pytest.fixture(scope="module")
def prior_out(tmp_path_factory) -> Path:
    """An OUT folder holding a finished build of the sample plan (the 'existing layers')."""
    out = tmp_path_factory.mktemp("prior") / "out"
    assert main(["build", "--sources", str(SAMPLE.parent), "--out", str(out)]) == 0
    return out


@pytest.fixture
def out(prior_out, tmp_path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(prior_out, target)
    return target


# ------------------------------------------------------------------ bad documents: one-line error


BAD_DOCUMENTS = {
    "empty": b"",
    "whitespace": "  \n\t\n",
    "binary": bytes(range(256)) * 8,
    "gbk": None,  # the sample plan encoded as GBK
    "cut_mid_character": None,  # UTF-8 bytes cut inside a multi-byte character
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_unreadable_document_is_a_one_line_error_and_out_is_untouched(case, tmp_path, out, capsys):
    data = BAD_DOCUMENTS[case]
    if case == "gbk":
        data = sample_text().encode("gbk")
    elif case == "cut_mid_character":
        raw = sample_text().encode("utf-8")
        data = raw[: raw.index("专栏".encode()) + 1]  # one byte into a three-byte character
    # a good document beside the bad one: the bad one must still stop the build, by name
    src = write_sources(tmp_path, {"a_good_plan.txt": sample_text(), f"bad_{case}.txt": data})
    before = snapshot(out)

    rc, err = build(capsys, src, out)

    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("atlas build: error: ") and f"bad_{case}.txt" in lines[0]
    assert "Traceback" not in err
    assert snapshot(out) == before  # byte-identical, no temporary files left


def test_missing_source_folder_is_a_one_line_error(tmp_path, out, capsys):
    before = snapshot(out)
    rc, err = build(capsys, tmp_path / "no_such_folder", out)
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "no_such_folder" in err
    assert snapshot(out) == before


# ------------------------------------------------------------------ partial but clean results


def test_document_truncated_mid_box_gives_the_items_before_the_cut(tmp_path, capsys):
    text = sample_text()
    cut = text.index("四（平）梨（树）") + 2  # inside 专栏1, in the middle of an item
    src = write_sources(tmp_path, {"plan.txt": text[:cut]})
    out = tmp_path / "out"

    rc, err = build(capsys, src, out)

    assert rc == 0, err
    assert "Traceback" not in err
    features, _ = read_back(out)
    names = set(features["name_zh"])
    assert {"长吉城际", "铁岭至抚顺铁路", "丹东-桓仁—通化"} <= names  # the items before the cut
    assert not any("机场" in n or "集聚区" in n for n in names)  # nothing from after the cut
    assert features["geometry"].is_valid.all()


def test_box_listing_unknown_places_reports_them_and_draws_the_rest(tmp_path, capsys):
    text = sample_text().replace(AIRPORT_BOX, AIRPORT_BOX.replace("朝阳、", "朝阳、火星城、乌有乡、"))
    src = write_sources(tmp_path, {"plan.txt": text})
    out = tmp_path / "out"

    rc, err = build(capsys, src, out)

    assert rc == 0, err
    features, unresolved = read_back(out)
    reported = {row["mention"]: row for row in unresolved}
    assert {"火星城", "乌有乡"} <= set(reported)
    for mention in ("火星城", "乌有乡"):
        assert reported[mention]["document"] == "plan" and reported[mention]["reason"]
        assert "专栏2" in reported[mention]["section"]
        assert not features["name_zh"].str.contains(mention).any()  # never drawn at a guess
    assert {"本溪机场", "朝阳机场", "敦化机场"} <= set(features["name_zh"])  # the known ones are drawn


def test_document_fifty_times_larger_builds_cleanly(tmp_path, capsys):
    """The sample followed by copies of its body (places of each copy permuted among the
    region's real places, bench/_synthetic.py) up to 50 times the sample's size, one document."""
    text = sample_text()
    body = text[text.index("本规划是示范文本"):]
    copies, seed = [text], 0
    while sum(map(len, copies)) < 50 * len(text):
        seed += 1
        copies.append(permute_places(body, place_permutation(body, seed)))
    big = "".join(copies)
    src = write_sources(tmp_path, {"plan.txt": big})
    out = tmp_path / "out"

    rc, err = build(capsys, src, out)

    assert rc == 0, err
    features, unresolved = read_back(out)
    assert len(features) > 10 * 16  # far more than the 16 features of the sample alone
    assert features["id"].is_unique
    assert features["geometry"].is_valid.all()
    for row in unresolved:  # whatever the copies could not place is reported, in full
        assert row["mention"] and row["reason"] and row["document"] == "plan" and row["section"]


def test_a_failed_layer_write_leaves_only_whole_files(tmp_path, out, monkeypatch, capsys):
    """The GeoPackage writer dies after the first theme file: every file in OUT still opens
    (old or new, never half-written) and no temporary file is left behind."""
    import atlas.layers

    real_write = atlas.layers.pyogrio.write_dataframe
    calls = {"n": 0}

    def failing_write(df, path, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            real_write(df.iloc[:1], path, **kwargs)  # a partial file, then the disk "fills up"
            raise OSError(28, "No space left on device")
        return real_write(df, path, **kwargs)

    monkeypatch.setattr(atlas.layers.pyogrio, "write_dataframe", failing_write)
    rc, err = build(capsys, SAMPLE.parent, out)

    assert rc == 1 and len(err.strip().splitlines()) == 1 and "No space left" in err, err
    assert "Traceback" not in err
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary files
    for path in out.glob("*.gpkg"):
        for name in spatial_layers(path):
            assert len(pyogrio.read_dataframe(path, layer=name)) > 0, path


# ------------------------------------------------------------------ broken GeoPackages


def test_missing_layer_folder_raises_layer_error_naming_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(LayerError, match=re.escape(str(missing))):
        read_layers(missing)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zero_bytes"])
def test_corrupt_geopackage_raises_layer_error_naming_the_file(damage, tmp_path):
    layers = write_fixture_layers(tmp_path / "layers")
    victim = layers / "railway.gpkg"
    data = victim.read_bytes()
    victim.write_bytes({"garbage": b"this is not a GeoPackage\n" * 100, "truncated": data[: len(data) // 3],
                        "zero_bytes": b""}[damage])
    with pytest.raises(LayerError, match=re.escape(str(victim))):
        read_layers(layers)


LOCK_HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
    con.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()  # hold the lock until the test closes stdin
""")


@pytest.fixture
def locked_layers(tmp_path):
    """Fixture layers with railway.gpkg held under an exclusive SQLite lock by another process."""
    layers = write_fixture_layers(tmp_path / "layers")
    victim = layers / "railway.gpkg"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(victim)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield layers, victim
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_locked_geopackage_raises_layer_error_naming_the_file(locked_layers):
    layers, victim = locked_layers
    t0 = time.monotonic()
    with pytest.raises(LayerError, match=re.escape(str(victim))):
        read_layers(layers)
    assert time.monotonic() - t0 < 30  # gives up rather than hanging


def app_errors(layers_dir: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(layers_dir))
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def test_app_shows_an_error_for_a_missing_layer_folder(tmp_path, monkeypatch):
    at = app_errors(tmp_path / "nowhere", monkeypatch)
    assert at.error and "nowhere" in at.error[0].value


def test_app_shows_an_error_for_a_corrupt_geopackage(tmp_path, monkeypatch):
    layers = write_fixture_layers(tmp_path / "layers")
    (layers / "airport.gpkg").write_bytes(b"\x00garbage" * 64)
    at = app_errors(layers, monkeypatch)
    assert at.error and "airport.gpkg" in at.error[0].value


def test_app_shows_an_error_for_a_locked_geopackage(locked_layers, monkeypatch):
    layers, victim = locked_layers
    at = app_errors(layers, monkeypatch)
    assert at.error and victim.name in at.error[0].value


# ------------------------------------------------------------------ hostile text


def test_hostile_text_in_a_document_is_kept_as_text_and_escaped(tmp_path, capsys):
    items = "、".join(["本溪" + HOSTILE["script"], "朝阳" + HOSTILE["img"], "敦化", HOSTILE["sql"], HOSTILE["rtl"],
                      HOSTILE["emoji"], HOSTILE["combining"], HOSTILE["long"]])
    text = sample_text().replace(AIRPORT_BOX, f"新建机场新建机场新建机场新建机场：{items}。")
    src = write_sources(tmp_path, {"plan.txt": text})
    out = tmp_path / "out"

    rc, err = build(capsys, src, out)

    assert rc == 0, err
    features, unresolved = read_back(out)
    hostile_rows = features[features["name_zh"].str.contains("<", regex=False)]
    assert len(hostile_rows) >= 1  # the markup survived extraction as text, verbatim
    assert any(HOSTILE["script"] in n or HOSTILE["img"] in n for n in hostile_rows["name_zh"])
    mentions = {row["mention"] for row in unresolved}
    assert {HOSTILE["emoji"], HOSTILE["rtl"]} <= mentions  # unusual Unicode round-trips in the report

    gdf = read_layers(out)
    for _, row in gdf.iterrows():
        popup = mapview.popup_html(row)
        assert "<script" not in popup and "<img" not in popup
        assert html.escape(row["name_zh"]) in popup
    page = mapview.map_html(mapview.make_map(gdf))
    assert HOSTILE["script"] not in page and HOSTILE["img"] not in page


@pytest.mark.parametrize("key", HOSTILE)
def test_popup_html_escapes_hostile_values_in_every_field(key):
    value = HOSTILE[key]
    row = fixture_gdf().iloc[0].to_dict()
    for field in ("name_zh", "name_en", "subtype", "source_section", "source_text", "geocode_match", "evidence_2010"):
        row[field] = value
    popup = mapview.popup_html(row)
    assert html.escape(value) in popup
    assert "<script" not in popup and "<img" not in popup


def test_hostile_search_text_in_the_app_is_no_error(tmp_path, monkeypatch):
    """Each hostile string typed into the search box of one session, in turn."""
    layers = write_fixture_layers(tmp_path / "layers", hostile=True)
    gdf = read_layers(layers)
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(layers))
    at = app_test()
    at.run()
    matched = 0
    for key, value in HOSTILE.items():
        at.text_input(key="q").set_value(value)
        at.run()
        assert not at.exception, (key, at.exception)
        assert not at.error, (key, [e.value for e in at.error])
        expected = filter_features(gdf, text=value)
        matched += len(expected)
        shown = [int(m.group(1)) for md in at.markdown if (m := re.search(r"显示 (\d+) / \d+", md.value))]
        assert shown == [len(expected)], key
        assert len(at.dataframe[0].value) == len(expected), key
        for md in at.markdown:  # what Streamlit renders as markdown never carries live markup
            assert "<script" not in md.value and "<img" not in md.value, key
    assert matched >= 1  # the fixture name "<img src=x onerror=alert(1)>机场" is found by its markup
