"""Write a (filtered) selection of features in the formats GIS staff use. Atomic.

Formats (`EXPORT_FORMATS`):
- gpkg: one layer per theme and geometry kind (`<theme>_point|_line|_zone`), with the same default
  QGIS styles, domains, aliases and metadata as the built atlas.
- geojson: one FeatureCollection (RFC 7946 when EPSG:4326; with a `crs` member for EPSG:4490).
- kml: placemarks named by name_zh with an HTML description (every value html.escape'd), all
  fields as ExtendedData. KML is WGS 84 by definition, so only EPSG:4326.
- shp: a .zip holding one Shapefile per geometry kind (`atlas_point.shp` ...), UTF-8 `.cpg`, and
  `fields.csv` mapping the 10-character field names to the full names and aliases.
- csv: UTF-8 with a `WKT` geometry column and a `crs` column.
CRS: EPSG:4326 (default) or EPSG:4490 (CGCS2000). An empty selection raises ExportError unless
`allow_empty=True`, which writes a valid file with an empty layer.
"""

from __future__ import annotations

import csv
import html
import io
import os
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from atlas import layers as layers_mod
from atlas import styles
from atlas._errors import AtlasError
from atlas.schema import FIELD_NAMES, FIELDS, PRECISION
from atlas.settings import GOVERNMENT_CRS, STORAGE_CRS

EXPORT_FORMATS = ("gpkg", "geojson", "kml", "shp", "csv")
EXPORT_CRS = (STORAGE_CRS, GOVERNMENT_CRS)
FORMAT_NAMES = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "kml": "KML", "shp": "Shapefile (zip)", "csv": "CSV"}
MEDIA_TYPES = {"gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json",
               "kml": "application/vnd.google-earth.kml+xml", "shp": "application/zip", "csv": "text/csv"}
_SUFFIXES = {
    "gpkg": (".gpkg",),
    "geojson": (".geojson", ".json"),
    "kml": (".kml",),
    "shp": (".zip",),
    "csv": (".csv",),
}
# Shapefile field names are at most 10 characters: full name -> short name.
SHAPEFILE_FIELDS = {
    "id": "id",
    "name_zh": "name_zh",
    "name_en": "name_en",
    "theme": "theme",
    "subtype": "subtype",
    "provinces": "provinces",
    "status_2010": "status2010",
    "source_doc": "src_doc",
    "source_section": "src_sect",
    "source_text": "src_text",
    "source_span": "src_span",
    "evidence_2010": "evid_2010",
    "geom_precision": "precision",
    "geocode_match": "geo_match",
    "schematic": "schematic",
}
SHAPEFILE_TEXT_LIMIT = 254  # bytes per text value in a .dbf; longer values are cut by GDAL
_INT_FIELDS = {name for name, dtype, *_ in FIELDS if dtype == "int"}


class ExportError(AtlasError, ValueError):
    """An export cannot be made: bad format, CRS or path, empty selection, or a failed write."""


def _check_args(gdf: gpd.GeoDataFrame, out_path: Path, fmt: str, crs: str, allow_empty: bool) -> None:
    if fmt not in EXPORT_FORMATS:
        msg = f"unknown export format {fmt!r}; supported formats: {', '.join(EXPORT_FORMATS)}"
        raise ExportError(msg)
    if crs not in EXPORT_CRS:
        msg = f"unsupported CRS {crs!r}; supported: {', '.join(EXPORT_CRS)}"
        raise ExportError(msg)
    if fmt == "kml" and crs != STORAGE_CRS:
        msg = f"KML is always WGS 84: use --crs {STORAGE_CRS} with --format kml (asked for {crs})"
        raise ExportError(msg)
    if out_path.suffix.lower() not in _SUFFIXES[fmt]:
        msg = f"output {out_path} should end in {' or '.join(_SUFFIXES[fmt])} for format {fmt}"
        raise ExportError(msg)
    if not out_path.parent.is_dir():
        msg = f"output folder {out_path.parent} does not exist"
        raise ExportError(msg)
    if gdf.empty and not allow_empty:
        msg = f"the selection is empty: nothing to write to {out_path} (ask for an empty file explicitly)"
        raise ExportError(msg)


