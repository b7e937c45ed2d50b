"""`atlas build | report | geocode | export | snapshot` — the command line. Domain errors become a
one-line message on stderr and exit code 1 here, and only here."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from atlas._errors import AtlasError
from atlas.settings import GEODATA_DIR, LAYERS_DIR, SOURCES_DIR, STORAGE_CRS


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as exc:
        print(f"atlas {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atlas", description="Northeast China Project Atlas")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="documents -> layers/*.gpkg (+ unresolved.csv)")
    build.add_argument("--sources", type=Path, default=SOURCES_DIR, help="folder of plan documents (.txt, .md)")
    build.add_argument("--out", type=Path, default=LAYERS_DIR, help="folder for the GeoPackages")
    build.add_argument("--geodata", type=Path, default=GEODATA_DIR, help=argparse.SUPPRESS)
    build.set_defaults(func=_build)

    report = sub.add_parser("report", help="per box and theme: items found, located, unresolved, ambiguous")
    report.add_argument("--sources", type=Path, default=SOURCES_DIR)
    report.add_argument("--geodata", type=Path, default=GEODATA_DIR, help=argparse.SUPPRESS)
    report.set_defaults(func=_report)

    geocode = sub.add_parser("geocode", help='what the geocoder makes of a text, e.g. "哈尔滨-牡丹江—绥芬河"')
    geocode.add_argument("text")
    geocode.add_argument("--kind", choices=("auto", "point", "line", "zone"), default="auto")
    geocode.add_argument("--province", action="append", default=[], help="province hint, e.g. 吉林")
    geocode.add_argument("--geodata", type=Path, default=GEODATA_DIR, help=argparse.SUPPRESS)
    geocode.set_defaults(func=_geocode)

    for name, helptext in (("export", "filtered features -> gpkg|geojson|kml|shp|csv"),
                           ("snapshot", "filtered map -> print-quality PNG or PDF")):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("--out", type=Path, required=True)
        cmd.add_argument("--layers", type=Path, default=LAYERS_DIR)
        _add_filters(cmd)
        if name == "export":
            cmd.add_argument("--format", default=None, help="gpkg, geojson, kml, shp or csv (default: from --out)")
            cmd.add_argument("--crs", default=STORAGE_CRS, help="EPSG:4326 (default) or EPSG:4490 (CGCS2000)")
            cmd.add_argument("--allow-empty", action="store_true", help="write an empty layer when nothing matches")
            cmd.set_defaults(func=_export)
        else:
            cmd.add_argument("--title", default=None)
            cmd.add_argument("--lang", choices=("zh", "en"), default="zh")
            cmd.set_defaults(func=_snapshot)
    return parser


def _add_filters(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--theme", action="append", default=[], help="repeatable, e.g. --theme railway")
    cmd.add_argument("--province", action="append", default=[], help="repeatable: 吉林, 吉林省 or Jilin")
    cmd.add_argument("--subtype", action="append", default=[])
    cmd.add_argument("--status", action="append", default=[])
    cmd.add_argument("--precision", action="append", default=[], type=int)
    cmd.add_argument("--name", default="", help="text search over names and source text")


def _filtered(args):
    from atlas.filters import filter_features
    from atlas.layers import read_layers

    gdf = read_layers(args.layers)
    return filter_features(gdf, provinces=args.province, themes=args.theme, subtypes=args.subtype,
                           statuses=args.status, precisions=args.precision, text=args.name)


def _build(args) -> int:
    from atlas.pipeline import run

    result = run(args.sources, args.out, args.geodata)
    counts = result.counts_by_theme()
    print(f"{len(result.projects)} projects, {sum(counts.values())} located, {len(result.unresolved)} unresolved "
          f"-> {args.out}", file=sys.stderr)
    for theme, n in sorted(counts.items()):
        print(f"  {theme:15} {n}", file=sys.stderr)
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items())
    print(f"  time: {timing}", file=sys.stderr)
    return 0


def _report(args) -> int:
    from atlas.pipeline import run

    result = run(args.sources, None, args.geodata)
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    ambiguous: list[str] = []
    for loc in result.located:
        p = loc.project
        box = next((part for part in p.source.section.split("/") if part.startswith("专栏")), "running text")
        for key in ((p.source.doc_id[:24], box), ("theme", p.theme)):
            rows[key]["found"] += 1
            rows[key]["located" if loc.geometry is not None else "unresolved"] += 1
        if " over " in loc.match:
            ambiguous.append(f"{p.id} {p.name_zh}: {loc.match}")
    print(f"{'group':48} {'found':>6} {'located':>8} {'unresolved':>11}")
    for (group, name), c in sorted(rows.items()):
        print(f"{group + ' ' + name:48} {c['found']:6} {c['located']:8} {c['unresolved']:11}")
    print(f"\nunresolved ({len(result.unresolved)}):")
    for loc in result.unresolved:
        print(f"  {loc.project.id} {loc.project.name_zh} [{loc.project.source.section}]: {'; '.join(loc.unresolved)}")
    print(f"\nambiguous places, resolved by region and hints ({len(ambiguous)}):")
    for line in ambiguous:
        print(f"  {line}")
    return 0


def _geocode(args) -> int:
    from atlas.extract import parse_item_text
    from atlas.gazetteer import load_gazetteer
    from atlas.geocode import geocode_places
    from atlas.lexicon import build_lexicon

    places, kind = parse_item_text(args.text, build_lexicon(args.geodata))
    kind = kind if args.kind == "auto" else args.kind
    located = geocode_places(places, kind, load_gazetteer(args.geodata), tuple(args.province))
    print(f"places:    {' | '.join(places) or '-'}")
    print(f"kind:      {kind}")
    if located.geometry is None:
        print(f"unresolved: {'; '.join(located.unresolved)}")
        return 1
    print(f"geometry:  {located.geometry.wkt[:300]}")
    print(f"precision: {located.precision}")
    print(f"provinces: {';'.join(located.provinces)}")
    print(f"matched:   {located.match}")
    return 0


def _export(args) -> int:
    from atlas.export import export_features

    suffix_formats = {"zip": "shp", "json": "geojson"}
    suffix = args.out.suffix.lstrip(".").lower()
    fmt = args.format or suffix_formats.get(suffix, suffix)
    gdf = _filtered(args)
    export_features(gdf, args.out, fmt, args.crs, allow_empty=args.allow_empty)
    print(f"{len(gdf)} features -> {args.out}", file=sys.stderr)
    return 0


def _snapshot(args) -> int:
    import os

    from atlas.snapshot import render_snapshot

    gdf = _filtered(args)
    chosen = {k: v for k in ("theme", "province", "subtype", "status", "precision", "name")
              if (v := getattr(args, k))}
    caption = "; ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in chosen.items())
    data = render_snapshot(gdf, args.out.suffix.lstrip(".").lower(), args.lang, filters_caption=caption,
                           title=args.title, data_version=_layers_version(args.layers))
    tmp = args.out.with_name(f".{args.out.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, args.out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AtlasError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{len(gdf)} features -> {args.out}", file=sys.stderr)
    return 0


def _layers_version(layers_dir: Path) -> str:
    """The build date of the layers (newest GeoPackage's modification day), for captions."""
    import datetime as dt

    stamps = [p.stat().st_mtime for p in Path(layers_dir).glob("*.gpkg")]
    return dt.datetime.fromtimestamp(max(stamps), dt.UTC).strftime("%Y-%m-%d") if stamps else ""
