"""QGIS 3.22 (Debian's python3-qgis, in /usr/bin/python3) loads every layer valid and styled.

Runs tests/qgis_check.py as a subprocess with QT_QPA_PLATFORM=offscreen; skipped only when the
system interpreter cannot import qgis (.ci/run installs python3-qgis and qgis-providers).
"""

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from _fixtures_delivery import make_gdf

from atlas.export import export_features
from atlas.layers import read_layers, write_layers

SYSTEM_PYTHON = "/usr/bin/python3"
CHECK = Path(__file__).with_name("qgis_check.py")


def _qgis_missing() -> str:
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    return (
        ""
        if probe.returncode == 0
        else f"{SYSTEM_PYTHON} cannot import qgis (apt-get install python3-qgis qgis-providers)"
    )


_MISSING = _qgis_missing()
pytestmark = [pytest.mark.qgis, pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "qgis available")]


def _run_check(layers_dir: Path, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(layers_dir)}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [SYSTEM_PYTHON, str(CHECK), str(layers_dir), *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_qgis_loads_every_layer_with_its_default_style(tmp_path):
    layers_dir = tmp_path / "layers"
    write_layers(make_gdf(), layers_dir, build_date="2026-01-02")
    result = _run_check(layers_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(".gpkg:" in line and line.endswith(": ok") for line in lines) == 4
    assert "atlas.qgz: 4 layers in 2 groups: ok" in lines
    assert "may only be partially supported" not in result.stderr  # GeoPackage version read cleanly


def test_the_check_fails_when_a_default_style_is_missing(tmp_path):
    layers_dir = tmp_path / "layers"
    write_layers(make_gdf(), layers_dir, build_date="2026-01-02")
    con = sqlite3.connect(layers_dir / "railway.gpkg")
    with con:
        con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = 'railway_line'")
    con.close()
    result = _run_check(layers_dir)
    assert result.returncode == 1
    assert "railway.gpkg:railway_line: FAIL" in result.stdout


def test_exported_geopackage_opens_styled(tmp_path):
    layers_dir = tmp_path / "layers"
    write_layers(make_gdf(), layers_dir, build_date="2026-01-02")
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    export_features(read_layers(layers_dir), export_dir / "selection.gpkg", "gpkg", "EPSG:4490")
    result = _run_check(export_dir, "--layers-only")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("selection.gpkg:") and line.endswith(": ok") for line in lines) == 4, (
        result.stdout
    )


VALIDATOR = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"


@pytest.mark.skipif(
    not os.path.exists(VALIDATOR), reason="GDAL's validate_gpkg.py (python3-gdal) not installed"
)
def test_gdal_36_validator_accepts_layers_and_exports(tmp_path):
    layers_dir = tmp_path / "layers"
    paths = write_layers(make_gdf(), layers_dir, build_date="2026-01-02")
    paths.append(export_features(read_layers(layers_dir), tmp_path / "cgcs2000.gpkg", "gpkg", "EPSG:4490"))
    for path in paths:
        result = subprocess.run(
            [SYSTEM_PYTHON, VALIDATOR, str(path)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0 and not result.stdout.strip(), (
            f"{path.name}: {result.stdout}{result.stderr}"
        )