def _schema_frame(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Exactly FIELDS + geometry, typed, in the target CRS (extra columns such as `layer` dropped)."""
    missing = [name for name in FIELD_NAMES if name not in gdf.columns]
    if missing:
        msg = f"features lack the fields {', '.join(missing)}"
        raise ExportError(msg)
    frame = pd.DataFrame(
        {
            name: (gdf[name].astype("int64") if name in _INT_FIELDS else gdf[name].fillna("").astype(str))
            for name in FIELD_NAMES
        },
        index=gdf.index,
    )
    out = gpd.GeoDataFrame(frame, geometry=gdf.geometry.to_numpy(), crs=gdf.crs or STORAGE_CRS)
    out = out.reset_index(drop=True)
    return out.to_crs(crs) if crs != str(out.crs.to_string()) else out


def _kml_description(row) -> str:
    """HTML for a KML balloon; every value escaped."""
    precision = PRECISION.get(int(row["geom_precision"]), ("", ""))
    parts = [
        ("English", row["name_en"]),
        ("类别 Theme / 子类 Subtype", f"{row['theme']} / {row['subtype']}"),
        ("省区 Provinces", row["provinces"]),
        ("2010年进展 Status 2010", row["status_2010"]),
        ("位置精度 Precision", f"{row['geom_precision']} {precision[1]} {precision[0]}"),
        ("定位依据 Matched to", row["geocode_match"]),
        ("来源 Source", f"{row['source_doc']} · {row['source_section']}"),
        ("原文 Text", row["source_text"]),
    ]
    if row["evidence_2010"]:
        parts.append(("2010年进展原文", row["evidence_2010"]))
    return "<br/>".join(f"<b>{html.escape(k)}</b>: {html.escape(str(v))}" for k, v in parts if v != "")


def _empty_typed(crs: str) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        {name: pd.Series(dtype="int64" if name in _INT_FIELDS else object) for name in FIELD_NAMES}
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _write_gpkg(frame: gpd.GeoDataFrame, tmp: Path, build_date: str) -> None:
    if frame.empty:
        pyogrio.write_dataframe(
            _empty_typed(str(frame.crs)),
            tmp,
            layer="atlas_features",
            driver="GPKG",
            dataset_options={"VERSION": layers_mod.GPKG_VERSION},
        )
        return
    for theme, parts in layers_mod.split_layers(frame).items():
        layers_mod._write_theme_file(theme, parts, tmp, build_date)


def _write_shp_zip(frame: gpd.GeoDataFrame, tmp: Path) -> None:
    renamed = frame.rename(columns=SHAPEFILE_FIELDS)
    kinds = (
        frame.geometry.geom_type.map(layers_mod._KIND_OF_TYPE) if not frame.empty else pd.Series(dtype=str)
    )
    with tempfile.TemporaryDirectory(dir=tmp.parent, prefix=".shp-") as work:
        work_dir = Path(work)
        groups = [(k, renamed[kinds == k]) for k in layers_mod.GEOM_KINDS if (kinds == k).any()]
        if not groups:
            groups = [("point", _empty_typed(str(frame.crs)).rename(columns=SHAPEFILE_FIELDS))]
        truncated: set[str] = set()
        for kind, part in groups:
            for full, short in SHAPEFILE_FIELDS.items():
                if full not in _INT_FIELDS and len(part):
                    if part[short].map(lambda v: len(str(v).encode("utf-8")) > SHAPEFILE_TEXT_LIMIT).any():
                        truncated.add(full)
            promote = len(set(part.geometry.geom_type)) > 1
            pyogrio.write_dataframe(
                part,
                work_dir / f"atlas_{kind}.shp",
                driver="ESRI Shapefile",
                encoding="UTF-8",
                promote_to_multi=promote or None,
                geometry_type="Point" if part.empty else None,
            )
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["short_name", "field", "alias_en", "alias_zh", "note"])
        for name, _, en, zh in FIELDS:
            note = (
                f"values over {SHAPEFILE_TEXT_LIMIT} bytes cut; full text in the GeoPackage export"
                if name in truncated
                else ""
            )
            writer.writerow([SHAPEFILE_FIELDS[name], name, en, zh, note])
        (work_dir / "fields.csv").write_text(buf.getvalue(), encoding="utf-8")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(work_dir.iterdir()):
                zf.write(path, arcname=path.name)


def export_features(
    gdf: gpd.GeoDataFrame,
    out_path: Path,
    fmt: str = "gpkg",
    crs: str = STORAGE_CRS,
    *,
    allow_empty: bool = False,
    build_date: str | None = None,
) -> Path:
    """Write `gdf` (FIELDS + geometry, e.g. a filtered `read_layers` result) to `out_path`.

    `fmt` is one of EXPORT_FORMATS; `crs` EPSG:4326 or EPSG:4490. The file is written under a
    temporary name in the same folder and moved into place, so a failure leaves an earlier
    `out_path` intact. Returns `out_path`. Raises ExportError with a one-line message.
    """
    out_path = Path(out_path)
    _check_args(gdf, out_path, fmt, crs, allow_empty)
    frame = _schema_frame(gdf, crs) if not gdf.empty else _empty_typed(crs)
    tmp = out_path.with_name(f".{out_path.stem}.tmp{os.getpid()}{out_path.suffix}")
    try:
        tmp.unlink(missing_ok=True)
        if fmt == "gpkg":
            _write_gpkg(frame, tmp, build_date or styles.default_build_date())
        elif fmt == "geojson":
            options = {"RFC7946": "YES"} if crs == STORAGE_CRS else {}
            pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer=out_path.stem, layer_options=options)
        elif fmt == "kml":
            kml = frame.copy()
            kml.insert(0, "description", [_kml_description(r) for _, r in frame.iterrows()])
            kml.insert(0, "name", frame["name_zh"])
            pyogrio.write_dataframe(
                kml,
                tmp,
                driver="KML",
                layer=out_path.stem,
                dataset_options={"NameField": "name", "DescriptionField": "description"},
            )
        elif fmt == "shp":
            _write_shp_zip(frame, tmp)
        else:
            table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
            table["crs"] = crs
            table["WKT"] = frame.geometry.to_wkt() if len(frame) else pd.Series(dtype=str)
            table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        os.replace(tmp, out_path)
    except (OSError, RuntimeError, pyogrio.errors.DataSourceError, pyogrio.errors.FieldError) as exc:
        msg = f"cannot write {out_path}: {exc}"
        raise ExportError(msg) from exc
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
    return out_path


def export_file_name(fmt: str, stem: str = "atlas") -> str:
    """'atlas.gpkg', 'atlas.zip' (shp), ...: the name an export in `fmt` is offered under."""
    return stem + _SUFFIXES[fmt][0]


def export_bytes(gdf: gpd.GeoDataFrame, fmt: str, crs: str = STORAGE_CRS) -> bytes:
    """The file `export_features` writes for `gdf` in `fmt`, as bytes (an empty selection gives
    a valid empty file): what the app's download buttons offer."""
    with tempfile.TemporaryDirectory() as tmp:
        return export_features(gdf, Path(tmp) / export_file_name(fmt), fmt, crs, allow_empty=True).read_bytes()
