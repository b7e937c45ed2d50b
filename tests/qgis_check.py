"""Load the atlas in QGIS (run by /usr/bin/python3, which has the qgis bindings).

Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py LAYERS_DIR [--layers-only]
Checks every layer of every GeoPackage: valid, feature count as in the file, its default style
applied (renderer type and rule count equal the stored default QML, labels on, aliases set), and
that LAYERS_DIR/atlas.qgz opens with every layer valid and grouped by theme (skipped with
--layers-only, e.g. for an export). Prints one line per layer; exit code 1 when anything failed.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsProject, QgsVectorLayer  # noqa: E402


def stored_styles(path: Path) -> dict[str, tuple[str, int]]:
    """layer -> (renderer type, number of default styles) from the file's layer_styles table."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault").fetchall()
    finally:
        con.close()
    out: dict[str, tuple[str, int]] = {}
    for name, qml in rows:
        root = ET.fromstring(qml.split("\n", 1)[1])
        renderer = root.find("renderer-v2")
        rules = len(renderer.find("rules")) if renderer.find("rules") is not None else 0
        count = out.get(name, ("", 0, 0))[1] + 1 if name in out else 1
        out[name] = (renderer.get("type"), count, rules)
    return out


def check_layers(layers_dir: Path) -> list[str]:
    failures: list[str] = []
    checked = 0
    for path in sorted(layers_dir.glob("*.gpkg")):
        styles = stored_styles(path)
        con = sqlite3.connect(path)
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name"
            )
        ]
        con.close()
        for table in tables:
            checked += 1
            layer = QgsVectorLayer(f"{path}|layername={table}", table, "ogr")
            problems = []
            if not layer.isValid():
                problems.append("not valid")
            else:
                renderer_type, n_default, n_rules = styles.get(table, ("", 0, 0))
                if n_default != 1:
                    problems.append(f"{n_default} default styles stored")
                if layer.renderer() is None or layer.renderer().type() != renderer_type:
                    got = layer.renderer().type() if layer.renderer() else None
                    problems.append(f"renderer {got!r}, stored default is {renderer_type!r}")
                elif renderer_type == "RuleRenderer":
                    got_rules = len(layer.renderer().rootRule().children())
                    if got_rules != n_rules:
                        problems.append(f"{got_rules} rules applied, style has {n_rules}")
                if not layer.labelsEnabled():
                    problems.append("labels off")
                idx = layer.fields().indexOf("name_zh")
                if idx < 0 or not layer.attributeAlias(idx):
                    problems.append("no alias on name_zh")
                if layer.featureCount() < 1:
                    problems.append("no features")
            status = "ok" if not problems else "FAIL " + "; ".join(problems)
            print(f"{path.name}:{table}: {status}")
            if problems:
                failures.append(f"{path.name}:{table}: {'; '.join(problems)}")
    if checked == 0:
        failures.append(f"no layers found in {layers_dir}")
    return failures


def check_project(layers_dir: Path) -> list[str]:
    project_path = layers_dir / "atlas.qgz"
    project = QgsProject.instance()
    if not project.read(str(project_path)):
        return [f"{project_path}: QGIS cannot open it: {project.error()}"]
    failures = []
    layers = list(project.mapLayers().values())
    expected = 0
    for path in layers_dir.glob("*.gpkg"):
        con = sqlite3.connect(path)
        expected += con.execute("SELECT count(*) FROM gpkg_contents WHERE data_type = 'features'").fetchone()[
            0
        ]
        con.close()
    if len(layers) != expected:
        failures.append(f"{project_path}: {len(layers)} layers, GeoPackages hold {expected}")
    for layer in layers:
        if not layer.isValid():
            failures.append(f"{project_path}: layer {layer.name()} not valid ({layer.source()})")
    groups = [g.name() for g in project.layerTreeRoot().findGroups()]
    order = [layer.name().rsplit("_", 1)[-1] for layer in project.layerTreeRoot().layerOrder()]
    if order != sorted(order, key=("point", "line", "zone").index):
        failures.append(f"{project_path}: drawing order {order} is not points, lines, zones")
    if len(groups) != len(list(layers_dir.glob("*.gpkg"))):
        failures.append(f"{project_path}: groups {groups} do not match one per theme file")
    print(f"atlas.qgz: {len(layers)} layers in {len(groups)} groups: {'ok' if not failures else 'FAIL'}")
    return failures


def main(argv: list[str]) -> int:
    layers_dir = Path(argv[1]).resolve()
    app = QgsApplication([], False)
    app.initQgis()
    failures = check_layers(layers_dir)
    if "--layers-only" not in argv:
        failures += check_project(layers_dir)
    for failure in failures:
        print("FAILED:", failure)
    app.exitQgis()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
