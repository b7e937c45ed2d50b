"""Located projects -> features -> one styled GeoPackage per theme, and back.

Files: `<out_dir>/<theme>.gpkg` with layers `<theme>_point`, `<theme>_line`, `<theme>_zone` (each only
when the theme has features of that geometry kind), each with exactly schema.FIELDS + geometry in
EPSG:4326, plus `<out_dir>/unresolved.csv`. Every file is written to a temporary name in `out_dir`
and moved into place with os.replace, so a failed write leaves the earlier files as they were.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon

from atlas import styles
from atlas._errors import LayerError
from atlas.models import Located
from atlas.names import name_en
from atlas.schema import FIELD_NAMES, FIELDS, PRECISION, STATUSES, THEMES
from atlas.settings import STORAGE_CRS

GPKG_VERSION = "1.2"  # GeoPackage 1.2: GDAL >= 2.3's own default, read cleanly by GDAL 3.6 / QGIS 3.22
EVIDENCE_2010_PREFIX = "ne_revitalization_2010"  # doc_id prefix of the 2010 progress document
EVIDENCE_JOINER = " ‖ "
UNRESOLVED_CSV = "unresolved.csv"
PROJECT_FILE = "atlas.qgz"  # QGIS project opening every layer, grouped by theme
UNRESOLVED_COLUMNS = ("id", "mention", "document", "section", "reason")
GEOM_KINDS = ("point", "line", "zone")  # layer suffixes, in file order

# Geometry type -> (layer kind, multi type used when a layer mixes single and multi parts).
_KIND_OF_TYPE = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "zone",
    "MultiPolygon": "zone",
}
_MULTI = {"point": MultiPoint, "line": MultiLineString, "zone": MultiPolygon}
_WKB_NAMES = {n.upper(): n for n in _KIND_OF_TYPE}  # "MULTIPOLYGON" -> "MultiPolygon"
_INT_FIELDS = tuple(name for name, dtype, *_ in FIELDS if dtype == "int")


# --------------------------------------------------------------------------- features


def _feature_row(loc: Located) -> dict:
    project = loc.project
    first = project.evidence[0] if project.evidence else None
    later_2010 = [ev.text for ev in project.evidence[1:] if ev.doc_id.startswith(EVIDENCE_2010_PREFIX)]
    return {
        "id": project.id,
        "name_zh": project.name_zh,
        "name_en": name_en(project.name_zh),
        "theme": project.theme,
        "subtype": project.subtype,
        "provinces": ";".join(loc.provinces),
        "status_2010": project.status_2010,
        "source_doc": first.doc_id if first else "",
        "source_section": first.section if first else "",
        "source_text": first.text if first else "",
        "source_span": f"{first.span[0]}-{first.span[1]}" if first else "",
        "evidence_2010": EVIDENCE_JOINER.join(later_2010),
        "geom_precision": int(loc.precision) if loc.precision is not None else 0,
        "geocode_match": loc.match,
        "schematic": 1 if loc.schematic else 0,
    }


def features_from_located(located: list[Located]) -> gpd.GeoDataFrame:
    """One row per located project that has a geometry, in input order.

    Columns are exactly schema.FIELDS in order plus `geometry`; CRS EPSG:4326. Unresolved
    projects (geometry None) are left out: see `unresolved_rows`.
    """
    rows = [_feature_row(loc) for loc in located if loc.geometry is not None]
    geoms = [loc.geometry for loc in located if loc.geometry is not None]
    frame = pd.DataFrame(rows, columns=list(FIELD_NAMES))
    for name in _INT_FIELDS:
        frame[name] = frame[name].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS), crs=STORAGE_CRS)


def unresolved_rows(located: list[Located]) -> list[dict]:
    """One row per failed place of each project (id, mention, document, section, reason).

    `Located.unresolved` holds "place: reason" strings; a project without a geometry and without
    such strings still gets one row, so nothing unresolved is silently dropped.
    """
    rows: list[dict] = []
    for loc in located:
        project = loc.project
        first = project.evidence[0] if project.evidence else None
        base = {
            "id": project.id,
            "document": first.doc_id if first else "",
            "section": first.section if first else "",
        }
        for entry in loc.unresolved:
            mention, sep, reason = entry.partition(": ")
            rows.append({**base, "mention": mention if sep else entry, "reason": reason})
        if loc.geometry is None and not loc.unresolved:
            rows.append({**base, "mention": project.name_zh, "reason": loc.match or "unresolved"})
    return [{key: row[key] for key in UNRESOLVED_COLUMNS} for row in rows]


def _atomic_write_bytes(data: bytes, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_unresolved_csv(located: list[Located], out_dir: Path) -> Path:
    """Write `<out_dir>/unresolved.csv` atomically (UTF-8, header always present)."""
    out_dir = Path(out_dir)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=UNRESOLVED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(unresolved_rows(located))
    path = out_dir / UNRESOLVED_CSV
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(buf.getvalue().encode("utf-8"), path)
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise LayerError(msg) from exc
    return path


# --------------------------------------------------------------------------- validation


def layer_problems(gdf: gpd.GeoDataFrame) -> list[str]:
    """Every way `gdf` departs from the layer schema (empty list when it conforms)."""
    problems: list[str] = []
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf._geometry_column_name not in gdf.columns:
        return ["not a GeoDataFrame with an active geometry column"]
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if tuple(columns) != FIELD_NAMES:
        problems.append(f"columns {columns} differ from schema.FIELDS {list(FIELD_NAMES)}")
        return problems
    if gdf.crs is None or gdf.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs:
        problems.append(f"CRS is {gdf.crs}, expected {STORAGE_CRS}")
    ids = gdf["id"]
    dupes = sorted(set(ids[ids.duplicated()].astype(str)))
    if dupes:
        problems.append(f"duplicate ids: {', '.join(dupes[:10])}")
    for idx, row in zip(gdf["id"], gdf.itertuples(index=False), strict=True):
        geom = getattr(row, gdf.geometry.name)
        label = f"feature {idx!r}"
        if geom is None or geom.is_empty:
            problems.append(f"{label}: no geometry")
        elif geom.geom_type not in _KIND_OF_TYPE:
            problems.append(f"{label}: geometry type {geom.geom_type} is not point, line or polygon")
        elif not geom.is_valid:
            problems.append(f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})")
        if row.theme not in THEMES:
            problems.append(f"{label}: unknown theme {row.theme!r}")
        if row.geom_precision not in PRECISION:
            problems.append(f"{label}: precision {row.geom_precision!r} not in {sorted(PRECISION)}")
        if row.status_2010 not in STATUSES:
            problems.append(f"{label}: status {row.status_2010!r} not in {list(STATUSES)}")
        if row.schematic not in (0, 1):
            problems.append(f"{label}: schematic {row.schematic!r} is not 0 or 1")
        for name, dtype, *_ in FIELDS:
            value = getattr(row, name)
            if dtype == "str" and not isinstance(value, str):
                problems.append(f"{label}: field {name} is {type(value).__name__}, expected str")
        if not str(idx).strip():
            problems.append("a feature has an empty id")
    return problems


def validate_layer(gdf: gpd.GeoDataFrame) -> None:
    """Raise LayerError listing every schema problem of `gdf` at once."""
    problems = layer_problems(gdf)
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        msg = f"{len(problems)} layer schema problem(s): {shown}{more}"
        raise LayerError(msg)


# --------------------------------------------------------------------------- writing


def split_layers(gdf: gpd.GeoDataFrame) -> dict[str, dict[str, gpd.GeoDataFrame]]:
    """theme -> {layer name -> features}, one geometry type per layer (promoted to Multi* if mixed).

    Themes and layers come in a fixed order (themes sorted, then point, line, zone); features keep
    their order in `gdf`.
    """
    kinds = gdf.geometry.geom_type.map(_KIND_OF_TYPE)
    out: dict[str, dict[str, gpd.GeoDataFrame]] = {}
    for theme in sorted(set(gdf["theme"])):
        for kind in GEOM_KINDS:
            part = gdf[(gdf["theme"] == theme) & (kinds == kind)].copy()
            if part.empty:
                continue
            types = set(part.geometry.geom_type)
            if len(types) > 1:
                multi = _MULTI[kind]
                part = part.set_geometry(
                    [g if g.geom_type.startswith("Multi") else multi([g]) for g in part.geometry],
                    crs=gdf.crs,
                )
            out.setdefault(theme, {})[f"{theme}_{kind}"] = part.reset_index(drop=True)
    return out


def _write_theme_file(theme: str, layers: dict[str, gpd.GeoDataFrame], path: Path, build_date: str) -> None:
    """Write one theme's layers to `path` (a temporary name), then styles, domains and metadata."""
    meta = styles.load_metadata()
    for layer_name, part in layers.items():
        pyogrio.write_dataframe(
            part,
            path,
            layer=layer_name,
            driver="GPKG",
            dataset_options={"VERSION": GPKG_VERSION},
            layer_options={
                "IDENTIFIER": f"{THEMES[theme][2]} {THEMES[theme][1]} ({layer_name})",
                "DESCRIPTION": styles.layer_description(theme, layer_name, meta),
                "SPATIAL_INDEX": "YES",
            },
            layer_metadata=styles.layer_metadata(theme, layer_name, meta, build_date),
        )
    styles.enrich_geopackage(path, theme, layers, build_date)


