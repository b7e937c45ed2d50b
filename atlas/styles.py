"""QGIS styles, field domains, aliases and metadata for the atlas GeoPackages.

`enrich_geopackage` adds to a GeoPackage that `layers.write_layers` has just written:
- `layer_styles` (QGIS's table): exactly one default style per layer, as QML and SLD. The renderer
  is rule-based: one rule per subtype, coloured in shades of the theme colour of schema.THEMES (the
  colour of the web legend), line widths by class (geodata/styles/line_classes.csv), and coarse
  locations (geom_precision >= 4) drawn dashed and hatched; labels in Chinese (Noto Sans CJK SC).
- `gpkg_data_columns` / `gpkg_data_column_constraints` (GeoPackage schema extension): field aliases
  in Chinese and English, and coded domains (enum) for theme, subtype, status_2010, geom_precision,
  which GDAL reads as coded field domains.
- `gpkg_contents.last_change` set to the build date, so nothing in the file depends on the clock.
Metadata text lives in geodata/styles/metadata.toml.
"""

from __future__ import annotations

import colorsys
import csv
import datetime as dt
import os
import sqlite3
import tomllib
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from atlas._errors import LayerError
from atlas.schema import FIELDS, PRECISION, STATUSES, THEMES
from atlas.settings import GEODATA_DIR

STYLES_DIR = GEODATA_DIR / "styles"
METADATA_TOML = STYLES_DIR / "metadata.toml"
LINE_CLASSES_CSV = STYLES_DIR / "line_classes.csv"
COARSE_PRECISION = 4  # codes >= this are drawn dashed/hatched: never shown as a precise location
DEFAULT_LINE_WIDTH_MM = 0.7
QGIS_VERSION = "3.22.16-Białowieża"  # the QML dialect written (read by QGIS 3.22 and later)
STYLE_NAME = "atlas default"
_MARKERS = ("circle", "square", "triangle", "diamond", "pentagon", "star", "hexagon", "cross_fill")
_SHADES = (0.0, -0.28, 0.28, -0.45, 0.45, -0.14, 0.14, -0.6)  # lightness shifts per subtype
_MM_TO_PX = 3.7795  # SLD sizes are in pixels at 96 dpi
_GEOM_TYPE_CODE = {"point": "0", "line": "1", "zone": "2"}


# --------------------------------------------------------------------------- metadata


@lru_cache(maxsize=4)
def load_metadata(path: Path = METADATA_TOML) -> dict:
    """Title, description, sources, licence, version and label font from the metadata TOML."""
    try:
        with open(path, "rb") as f:
            meta = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"cannot read layer metadata {path}: {exc}"
        raise LayerError(msg) from exc
    missing = [k for k in ("title", "description", "sources", "licence", "version") if k not in meta]
    if missing:
        msg = f"{path} lacks {', '.join(missing)}"
        raise LayerError(msg)
    return meta


