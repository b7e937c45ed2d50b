"""atlas.export: every format read back with pyogrio, EPSG:4490, empty selections, atomic writes."""

import csv
import io
import sqlite3
import xml.etree.ElementTree as ET
import zipfile

import pyogrio
import pytest
from _fixtures_delivery import make_gdf

from atlas import export
from atlas.export import SHAPEFILE_FIELDS, ExportError, export_features
from atlas.filters import filter_features
from atlas.layers import read_layers, write_layers
from atlas.schema import FIELD_NAMES


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    """Features as the CLI gets them: read back from built layers (with the extra `layer` column)."""
    out = tmp_path_factory.mktemp("layers")
    write_layers(make_gdf(), out, build_date="2026-01-02")
    return read_layers(out)


def _text(value):
    """Compare form: a .dbf reads an empty string back as null."""
    return "" if value is None or value != value else str(value)


def _assert_same_features(got, want, fields=FIELD_NAMES, key="id"):
    got, want = got.set_index(key).sort_index(), want.set_index(key).sort_index()
    assert list(got.index) == list(want.index)
    for field in fields:
        if field == key:
            continue
        assert [_text(v) for v in got[field]] == [_text(v) for v in want[field]], field
    assert got.geometry.is_valid.all()
    for a, b in zip(got.geometry, want.geometry, strict=True):
        assert a.equals_exact(b, 1e-6) or a.equals(b)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_gpkg(features, tmp_path, crs):
    path = export_features(features, tmp_path / "sel.gpkg", "gpkg", crs)
    names = [n for n, g in pyogrio.list_layers(path) if g is not None]
    assert names == ["eco_zone_point", "eco_zone_zone", "railway_point", "railway_line"]
    parts = [pyogrio.read_dataframe(path, layer=n) for n in names]
    assert all(p.crs.to_string() == crs for p in parts)
    import pandas as pd

    _assert_same_features(pd.concat(parts), features.drop(columns="layer"))
    con = sqlite3.connect(path)
    defaults = con.execute(
        "SELECT count(*), count(DISTINCT f_table_name) FROM layer_styles WHERE useAsDefault"
    ).fetchone()
    con.close()
    assert defaults == (4, 4)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_geojson(features, tmp_path, crs):
    path = export_features(features, tmp_path / "sel.geojson", "geojson", crs)
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_string() == crs
    assert list(back.columns) == [*FIELD_NAMES, "geometry"]
    _assert_same_features(back, features)


def test_kml_names_and_escaped_descriptions(features, tmp_path):
    path = export_features(features, tmp_path / "sel.kml", "kml")
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4326
    # KML readers give the Placemark's own id in `id`; the feature id travels in ExtendedData.
    _assert_same_features(back, features, fields=("subtype", "source_text", "provinces"), key="name_zh")
    assert '<SimpleData name="source_span">100-110</SimpleData>' in path.read_text(encoding="utf-8")
    root = ET.parse(path).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    names = [
        p.findtext("k:name", namespaces=ns) for p in root.iter("{http://www.opengis.net/kml/2.2}Placemark")
    ]
    assert "呼伦贝尔草原<script>alert(1)</script>" in names
    desc = next(
        p.findtext("k:description", namespaces=ns)
        for p in root.iter("{http://www.opengis.net/kml/2.2}Placemark")
        if "呼伦贝尔" in p.findtext("k:name", namespaces=ns)
    )
    # The balloon is HTML: our markup stays, the feature's own text is escaped.
    assert "<b>省区 Provinces</b>: 内蒙古" in desc
    assert "&lt;script&gt;" in desc and "<script>" not in desc


def test_kml_refuses_cgcs2000(features, tmp_path):
    with pytest.raises(ExportError, match="KML is always WGS 84"):
        export_features(features, tmp_path / "sel.kml", "kml", "EPSG:4490")


