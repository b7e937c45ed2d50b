"""Scale benchmark: synthetic plans 1x, 10x, 100x the size of the real ones.

    .venv/bin/python bench/bench_scale.py [--scales 1 10 100] [--timeout 900] [--profile SCALE]

For each scale, writes `scale` copies of the real documents to a temporary sources folder
(bench/_synthetic.synthetic_sources: copy 0 verbatim, the others with the places of the region
permuted among real places of the same level), runs atlas.pipeline.run into a temporary layers
folder and prints: megabytes of text, projects extracted, features located, build seconds per
stage and in total, and items (projects) per second. Then, for each step, the growth of time
against the growth of the input text and of the items (time ratio / input ratio; 1.0 = linear;
items grow more slowly than text because copies that name the same project merge) and a verdict:
no worse than linear when the total time grows no faster than the text or the items (ratio <= 1.25, a
margin for noise on a shared 2-core machine) and neither does any stage that takes >= 20% of the
larger run per MB of text.
Each scale runs in a fresh interpreter, stopped after --timeout seconds (reported as such).
With --profile SCALE, that scale is run again under cProfile and the 15 functions with the
most own time (file:function) are printed, with the cumulative time of each stage's entry point.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import machine, synthetic_sources

from atlas import pipeline

STAGES = ("sources", "extract", "geocode", "write")
LINEAR_MARGIN = 1.25


def build_at(scale: int, tmp: Path) -> dict:
    src = tmp / f"sources_x{scale}"
    paths = synthetic_sources(src, scale)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    t0 = time.perf_counter()
    result = pipeline.run(src, tmp / f"layers_x{scale}")
    total = time.perf_counter() - t0
    return {"scale": scale, "docs": len(paths), "mb": mb, "projects": len(result.projects),
            "features": sum(result.counts_by_theme().values()), "seconds": dict(result.seconds), "total": total}


def build_in_child(scale: int, tmp: Path, timeout: float) -> dict | None:
    """build_at in a fresh interpreter (warmed up on the real documents first, so imports and
    file caches are not timed); None when it does not finish within `timeout` seconds."""
    cmd = [sys.executable, __file__, "--one", str(scale), "--tmp", str(tmp)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"scale {scale}x failed: {exc.stderr.strip().splitlines()[-1:]}") from None
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile_at(scale: int, tmp: Path, top: int = 15) -> None:
    src = tmp / f"sources_x{scale}"
    if not src.exists():
        synthetic_sources(src, scale)
    prof = cProfile.Profile()
    prof.enable()
    pipeline.run(src, tmp / "layers_profile")
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        rows.append((tt, ct, nc, f"{Path(file).name}:{func} (line {line})", file))
    print(f"\ncProfile at {scale}x — top {top} by own time (tottime):")
    print(f"{'own s':>8} {'cum s':>8} {'calls':>10}  function")
    for tt, ct, nc, label, _ in sorted(rows, reverse=True)[:top]:
        print(f"{tt:8.2f} {ct:8.2f} {nc:10}  {label}")
    print("\nfunctions of the atlas package by cumulative time:")
    atlas_rows = [r for r in rows if "/atlas/" in r[4]]
    for tt, ct, nc, label, _ in sorted(atlas_rows, key=lambda r: -r[1])[:top]:
        print(f"{tt:8.2f} {ct:8.2f} {nc:10}  {label}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--profile", type=int, default=0, metavar="SCALE",
                    help="afterwards, cProfile the build at this scale")
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed per scale (default 900)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode: one scale, JSON out
    ap.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        pipeline.run(Path(__file__).resolve().parent.parent / "geodata" / "sources", None)  # warm-up
        print(json.dumps(build_at(args.one, args.tmp)))
        return

    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"\n{'scale':>5} {'docs':>5} {'MB':>6} {'projects':>9} {'features':>9} "
              + " ".join(f"{s:>8}" for s in STAGES) + f" {'total s':>8} {'items/s':>8}")
        for scale in sorted(args.scales):
            row = build_in_child(scale, tmp, args.timeout)
            if row is None:
                print(f"{scale:>4}x did not finish within {args.timeout:.0f} s (stopped)", flush=True)
                continue
            rows.append(row)
            print(f"{row['scale']:>4}x {row['docs']:5} {row['mb']:6.2f} {row['projects']:9} {row['features']:9} "
                  + " ".join(f"{row['seconds'].get(s, 0):8.2f}" for s in STAGES)
                  + f" {row['total']:8.2f} {row['projects'] / row['total']:8.1f}", flush=True)
        print("\ngrowth of time against growth of input text (MB) and of items (projects);")
        print("ratio = time ratio / input ratio: 1.0 = linear, > 1 = worse than linear")
        worst = 0.0
        for a, b in itertools.pairwise(rows):
            mb_ratio, item_ratio = b["mb"] / a["mb"], b["projects"] / a["projects"]
            time_ratio = b["total"] / a["total"]
            per_stage = []
            for s in STAGES:
                ta, tb = a["seconds"].get(s, 0), b["seconds"].get(s, 0)
                per_stage.append(f"{s} {tb / ta / mb_ratio:.2f}" if ta > 0 else f"{s} -")
            worst = max(worst, min(time_ratio / mb_ratio, time_ratio / item_ratio))
            for s in STAGES:  # a stage that dominates the larger run counts on its own
                ta, tb = a["seconds"].get(s, 0), b["seconds"].get(s, 0)
                if ta > 0 and tb >= 0.2 * b["total"]:
                    worst = max(worst, tb / ta / mb_ratio)
            print(f"  {a['scale']}x -> {b['scale']}x: text x{mb_ratio:.1f}, items x{item_ratio:.1f}, time x{time_ratio:.1f}: "
                  f"per MB {time_ratio / mb_ratio:.2f}, per item {time_ratio / item_ratio:.2f}; "
                  f"per MB by stage: " + ", ".join(per_stage))
        verdict = "no worse than linear" if worst <= LINEAR_MARGIN else "WORSE than linear"
        print(f"verdict: {verdict} (worst ratio {worst:.2f}, margin {LINEAR_MARGIN})")
        if args.profile:
            profile_at(args.profile, tmp)


if __name__ == "__main__":
    main()