def default_build_date() -> str:
    """YYYY-MM-DD from $SOURCE_DATE_EPOCH when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.date().isoformat()


def layer_description(theme: str, layer_name: str, meta: dict) -> str:
    _, en, zh, _ = THEMES[theme]
    return f"{zh} {en} — {layer_name}. {meta['description']}"


DUBLIN_CORE_URI = "http://purl.org/dc/elements/1.1/"


def dataset_metadata_xml(meta: dict, build_date: str) -> str:
    """Package metadata as a Dublin Core record (title, description, sources, licence, date, version).

    Stored in gpkg_metadata with scope dataset. Not in GDAL's own metadata dialect: GDAL >= 3.12
    writes a `.aux.xml` beside a GeoPackage whose dataset metadata is in that dialect each time it
    reads the file, which would litter layers/.
    """
    dc = "http://purl.org/dc/elements/1.1/"
    root = ET.Element("metadata", {"xmlns:dc": dc})
    for tag, value in (
        ("title", meta["title"]),
        ("description", meta["description"]),
        *(("source", src) for src in meta["sources"]),
        ("rights", meta["licence"]),
        ("date", build_date),
        ("identifier", f"ne-atlas {meta['version']}"),
    ):
        ET.SubElement(root, f"dc:{tag}").text = value
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="unicode")


def layer_metadata(theme: str, layer_name: str, meta: dict, build_date: str) -> dict[str, str]:
    """Layer-level metadata (gpkg_metadata + gpkg_metadata_reference for the table)."""
    _, en, zh, colour = THEMES[theme]
    return {
        "TITLE": f"{zh} {en} ({layer_name})",
        "THEME": theme,
        "COLOUR": colour,
        "LICENCE": meta["licence"],
        "VERSION": str(meta["version"]),
        "BUILD_DATE": build_date,
    }


# --------------------------------------------------------------------------- colours and widths


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def shade(hex_colour: str, amount: float) -> str:
    """The colour made lighter (amount > 0) or darker (< 0) in HLS space; 0 returns it unchanged."""
    if amount == 0:
        return hex_colour.lower()
    r, g, b = (c / 255 for c in _rgb(hex_colour))
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = light + (1 - light) * amount if amount > 0 else light * (1 + amount)
    return _hex(tuple(round(c * 255) for c in colorsys.hls_to_rgb(hue, light, sat)))


def subtype_colours(theme: str, subtypes: list[str]) -> dict[str, str]:
    """subtype -> colour: shades of the theme colour in sorted subtype order (first = theme colour)."""
    base = THEMES[theme][3]
    return {st: shade(base, _SHADES[i % len(_SHADES)]) for i, st in enumerate(sorted(set(subtypes)))}


@lru_cache(maxsize=4)
def _line_classes(path: Path = LINE_CLASSES_CSV) -> tuple[tuple[str, float], ...]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["keyword"] and not r["keyword"].startswith("#")]
        return tuple((r["keyword"], float(r["width_mm"])) for r in rows)
    except (OSError, KeyError, ValueError) as exc:
        msg = f"cannot read line classes {path}: {exc}"
        raise LayerError(msg) from exc


def line_width_mm(subtype: str) -> float:
    """Line width for a subtype: the first keyword of line_classes.csv it contains, else the default."""
    for keyword, width in _line_classes():
        if keyword in subtype:
            return width
    return DEFAULT_LINE_WIDTH_MM


# --------------------------------------------------------------------------- QML


def _qrgba(hex_colour: str, alpha: int = 255) -> str:
    return "{},{},{},{}".format(*_rgb(hex_colour), alpha)


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for key in sorted(values):
        ET.SubElement(opt, "Option", type="QString", name=key, value=str(values[key]))


def _empty_dd(parent: ET.Element, tag: str = "data_defined_properties") -> None:
    dd = ET.SubElement(parent, tag)
    opt = ET.SubElement(dd, "Option", type="Map")
    ET.SubElement(opt, "Option", type="QString", name="name", value="")
    ET.SubElement(opt, "Option", name="properties")
    ET.SubElement(opt, "Option", type="QString", name="type", value="collection")


def _symbol_layer_props(kind: str, colour: str, coarse: bool, index: int, width: float) -> tuple[str, dict]:
    dark = shade(colour, -0.35)
    if kind == "point":
        return "SimpleMarker", {
            "name": _MARKERS[index % len(_MARKERS)],
            "color": _qrgba(colour, 60 if coarse else 255),
            "outline_color": _qrgba(dark),
            "outline_style": "dash" if coarse else "solid",
            "outline_width": "0.5" if coarse else "0.3",
            "outline_width_unit": "MM",
            "size": "4.2" if coarse else "3.2",
            "size_unit": "MM",
            "joinstyle": "round",
        }
    if kind == "line":
        return "SimpleLine", {
            "line_color": _qrgba(colour),
            "line_width": f"{width:g}",
            "line_width_unit": "MM",
            "line_style": "dash" if coarse else "solid",
            "capstyle": "round",
            "joinstyle": "round",
        }
    return "SimpleFill", {
        "color": _qrgba(colour, 150 if coarse else 90),
        "style": "b_diagonal" if coarse else "solid",
        "outline_color": _qrgba(dark),
        "outline_style": "dash" if coarse else "solid",
        "outline_width": "0.5",
        "outline_width_unit": "MM",
        "joinstyle": "round",
    }


def _qml_symbol(
    parent: ET.Element, name: str, kind: str, colour: str, coarse: bool, index: int, width: float
) -> None:
    sym_type = {"point": "marker", "line": "line", "zone": "fill"}[kind]
    sym = ET.SubElement(
        parent, "symbol", type=sym_type, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    _empty_dd(sym)
    cls, props = _symbol_layer_props(kind, colour, coarse, index, width)
    layer = ET.SubElement(sym, "layer", attrib={"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    _options(layer, props)
    _empty_dd(layer)


def _quote(value: str) -> str:
    """A QGIS expression string literal."""
    return "'" + value.replace("'", "''") + "'"


def style_rules(theme: str, kind: str, subtypes: list[str]) -> list[dict]:
    """The rules of a layer's style, shared by QML and SLD: subtype x (precise, coarse)."""
    colours = subtype_colours(theme, subtypes)
    rules = []
    for index, subtype in enumerate(sorted(colours)):
        for coarse in (False, True):
            label = subtype or "(no subtype)"
            label += f" (位置粗略 approximate, precision ≥ {COARSE_PRECISION})" if coarse else ""
            rules.append(
                {
                    "subtype": subtype,
                    "coarse": coarse,
                    "colour": colours[subtype],
                    "index": index,
                    "width": line_width_mm(subtype),
                    "label": label,
                }
            )
    base = THEMES[theme][3]
    rules.append(
        {
            "subtype": None,
            "coarse": False,
            "colour": base,
            "index": 0,
            "width": DEFAULT_LINE_WIDTH_MM,
            "label": "其他 other",
        }
    )
    return rules