def test_zipped_shapefile(features, tmp_path):
    path = export_features(features, tmp_path / "sel.zip", "shp", "EPSG:4490")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {
            "atlas_point.shp",
            "atlas_point.cpg",
            "atlas_line.dbf",
            "atlas_zone.prj",
            "fields.csv",
        } <= names
        assert zf.read("atlas_line.cpg").decode().strip().upper() in {"UTF-8", "UTF8"}
        mapping = list(csv.DictReader(io.StringIO(zf.read("fields.csv").decode("utf-8"))))
    assert {r["field"]: r["short_name"] for r in mapping} == SHAPEFILE_FIELDS
    assert all(len(short) <= 10 for short in SHAPEFILE_FIELDS.values())
    import pandas as pd

    parts = [pyogrio.read_dataframe(f"/vsizip/{path}/atlas_{k}.shp") for k in ("point", "line", "zone")]
    assert all(p.crs.to_epsg() == 4490 for p in parts)
    back = pd.concat(parts).rename(columns={v: k for k, v in SHAPEFILE_FIELDS.items()})
    _assert_same_features(back, features)


def test_csv_with_wkt(features, tmp_path):
    path = export_features(features, tmp_path / "sel.csv", "csv")
    back = pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="WKT", KEEP_GEOM_COLUMNS="NO")
    assert set(back["crs"]) == {"EPSG:4326"}
    _assert_same_features(back, features)


def test_filtered_selection_and_empty_results(features, tmp_path):
    jilin = filter_features(features, provinces=["吉林省"])
    path = export_features(jilin, tmp_path / "jilin.geojson", "geojson")
    assert sorted(pyogrio.read_dataframe(path)["id"]) == sorted(jilin["id"])
    none = filter_features(features, provinces=["辽宁"], themes=["eco_zone"])
    with pytest.raises(ExportError, match="selection is empty"):
        export_features(none, tmp_path / "none.gpkg", "gpkg")
    assert not (tmp_path / "none.gpkg").exists()
    for fmt, name in [
        ("gpkg", "e.gpkg"),
        ("geojson", "e.geojson"),
        ("kml", "e.kml"),
        ("shp", "e.zip"),
        ("csv", "e.csv"),
    ]:
        path = export_features(none, tmp_path / name, fmt, allow_empty=True)
        target = f"/vsizip/{path}/atlas_point.shp" if fmt == "shp" else path
        info = pyogrio.read_info(target)
        assert info["features"] == 0, fmt


def test_bad_arguments(features, tmp_path):
    with pytest.raises(ExportError, match="supported formats: gpkg, geojson, kml, shp, csv"):
        export_features(features, tmp_path / "x.xlsx", "xlsx")
    with pytest.raises(ExportError, match="unsupported CRS 'EPSG:3857'"):
        export_features(features, tmp_path / "x.gpkg", "gpkg", "EPSG:3857")
    with pytest.raises(ExportError, match="should end in .zip"):
        export_features(features, tmp_path / "x.shp", "shp")
    with pytest.raises(ExportError, match="does not exist"):
        export_features(features, tmp_path / "no" / "x.gpkg", "gpkg")


def test_failed_export_leaves_the_earlier_file_intact(features, tmp_path, monkeypatch):
    path = export_features(features, tmp_path / "sel.geojson", "geojson")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("simulated failure")

    monkeypatch.setattr(export.pyogrio, "write_dataframe", broken)
    with pytest.raises(ExportError, match="sel.geojson"):
        export_features(features.iloc[:1], path, "geojson")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sel.geojson"]


@pytest.mark.parametrize("fmt", export.EXPORT_FORMATS)
def test_export_bytes_are_the_file_the_app_offers(features, tmp_path, fmt):
    # The app's download buttons: the file export_features writes, under its usual name, and a
    # valid file for an empty selection too.
    path = tmp_path / export.export_file_name(fmt)
    path.write_bytes(export.export_bytes(features, fmt))
    assert path.suffix == export._SUFFIXES[fmt][0] and fmt in export.MEDIA_TYPES and fmt in export.FORMAT_NAMES
    if fmt in ("gpkg", "geojson", "kml"):
        def count(source):  # features of every spatial layer (a GeoPackage also holds layer_styles)
            return sum(pyogrio.read_info(source, layer=name)["features"]
                       for name, geometry in pyogrio.list_layers(source) if geometry)

        empty = tmp_path / f"empty{path.suffix}"
        empty.write_bytes(export.export_bytes(features.iloc[:0], fmt))
        assert count(path) == len(features) and count(empty) == 0
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))) == len(features)
    else:
        assert zipfile.is_zipfile(path)
