"""atlas.layers + atlas.styles: features, GeoPackage round trip, styles, domains, atomic writes."""

import csv
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import pyogrio
import pytest
from _fixtures_delivery import PROGRESS, make_gdf, make_located
from shapely.geometry import LineString, Point, Polygon

from atlas import styles
from atlas._errors import LayerError
from atlas.layers import (
    GPKG_VERSION,
    features_from_located,
    read_layers,
    unresolved_rows,
    write_layers,
    write_unresolved_csv,
)
from atlas.schema import FIELD_NAMES, THEMES

BUILD_DATE = "2026-01-02"


@pytest.fixture
def written(tmp_path):
    gdf = make_gdf()
    paths = write_layers(gdf, tmp_path, build_date=BUILD_DATE)
    return gdf, tmp_path, paths


def _sql(path, query, *args):
    con = sqlite3.connect(path)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def test_features_from_located_follows_the_schema():
    located = make_located()
    gdf = features_from_located(located)
    assert list(gdf.columns) == [*FIELD_NAMES, "geometry"]
    assert gdf.crs.to_epsg() == 4326
    resolved = [loc.project.id for loc in located if loc.geometry is not None]
    assert gdf["id"].tolist() == resolved  # input order, unresolved left out
    first = gdf.iloc[0]
    assert first["provinces"] == "黑龙江;吉林;辽宁"
    assert first["source_span"] == "100-110"
    assert first["evidence_2010"] == "哈大客运专线铺轨。"
    assert first["name_en"] == "Harbin–Dalian Passenger Dedicated Line"
    assert first["schematic"] == 1 and first["geom_precision"] == 2
    assert gdf["geom_precision"].dtype.kind == "i"


def test_unresolved_rows_and_csv(tmp_path):
    located = make_located()
    rows = unresolved_rows(located)
    assert [(r["id"], r["mention"], r["reason"]) for r in rows] == [
        ("RW-004", "无名屯", "not in gazetteer"),
        ("RW-004", "小镇", "ambiguous (3 candidates)"),
    ]
    path = write_unresolved_csv(located, tmp_path)
    with open(path, encoding="utf-8", newline="") as f:
        back = list(csv.DictReader(f))
    assert back == rows
    assert list(back[0]) == ["id", "mention", "document", "section", "reason"]


def test_round_trip_through_pyogrio(written):
    gdf, out_dir, paths = written
    assert [p.name for p in paths] == ["eco_zone.gpkg", "railway.gpkg"]
    assert [tuple(x) for x in pyogrio.list_layers(out_dir / "railway.gpkg")] == [
        ("railway_point", "Point"),
        ("railway_line", "LineString"),
        ("layer_styles", None),
    ]
    # A zone layer mixing Polygon and MultiPolygon is promoted to one type.
    assert ("eco_zone_zone", "MultiPolygon") in [
        tuple(x) for x in pyogrio.list_layers(out_dir / "eco_zone.gpkg")
    ]
    for path in paths:
        for name, geom_type in pyogrio.list_layers(path):
            if geom_type is None:
                continue
            info = pyogrio.read_info(path, layer=name)
            assert info["crs"] == "EPSG:4326"
            assert tuple(info["fields"]) == FIELD_NAMES
    back = read_layers(out_dir)
    assert list(back.columns) == [*FIELD_NAMES, "layer", "geometry"]
    assert sorted(back["id"]) == sorted(gdf["id"])
    by_id = back.set_index("id")
    for _, row in gdf.iterrows():
        got = by_id.loc[row["id"]]
        assert got["name_zh"] == row["name_zh"]  # Chinese and markup kept verbatim
        assert got["source_text"] == row["source_text"]
        assert got.geometry.is_valid
        assert got.geometry.normalize().equals_exact(
            row.geometry
            if row.geometry.geom_type == got.geometry.geom_type
            else type(got.geometry)([row.geometry]),
            1e-9,
        ) or got.geometry.equals(row.geometry)
    assert not list(out_dir.glob("*.aux.xml"))  # reading leaves no sidecar files behind


def test_geopackage_version_read_cleanly_by_gdal_36(written):
    _, out_dir, paths = written
    for path in paths:
        assert _sql(path, "PRAGMA application_id")[0][0] == 0x47504B47  # "GPKG"
        assert _sql(path, "PRAGMA user_version")[0][0] == 10200
    assert GPKG_VERSION == "1.2"