def _rule_filter(rule: dict) -> str:
    if rule["subtype"] is None:
        return "ELSE"
    op = ">=" if rule["coarse"] else "<"
    return f'"subtype" = {_quote(rule["subtype"])} AND "geom_precision" {op} {COARSE_PRECISION}'


def _alias(name: str, en: str, zh: str) -> str:
    return f"{zh} {en}"


def _value_maps(theme: str, subtypes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """field -> [(description, code)] for QGIS ValueMap widgets (same codes as the domains)."""
    return {
        "theme": [(f"{zh} {en}", key) for key, (_, en, zh, _) in THEMES.items()],
        "subtype": [(st, st) for st in sorted(set(subtypes))],
        "status_2010": [(s or "(none)", s) for s in STATUSES],
        "geom_precision": [(f"{code} {zh} {en}", str(code)) for code, (en, zh) in PRECISION.items()],
    }


def build_qml(theme: str, kind: str, subtypes: list[str], font: str = "Noto Sans CJK SC") -> str:
    """The QML document of a layer's default style."""
    root = ET.Element(
        "qgis",
        version=QGIS_VERSION,
        styleCategories="AllStyleCategories",
        labelsEnabled="1",
        hasScaleBasedVisibilityFlag="0",
        minScale="100000000",
        maxScale="0",
    )
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="RuleRenderer",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    rules_el = ET.SubElement(renderer, "rules", key=f"{{{theme}-{kind}-root}}")
    symbols_el = ET.SubElement(renderer, "symbols")
    for i, rule in enumerate(style_rules(theme, kind, subtypes)):
        ET.SubElement(
            rules_el,
            "rule",
            key=f"{{{theme}-{kind}-{i}}}",
            filter=_rule_filter(rule),
            symbol=str(i),
            label=rule["label"],
        )
        _qml_symbol(symbols_el, str(i), kind, rule["colour"], rule["coarse"], rule["index"], rule["width"])

    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text_style = ET.SubElement(
        settings,
        "text-style",
        fieldName="name_zh",
        isExpression="0",
        fontFamily=font,
        fontSize="8",
        fontSizeUnit="Point",
        fontWeight="50",
        textColor=_qrgba(shade(THEMES[theme][3], -0.5)),
        textOpacity="1",
        namedStyle="Regular",
        allowHtml="0",
        multilineHeight="1",
    )
    ET.SubElement(text_style, "families")
    ET.SubElement(
        text_style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.85",
        bufferNoFill="1",
        bufferJoinStyle="128",
    )
    ET.SubElement(settings, "text-format", wrapChar="", autoWrapLength="12", multilineAlign="3")
    placement = {"point": "6", "line": "3", "zone": "4"}[kind]  # around point / curved / horizontal
    ET.SubElement(
        settings,
        "placement",
        placement=placement,
        dist="1",
        distUnits="MM",
        placementFlags="10",
        priority="5",
        repeatDistance="0",
        centroidInside="1",
    )
    ET.SubElement(
        settings,
        "rendering",
        obstacle="1",
        displayAll="0",
        mergeLines="1",
        labelPerPart="0",
        scaleVisibility="0",
        drawLabels="1",
        limitNumLabels="0",
    )
    _empty_dd(settings, "dd_properties")

    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "legend", type="default-vector", showLabelLegend="0")

    value_maps = _value_maps(theme, subtypes)
    field_config = ET.SubElement(root, "fieldConfiguration")
    for name, *_ in FIELDS:
        field_el = ET.SubElement(field_config, "field", name=name, configurationFlags="None")
        widget = ET.SubElement(field_el, "editWidget", type="ValueMap" if name in value_maps else "TextEdit")
        config = ET.SubElement(widget, "config")
        opt = ET.SubElement(config, "Option", type="Map")
        if name in value_maps:
            lst = ET.SubElement(opt, "Option", type="List", name="map")
            for desc, code in value_maps[name]:
                item = ET.SubElement(lst, "Option", type="Map")
                ET.SubElement(item, "Option", type="QString", name=desc, value=code)
        else:
            ET.SubElement(opt, "Option", type="bool", name="IsMultiline", value="false")
            ET.SubElement(opt, "Option", type="bool", name="UseHtml", value="false")
    aliases = ET.SubElement(root, "aliases")
    for index, (name, _, en, zh) in enumerate(FIELDS, start=1):  # index 0 is the GeoPackage fid
        ET.SubElement(aliases, "alias", field=name, index=str(index), name=_alias(name, en, zh))
    ET.SubElement(root, "previewExpression").text = '"name_zh"'
    ET.SubElement(root, "mapTip").text = (
        '[% "name_zh" %] [% "name_en" %]<br>[% "subtype" %] · [% "provinces" %]<br>'
        '精度 precision [% "geom_precision" %] · [% "source_section" %]'
    )
    ET.SubElement(root, "layerGeometryType").text = _GEOM_TYPE_CODE[kind]
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


