"""End to end: documents -> GeoPackages read back through GDAL (pyogrio); the committed layers
are what a fresh build makes; bad input leaves earlier layers intact; one-line CLI errors."""

import shutil
from pathlib import Path

import pyogrio
import pytest

from atlas.cli import main
from atlas.pipeline import run
from atlas.schema import FIELD_NAMES, THEMES
from atlas.settings import LAYERS_DIR, SOURCES_DIR

REQUIRED_THEMES = ("railway", "highway", "airport", "power", "water", "industry", "eco_zone")


def feature_layers(path: Path) -> list[str]:
    """The spatial layers of a GeoPackage (not layer_styles or other attribute tables)."""
    return [name for name, geometry_type in pyogrio.list_layers(path) if geometry_type]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("layers")
    return out, run(SOURCES_DIR, out)


def test_build_writes_a_geopackage_per_theme_with_the_contract_fields(built):
    out, result = built
    for theme in REQUIRED_THEMES:
        path = out / f"{theme}.gpkg"
        assert path.exists(), theme
        assert feature_layers(path)
        for name in feature_layers(path):
            assert name.startswith(theme + "_")
            info = pyogrio.read_info(path, layer=name)
            assert info["crs"] == "EPSG:4326"
            assert tuple(info["fields"]) == FIELD_NAMES
            assert info["features"] > 0


def test_features_are_valid_and_inside_the_region(built):
    out, _ = built
    for path in out.glob("*.gpkg"):
        for name in feature_layers(path):
            gdf = pyogrio.read_dataframe(path, layer=name)
            assert gdf.geometry.is_valid.all(), name
            minx, miny, maxx, maxy = gdf.total_bounds
            assert 100 < minx and maxx < 136 and 36 < miny and maxy < 54, name  # NE China and neighbours
            assert gdf["geom_precision"].between(1, 5).all()
            assert gdf["geocode_match"].str.len().gt(0).all()
            assert gdf["source_text"].str.len().gt(0).all()


def test_unresolved_mentions_are_listed_not_drawn(built):
    out, result = built
    import csv
    rows = list(csv.DictReader(open(out / "unresolved.csv", encoding="utf-8")))
    assert {r["id"] for r in rows} == {loc.project.id for loc in result.unresolved}
    assert {"id", "mention", "document", "section", "reason"} <= set(rows[0])
    drawn = {p for path in out.glob("*.gpkg") for name in feature_layers(path)
             for p in pyogrio.read_dataframe(path, layer=name, read_geometry=False)["id"]}
    assert not drawn & {r["id"] for r in rows}


def test_committed_layers_match_a_fresh_build(built):
    out, _ = built
    committed = sorted(p.name for p in LAYERS_DIR.glob("*.gpkg"))
    assert committed == sorted(p.name for p in out.glob("*.gpkg")), "run `make build` and commit layers/"
    for name in committed:
        for layer in feature_layers(out / name):
            fresh = pyogrio.read_dataframe(out / name, layer=layer)
            old = pyogrio.read_dataframe(LAYERS_DIR / name, layer=layer)
            assert fresh.drop(columns="geometry").equals(old.drop(columns="geometry")), f"{name}:{layer} is stale"
            assert fresh.geometry.geom_equals_exact(old.geometry, 1e-9).all(), f"{name}:{layer} geometry is stale"


def test_a_failed_build_leaves_the_previous_layers_intact(built, tmp_path):
    out, _ = built
    target = tmp_path / "layers"
    shutil.copytree(out, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    bad_sources = tmp_path / "sources"
    bad_sources.mkdir()
    (bad_sources / "plan.txt").write_bytes("东北振兴".encode("gbk"))
    assert main(["build", "--sources", str(bad_sources), "--out", str(target)]) == 1
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


@pytest.mark.parametrize("argv, needle", [
    (["build", "--sources", "/nonexistent/plans"], "source folder not found: /nonexistent/plans"),
    (["export", "--out", "x.gpkg", "--layers", "/nonexistent/layers"], "/nonexistent/layers"),
])
def test_cli_errors_are_one_line(capsys, argv, needle):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err


def test_cli_geocode_prints_the_line(capsys):
    assert main(["geocode", "哈尔滨-牡丹江—绥芬河"]) == 0
    out = capsys.readouterr().out
    assert "LINESTRING" in out and "黑龙江" in out


def test_every_theme_of_the_build_is_a_known_theme(built):
    _, result = built
    assert result.counts_by_theme().keys() <= THEMES.keys()