def write_layers(gdf: gpd.GeoDataFrame, out_dir: Path, *, build_date: str | None = None) -> list[Path]:
    """Write one GeoPackage per theme under `out_dir`; return the paths written, sorted.

    The whole frame is validated first and every problem reported in one LayerError. Each file
    goes to a temporary name in `out_dir` and is moved into place with os.replace; if any file
    fails, the files already in `out_dir` stay as they were (files replaced earlier in the same
    call keep their new content) and no file is removed. Theme files that the new frame no longer
    has are removed only after all new files are in place. `build_date` (YYYY-MM-DD, default
    $SOURCE_DATE_EPOCH or today, UTC) is the only date stored in the files. Also writes the
    QGIS project `atlas.qgz` (see `write_project`). An empty frame raises LayerError.
    """
    validate_layer(gdf)
    out_dir = Path(out_dir)
    if gdf.empty:
        msg = f"no features to write to {out_dir}; the layers there are left as they were"
        raise LayerError(msg)
    build_date = build_date or styles.default_build_date()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create layer folder {out_dir}: {exc.strerror or exc}"
        raise LayerError(msg) from exc
    written: list[Path] = []
    for theme, layers in split_layers(gdf).items():
        final = out_dir / f"{theme}.gpkg"
        tmp = out_dir / f".{theme}.tmp{os.getpid()}.gpkg"
        try:
            tmp.unlink(missing_ok=True)
            _write_theme_file(theme, layers, tmp, build_date)
            os.replace(tmp, final)
        except (OSError, sqlite3.Error, pyogrio.errors.DataSourceError, RuntimeError) as exc:
            msg = f"cannot write {final}: {exc}"
            raise LayerError(msg) from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
        written.append(final)
    write_project(out_dir, written, build_date)
    keep = {p.name for p in written}
    for stale in sorted(out_dir.glob("*.gpkg")):
        if stale.name not in keep and stale.stem in THEMES:
            stale.unlink()
    return sorted(written)