# --------------------------------------------------------------------------- SLD

_NS = {
    "": "http://www.opengis.net/sld",
    "se": "http://www.opengis.net/se",
    "ogc": "http://www.opengis.net/ogc",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, tag: str) -> str:
    return f"{{{_NS[prefix]}}}{tag}"


def _svg(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, _q("se", "SvgParameter"), name=name).text = value


def _sld_filter(parent: ET.Element, rule: dict) -> None:
    filt = ET.SubElement(parent, _q("ogc", "Filter"))
    both = ET.SubElement(filt, _q("ogc", "And"))
    eq = ET.SubElement(both, _q("ogc", "PropertyIsEqualTo"))
    ET.SubElement(eq, _q("ogc", "PropertyName")).text = "subtype"
    ET.SubElement(eq, _q("ogc", "Literal")).text = rule["subtype"]
    cmp_tag = "PropertyIsGreaterThanOrEqualTo" if rule["coarse"] else "PropertyIsLessThan"
    cmp = ET.SubElement(both, _q("ogc", cmp_tag))
    ET.SubElement(cmp, _q("ogc", "PropertyName")).text = "geom_precision"
    ET.SubElement(cmp, _q("ogc", "Literal")).text = str(COARSE_PRECISION)


def _sld_stroke(parent: ET.Element, colour: str, width_mm: float, dashed: bool) -> None:
    stroke = ET.SubElement(parent, _q("se", "Stroke"))
    _svg(stroke, "stroke", colour)
    _svg(stroke, "stroke-width", f"{width_mm * _MM_TO_PX:.1f}")
    _svg(stroke, "stroke-linejoin", "round")
    _svg(stroke, "stroke-linecap", "round")
    if dashed:
        _svg(stroke, "stroke-dasharray", "7 3")