def test_one_default_style_per_layer_with_well_formed_xml(written):
    _, _, paths = written
    for path in paths:
        feature_tables = {
            r[0] for r in _sql(path, "SELECT table_name FROM gpkg_contents WHERE data_type='features'")
        }
        rows = _sql(
            path,
            "SELECT f_table_name, f_geometry_column, styleQML, styleSLD FROM layer_styles WHERE useAsDefault",
        )
        assert sorted(r[0] for r in rows) == sorted(feature_tables)  # exactly one default each
        theme = path.stem
        for table, geom_col, qml, sld in rows:
            assert geom_col == "geom"
            root = ET.fromstring(qml.split("\n", 1)[1])
            assert root.find("renderer-v2").get("type") == "RuleRenderer"
            assert root.find("labeling/settings/text-style").get("fontFamily") == "Noto Sans CJK SC"
            assert styles._qrgba(THEMES[theme][3]).rsplit(",", 1)[0] + "," in qml  # legend colour
            filters = [r.get("filter") for r in root.iter("rule")]
            assert any('"geom_precision" >= 4' in f for f in filters)
            sld_root = ET.fromstring(sld.encode("utf-8"))
            assert sld_root.tag.endswith("StyledLayerDescriptor")
            assert table in sld


def test_coarse_zone_is_hatched_and_dashed():
    qml = styles.build_qml("eco_zone", "zone", ["重点生态功能区"])
    root = ET.fromstring(qml.split("\n", 1)[1])
    symbols = {s.get("name"): s for s in root.iter("symbol")}
    coarse_rule = next(r for r in root.iter("rule") if ">= 4" in r.get("filter", ""))
    props = {o.get("name"): o.get("value") for o in symbols[coarse_rule.get("symbol")].iter("Option")}
    assert props["style"] == "b_diagonal" and props["outline_style"] == "dash"


def test_domains_aliases_and_metadata(written):
    _, _, paths = written
    path = paths[1]  # railway.gpkg
    constraints = _sql(
        path, "SELECT constraint_name, value FROM gpkg_data_column_constraints WHERE constraint_type='enum'"
    )
    names = {c for c, _ in constraints}
    assert {"theme_codes", "railway_subtype_codes", "status_2010_codes", "geom_precision_codes"} <= names
    assert ("geom_precision_codes", "5") in constraints and ("theme_codes", "railway") in constraints
    columns = dict(
        ((t, c), (title, cons))
        for t, c, title, cons in _sql(
            path, "SELECT table_name, column_name, title, constraint_name FROM gpkg_data_columns"
        )
    )
    assert columns[("railway_line", "name_zh")] == ("名称", None)
    assert columns[("railway_line", "theme")][1] == "theme_codes"
    contents = _sql(
        path, "SELECT table_name, description, last_change FROM gpkg_contents WHERE data_type='features'"
    )
    assert all(desc and last.startswith(BUILD_DATE) for _, desc, last in contents)
    info = pyogrio.read_info(path, layer="railway_line")
    assert info["layer_metadata"]["BUILD_DATE"] == BUILD_DATE
    dataset_md = " ".join(info["dataset_metadata"].values())
    assert "Northeast China Project Atlas" in dataset_md and "CC BY" in dataset_md


def test_schema_problems_reported_at_once(tmp_path):
    gdf = make_gdf()
    gdf.loc[0, "theme"] = "spaceport"
    gdf.loc[1, "id"] = gdf.loc[2, "id"]
    gdf.loc[3, "geometry"] = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # self-intersecting
    with pytest.raises(LayerError) as err:
        write_layers(gdf, tmp_path)
    msg = str(err.value)
    assert "spaceport" in msg and "duplicate ids" in msg and "invalid geometry" in msg
    assert "\n" not in msg
    assert not list(tmp_path.iterdir())