def write_project(out_dir: Path, gpkg_paths: list[Path], build_date: str) -> Path:
    """Write `<out_dir>/atlas.qgz`: every layer of `gpkg_paths`, grouped by theme, relative paths.

    Each layer carries its default style (read back from the file's layer_styles table).
    """
    from pyproj import CRS

    entries = []
    for path in sorted(gpkg_paths):
        con = sqlite3.connect(path)
        try:
            qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault"))
            types = dict(con.execute("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"))
        finally:
            con.close()
        theme = path.stem
        for kind in ("point", "line", "zone"):
            layer = f"{theme}_{kind}"
            if layer in qml:
                entries.append(
                    {
                        "file": path.name,
                        "layer": layer,
                        "theme": theme,
                        "kind": kind,
                        "geometry_type": _WKB_NAMES[types[layer].upper()],
                        "qml": qml[layer],
                    }
                )
    title = styles.load_metadata()["title"]
    xml = styles.build_project_xml(entries, title, CRS(STORAGE_CRS).to_wkt())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("atlas.qgs", date_time=(*map(int, build_date.split("-")), 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, xml)
    path = Path(out_dir) / PROJECT_FILE
    try:
        _atomic_write_bytes(buf.getvalue(), path)
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise LayerError(msg) from exc
    return path


# --------------------------------------------------------------------------- reading


def layer_files(layers_dir: Path) -> list[Path]:
    """The GeoPackages of a layer folder, sorted (temporary files skipped)."""
    return sorted(p for p in Path(layers_dir).glob("*.gpkg") if not p.name.startswith("."))


def _read_one(path: Path) -> Iterable[gpd.GeoDataFrame]:
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL raises several types for a corrupt file
        msg = f"cannot read GeoPackage {path}: {exc}"
        raise LayerError(msg) from exc
    for name in names:
        if name == "layer_styles" or not name.endswith(tuple(f"_{k}" for k in GEOM_KINDS)):
            continue
        try:
            part = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            msg = f"cannot read layer {name!r} of GeoPackage {path}: {exc}"
            raise LayerError(msg) from exc
        part["layer"] = name
        yield part


def read_layers(layers_dir: Path, *, problems: list[str] | None = None) -> gpd.GeoDataFrame:
    """All layers of all `*.gpkg` in `layers_dir`, concatenated, with a `layer` column.

    Files and layers come in sorted order; features in file order. Raises LayerError naming the
    path when the folder is missing or a GeoPackage is unreadable, corrupt or locked — unless a
    `problems` list is given: then an unreadable file is skipped, its one-line message appended
    there, and the other layers are returned (so a viewer can show what it can).
    """
    layers_dir = Path(layers_dir)
    if not layers_dir.is_dir():
        msg = f"layer folder {layers_dir} does not exist (run `atlas build` first)"
        raise LayerError(msg)
    parts = []
    for path in layer_files(layers_dir):
        try:
            parts.extend(_read_one(path))
        except LayerError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
    columns = [*FIELD_NAMES, "layer", "geometry"]
    if not parts:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=STORAGE_CRS)
    gdf = pd.concat(parts, ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=STORAGE_CRS)
    return gdf[columns]