def _sld_symbolizer(rule_el: ET.Element, kind: str, rule: dict) -> None:
    colour, coarse, dark = rule["colour"], rule["coarse"], shade(rule["colour"], -0.35)
    if kind == "point":
        sym = ET.SubElement(rule_el, _q("se", "PointSymbolizer"))
        graphic = ET.SubElement(sym, _q("se", "Graphic"))
        mark = ET.SubElement(graphic, _q("se", "Mark"))
        name = _MARKERS[rule["index"] % len(_MARKERS)]
        well_known = name if name in ("circle", "square", "triangle", "star", "cross") else "circle"
        ET.SubElement(mark, _q("se", "WellKnownName")).text = well_known
        fill = ET.SubElement(mark, _q("se", "Fill"))
        _svg(fill, "fill", colour)
        _svg(fill, "fill-opacity", "0.25" if coarse else "1")
        _sld_stroke(mark, dark, 0.5 if coarse else 0.3, coarse)
        ET.SubElement(graphic, _q("se", "Size")).text = f"{(4.2 if coarse else 3.2) * _MM_TO_PX:.0f}"
    elif kind == "line":
        sym = ET.SubElement(rule_el, _q("se", "LineSymbolizer"))
        _sld_stroke(sym, colour, rule["width"], coarse)
    else:
        sym = ET.SubElement(rule_el, _q("se", "PolygonSymbolizer"))
        fill = ET.SubElement(sym, _q("se", "Fill"))
        _svg(fill, "fill", colour)
        _svg(fill, "fill-opacity", "0.2" if coarse else "0.35")
        _sld_stroke(sym, dark, 0.5, coarse)


def build_sld(
    theme: str, layer_name: str, kind: str, subtypes: list[str], font: str = "Noto Sans CJK SC"
) -> str:
    """The SLD 1.1 document of a layer's default style (same rules as the QML)."""
    root = ET.Element(
        _q("", "StyledLayerDescriptor"),
        version="1.1.0",
        attrib={
            _q(
                "xsi", "schemaLocation"
            ): "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
        },
    )
    named = ET.SubElement(root, _q("", "NamedLayer"))
    ET.SubElement(named, _q("se", "Name")).text = layer_name
    user = ET.SubElement(named, _q("", "UserStyle"))
    ET.SubElement(user, _q("se", "Name")).text = STYLE_NAME
    fts = ET.SubElement(user, _q("se", "FeatureTypeStyle"))
    for rule in style_rules(theme, kind, subtypes):
        rule_el = ET.SubElement(fts, _q("se", "Rule"))
        ET.SubElement(rule_el, _q("se", "Name")).text = rule["label"]
        if rule["subtype"] is None:
            ET.SubElement(rule_el, _q("se", "ElseFilter"))
        else:
            _sld_filter(rule_el, rule)
        _sld_symbolizer(rule_el, kind, rule)
    label_rule = ET.SubElement(fts, _q("se", "Rule"))
    text = ET.SubElement(label_rule, _q("se", "TextSymbolizer"))
    label = ET.SubElement(text, _q("se", "Label"))
    ET.SubElement(label, _q("ogc", "PropertyName")).text = "name_zh"
    font_el = ET.SubElement(text, _q("se", "Font"))
    _svg(font_el, "font-family", font)
    _svg(font_el, "font-size", "11")
    halo = ET.SubElement(text, _q("se", "Halo"))
    ET.SubElement(halo, _q("se", "Radius")).text = "2"
    halo_fill = ET.SubElement(halo, _q("se", "Fill"))
    _svg(halo_fill, "fill", "#ffffff")
    fill = ET.SubElement(text, _q("se", "Fill"))
    _svg(fill, "fill", shade(THEMES[theme][3], -0.5))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------------- GeoPackage tables

_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
 "f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256),
 "f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT,
 "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30),
 "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""
_DATA_COLUMNS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
 name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
 CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
 CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""
_CONSTRAINTS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL,
 constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC,
 max_is_inclusive BOOLEAN, description TEXT,
 CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))
"""
_EXTENSIONS_DDL = """
CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,
 extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
 CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))