def test_empty_frame_is_refused_and_touches_nothing(written):
    gdf, out_dir, _ = written
    before = sorted(p.name for p in out_dir.iterdir())
    with pytest.raises(LayerError, match="no features"):
        write_layers(gdf.iloc[0:0], out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == before


def test_failed_write_leaves_earlier_files_intact(tmp_path, monkeypatch):
    old = make_gdf()
    extra = old.iloc[[2]].copy()
    extra[["id", "theme", "subtype", "name_zh"]] = ["AP-001", "airport", "新建", "长春机场"]
    extra["geometry"] = [Point(125.7, 43.99)]
    import pandas as pd

    old = type(old)(pd.concat([old, extra], ignore_index=True), crs=old.crs)
    write_layers(old, tmp_path, build_date=BUILD_DATE)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.gpkg")}
    assert set(before) == {"airport.gpkg", "eco_zone.gpkg", "railway.gpkg"}

    new = make_gdf()
    new.loc[new["theme"] == "railway", "name_zh"] = "改名"
    real = styles.enrich_geopackage

    def fail_on_railway(path, theme, parts, build_date):
        if theme == "railway":
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(path, theme, parts, build_date)

    monkeypatch.setattr(styles, "enrich_geopackage", fail_on_railway)
    with pytest.raises(LayerError, match="railway.gpkg"):
        write_layers(new, tmp_path, build_date=BUILD_DATE)
    assert (tmp_path / "railway.gpkg").read_bytes() == before["railway.gpkg"]
    assert (tmp_path / "airport.gpkg").exists()  # nothing removed on failure
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    monkeypatch.setattr(styles, "enrich_geopackage", real)
    write_layers(new, tmp_path, build_date=BUILD_DATE)
    assert not (tmp_path / "airport.gpkg").exists()  # stale theme removed after success
    assert set(read_layers(tmp_path).query("theme == 'railway'")["name_zh"]) == {"改名"}


@pytest.mark.filterwarnings("ignore:GPKG. bad application_id")
def test_read_layers_errors_name_the_path(tmp_path):
    with pytest.raises(LayerError, match="does not exist"):
        read_layers(tmp_path / "missing")
    write_layers(make_gdf(), tmp_path, build_date=BUILD_DATE)
    corrupt = tmp_path / "railway.gpkg"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x07" * 2000)
    with pytest.raises(LayerError, match="railway.gpkg"):
        read_layers(tmp_path)


def test_read_layers_locked_by_another_process(tmp_path):
    """Another process holds an exclusive lock: a LayerError naming the file (after SQLite's ~10 s wait)."""
    write_layers(make_gdf(), tmp_path, build_date=BUILD_DATE)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            " c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
            str(tmp_path / "railway.gpkg"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LayerError, match="railway.gpkg"):
            read_layers(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert len(read_layers(tmp_path)) == len(make_gdf())  # readable again once released


def test_same_input_same_bytes(tmp_path):
    gdf = make_gdf()
    a = write_layers(gdf, tmp_path / "a", build_date=BUILD_DATE)
    b = write_layers(gdf, tmp_path / "b", build_date=BUILD_DATE)
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    assert (tmp_path / "a/atlas.qgz").read_bytes() == (tmp_path / "b/atlas.qgz").read_bytes()


def test_qgis_project_groups_layers_by_theme_with_relative_paths(written):
    _, out_dir, _ = written
    with zipfile.ZipFile(out_dir / "atlas.qgz") as zf:
        xml = zf.read("atlas.qgs").decode("utf-8")
    root = ET.fromstring(xml.split("\n", 1)[1])
    groups = root.findall("layer-tree-group/layer-tree-group")
    assert [g.get("name") for g in groups] == ["生态功能区 Ecological function zones", "铁路 Railways"]
    sources = [n.get("source") for n in root.iter("layer-tree-layer")]
    assert sources == [
        "./eco_zone.gpkg|layername=eco_zone_point",
        "./eco_zone.gpkg|layername=eco_zone_zone",
        "./railway.gpkg|layername=railway_point",
        "./railway.gpkg|layername=railway_line",
    ]
    assert root.find("properties/Paths/Absolute").text == "false"
    assert all(m.find("renderer-v2") is not None for m in root.iter("maplayer"))


def test_evidence_2010_only_from_the_progress_document():
    located = make_located()
    assert located[0].project.evidence[1].doc_id == PROGRESS
    gdf = features_from_located(located)
    assert gdf.loc[gdf["id"] == "RW-002", "evidence_2010"].item() == ""


def test_lines_kept_as_lines(written):
    gdf, out_dir, _ = written
    back = read_layers(out_dir)
    line = back.loc[back["id"] == "RW-001"].geometry.item()
    assert isinstance(line, LineString) and len(line.coords) == 3


def test_read_layers_can_skip_a_corrupt_file_and_report_it(tmp_path):
    import shutil

    from atlas.settings import LAYERS_DIR

    for name in ("airport.gpkg", "railway.gpkg"):
        shutil.copy(LAYERS_DIR / name, tmp_path / name)
    (tmp_path / "water.gpkg").write_bytes(b"not a geopackage")
    problems: list[str] = []
    gdf = read_layers(tmp_path, problems=problems)
    assert set(gdf["theme"]) == {"airport", "railway"}
    assert len(problems) == 1 and "water.gpkg" in problems[0]
    with pytest.raises(LayerError, match="water.gpkg"):
        read_layers(tmp_path)