"""
_SCHEMA_EXT = "http://www.geopackage.org/spec120/#extension_schema"


def domains(theme: str, subtypes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Domain name -> [(code, description)]: the coded values of theme, subtype, status, precision."""
    return {
        "theme_codes": [(key, f"{zh} {en}") for key, (_, en, zh, _) in THEMES.items()],
        f"{theme}_subtype_codes": [(st, st) for st in sorted(set(subtypes)) if st],
        "status_2010_codes": [(s, s) for s in STATUSES if s],
        "geom_precision_codes": [(str(code), f"{zh} {en}") for code, (en, zh) in PRECISION.items()],
    }


def _domain_of_field(theme: str) -> dict[str, str]:
    return {
        "theme": "theme_codes",
        "subtype": f"{theme}_subtype_codes",
        "status_2010": "status_2010_codes",
        "geom_precision": "geom_precision_codes",
    }


def enrich_geopackage(path: Path, theme: str, layers: dict, build_date: str) -> None:
    """Add styles, domains, aliases and fixed dates to a freshly written theme GeoPackage.

    `layers` maps layer name -> its GeoDataFrame (for the subtypes each style lists). Idempotent
    per layer, so several themes can be added to one file (exports): a layer's earlier style and
    column rows are replaced, domains shared by themes are kept once.
    """
    meta = load_metadata()
    font = meta.get("label_font", "Noto Sans CJK SC")
    stamp = f"{build_date}T00:00:00.000Z"
    subtypes_all = sorted({st for part in layers.values() for st in part["subtype"]})
    con = sqlite3.connect(path)
    try:
        with con:
            geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
            con.execute(_LAYER_STYLES_DDL)
            for layer_name, part in layers.items():
                kind = layer_name.rsplit("_", 1)[1]
                subtypes = sorted(set(part["subtype"]))
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer_name,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
                    " f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description,"
                    " owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL, ?)",
                    (
                        layer_name,
                        geom_cols[layer_name],
                        STYLE_NAME,
                        build_qml(theme, kind, subtypes, font),
                        build_sld(theme, layer_name, kind, subtypes, font),
                        f"Default style of {layer_name}: {THEMES[theme][2]} by subtype; dashed/hatched "
                        f"where geom_precision >= {COARSE_PRECISION}",
                        stamp,
                    ),
                )
            con.execute(
                "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description,"
                " last_change) VALUES ('layer_styles', 'attributes', 'layer_styles',"
                " 'QGIS layer styles (QML and SLD)', ?)",
                (stamp,),
            )
            has_ogr_contents = con.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'"
            ).fetchone()
            if has_ogr_contents:
                con.execute(
                    "INSERT OR REPLACE INTO gpkg_ogr_contents (table_name, feature_count)"
                    " VALUES ('layer_styles', (SELECT count(*) FROM layer_styles))"
                )

            con.execute(_DATA_COLUMNS_DDL)
            con.execute(_CONSTRAINTS_DDL)
            con.execute(_EXTENSIONS_DDL)
            for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
                # (NULLs never collide in a UNIQUE constraint, so check before inserting.)
                con.execute(
                    "INSERT INTO gpkg_extensions SELECT ?, NULL, 'gpkg_schema', ?, 'read-write'"
                    " WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ?"
                    " AND extension_name = 'gpkg_schema')",
                    (table, _SCHEMA_EXT, table),
                )
            for domain, values in domains(theme, subtypes_all).items():
                con.executemany(
                    "INSERT OR IGNORE INTO gpkg_data_column_constraints (constraint_name, constraint_type,"
                    " value, description) VALUES (?, 'enum', ?, ?)",
                    [(domain, code, desc) for code, desc in values],
                )
            present = {name for name, values in domains(theme, subtypes_all).items() if values}
            field_domains = {f: d for f, d in _domain_of_field(theme).items() if d in present}
            for layer_name in layers:
                con.executemany(
                    "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title,"
                    " description, constraint_name) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (layer_name, name, en, zh, f"{zh} / {en}", field_domains.get(name))
                        for name, _, en, zh in FIELDS
                    ],
                )
            con.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
            # GDAL created gpkg_metadata(_reference) for the layer metadata written with the layers.
            has_dc = con.execute(
                "SELECT 1 FROM gpkg_metadata WHERE md_standard_uri = ?", (DUBLIN_CORE_URI,)
            ).fetchone()
            if not has_dc:
                cur = con.execute(
                    "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata)"
                    " VALUES ('dataset', ?, 'text/xml', ?)",
                    (DUBLIN_CORE_URI, dataset_metadata_xml(meta, build_date)),
                )
                con.execute(
                    "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name,"
                    " row_id_value, timestamp, md_file_id, md_parent_id)"
                    " VALUES ('geopackage', NULL, NULL, NULL, ?, ?, NULL)",
                    (stamp, cur.lastrowid),
                )
            con.execute("UPDATE gpkg_metadata_reference SET timestamp = ?", (stamp,))
    finally:
        con.close()


# --------------------------------------------------------------------------- QGIS project

_QGIS_GEOM = {
    "point": ("Point", "MultiPoint"),
    "line": ("Line", "MultiLineString"),
    "zone": ("Polygon", "MultiPolygon"),
}


def _crs_element(parent: ET.Element, tag: str, authid: str, wkt: str) -> None:
    holder = ET.SubElement(parent, tag)
    srs = ET.SubElement(holder, "spatialrefsys")
    ET.SubElement(srs, "wkt").text = wkt
    ET.SubElement(srs, "authid").text = authid
    ET.SubElement(srs, "description").text = "WGS 84"
    ET.SubElement(srs, "geographicflag").text = "true"


def build_project_xml(layer_entries: list[dict], title: str, wkt_4326: str) -> str:
    """A QGIS project (.qgs XML) opening every layer, grouped by theme, with relative paths.

    `layer_entries`: dicts with file (name of the GeoPackage in the same folder), layer, theme,
    kind, geometry_type (OGR name) and qml (the layer's default style) in display order.
    """
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    _crs_element(root, "projectCrs", "EPSG:4326", wkt_4326)
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    groups: dict[str, ET.Element] = {}
    order = ET.SubElement(root, "layerorder")
    project_layers = ET.SubElement(root, "projectlayers")
    for entry in layer_entries:
        theme, kind, layer = entry["theme"], entry["kind"], entry["layer"]
        _, en, zh, _ = THEMES[theme]
        if theme not in groups:
            groups[theme] = ET.SubElement(
                tree, "layer-tree-group", name=f"{zh} {en}", checked="Qt::Checked", expanded="1"
            )
            ET.SubElement(groups[theme], "customproperties")
        source = f"./{entry['file']}|layername={layer}"
        layer_id = f"{layer}_atlas"
        node = ET.SubElement(
            groups[theme],
            "layer-tree-layer",
            id=layer_id,
            name=f"{zh} {layer}",
            source=source,
            providerKey="ogr",
            checked="Qt::Checked",
            expanded="0",
        )
        ET.SubElement(node, "customproperties")
        ET.SubElement(order, "layer", id=layer_id)
        geometry, _ = _QGIS_GEOM[kind]
        maplayer = ET.SubElement(
            project_layers,
            "maplayer",
            type="vector",
            geometry=geometry,
            wkbType=entry["geometry_type"],
            autoRefreshEnabled="0",
            refreshOnNotifyEnabled="0",
            styleCategories="AllStyleCategories",
            labelsEnabled="1",
        )
        ET.SubElement(maplayer, "id").text = layer_id
        ET.SubElement(maplayer, "datasource").text = source
        ET.SubElement(maplayer, "layername").text = f"{zh} {layer}"
        _crs_element(maplayer, "srs", "EPSG:4326", wkt_4326)
        ET.SubElement(maplayer, "provider", encoding="UTF-8").text = "ogr"
        style = ET.fromstring(entry["qml"].split("\n", 1)[1])
        for child in style:
            maplayer.append(child)
    # Draw points over lines over zones, whatever the theme order of the groups.
    custom = ET.SubElement(tree, "custom-order", enabled="1")
    for kind in ("point", "line", "zone"):
        for entry in layer_entries:
            if entry["kind"] == kind:
                ET.SubElement(custom, "item").text = f"{entry['layer']}_atlas"
    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )
