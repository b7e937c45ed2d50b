"""Build benchmark: documents -> layers, wall time and peak memory per stage.

    .venv/bin/python bench/bench_build.py [--runs N] [--sources DIR]

Prints, for the stages sources, extract, geocode and write:
  - wall time, median over N runs of atlas.pipeline.run (its own BuildResult.seconds), into a
    fresh temporary layers folder each run;
  - peak memory of one extra, instrumented run that calls the same stage functions in the same
    order: Python allocations (tracemalloc peak within the stage) and the process's peak RSS
    within the stage (VmHWM, reset before each stage through /proc/self/clear_refs; where the
    kernel refuses the reset, the ru_maxrss high-water mark so far is shown instead);
  - the cold command `python -m atlas build` in a subprocess (imports included), median over N.
Goal (issue 6): the whole build under 10 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import machine, peak_rss_reset, rss_mb

from atlas import pipeline
from atlas.extract import extract_projects, load_curation, load_rules
from atlas.gazetteer import load_gazetteer
from atlas.layers import features_from_located, write_layers, write_unresolved_csv
from atlas.lexicon import build_lexicon
from atlas.settings import GEODATA_DIR, SOURCES_DIR
from atlas.sources import load_documents

STAGES = ("sources", "extract", "geocode", "write")
GOAL_SECONDS = 10.0


def timed_runs(sources: Path, runs: int) -> tuple[list[dict[str, float]], list[float], int]:
    """Per-run stage seconds and total wall seconds of pipeline.run; and the feature count."""
    stage_runs, totals, n_features = [], [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = pipeline.run(sources, Path(tmp) / "layers")
            totals.append(time.perf_counter() - t0)
        stage_runs.append(result.seconds)
        n_features = sum(result.counts_by_theme().values())
    return stage_runs, totals, n_features


def memory_run(sources: Path) -> dict[str, tuple[float, float]]:
    """stage -> (tracemalloc peak MiB, peak RSS MiB) for one instrumented build (same stages,
    same order as pipeline.run)."""
    out: dict[str, tuple[float, float]] = {}
    can_reset = peak_rss_reset()
    state: dict = {}

    def stage(name, fn):
        if can_reset:
            peak_rss_reset()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        rss = rss_mb("self", "VmHWM") if can_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out[name] = (peak / 2**20, rss)

    def extract():
        lexicon = build_lexicon(GEODATA_DIR)
        rules = load_rules(GEODATA_DIR / "extraction_rules.toml")
        curation = load_curation(GEODATA_DIR / "curation.toml")
        state["projects"] = extract_projects(state["sources"], lexicon, rules, curation)

    def geocode():
        gazetteer = load_gazetteer(GEODATA_DIR)
        state["located"] = pipeline.locate(state["projects"], gazetteer)

    with tempfile.TemporaryDirectory() as tmp:
        def write():
            gdf = features_from_located(state["located"])
            write_layers(gdf, Path(tmp))
            write_unresolved_csv(state["located"], Path(tmp))

        tracemalloc.start()
        stage("sources", lambda: state.__setitem__("sources", load_documents(sources)))
        stage("extract", extract)
        stage("geocode", geocode)
        stage("write", write)
        tracemalloc.stop()
    out["_reset"] = (float(can_reset), 0.0)
    return out


def cold_runs(sources: Path, runs: int) -> list[float]:
    """Wall seconds of `python -m atlas build` in a fresh interpreter (imports included)."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "atlas", "build", "--sources", str(sources), "--out", tmp],
                           check=True, capture_output=True, cwd=Path(__file__).resolve().parent.parent)
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sources", type=Path, default=SOURCES_DIR)
    args = ap.parse_args()

    print(f"machine: {machine()}")
    print(f"sources: {args.sources}  runs: {args.runs} (median)")
    pipeline.run(args.sources, None)  # warm-up: imports and file caches, not timed
    stage_runs, totals, n_features = timed_runs(args.sources, args.runs)
    memory = memory_run(args.sources)
    cold = cold_runs(args.sources, args.runs)

    reset_ok = bool(memory.pop("_reset")[0])
    rss_label = "peak RSS in stage" if reset_ok else "ru_maxrss so far"
    print(f"\n{'stage':10} {'median s':>9} {'min s':>7} {'max s':>7} {'py peak MiB':>12} {rss_label + ' MiB':>22}")
    for name in STAGES:
        values = [r.get(name, float('nan')) for r in stage_runs]
        py_peak, rss = memory[name]
        print(f"{name:10} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f} "
              f"{py_peak:12.1f} {rss:22.0f}")
    stage_sum = [sum(r.values()) for r in stage_runs]
    print(f"{'stages sum':10} {statistics.median(stage_sum):9.2f} {min(stage_sum):7.2f} {max(stage_sum):7.2f}")
    print(f"{'run()':10} {statistics.median(totals):9.2f} {min(totals):7.2f} {max(totals):7.2f}   "
          f"(in-process pipeline.run, {n_features} features)")
    print(f"{'cold CLI':10} {statistics.median(cold):9.2f} {min(cold):7.2f} {max(cold):7.2f}   "
          f"(python -m atlas build, imports included)")
    print(f"process ru_maxrss after all runs: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    worst = max(statistics.median(cold), statistics.median(totals))
    verdict = "meets" if worst < GOAL_SECONDS else "MISSES"
    print(f"goal: whole build < {GOAL_SECONDS:.0f} s -> {verdict} ({worst:.2f} s, the slower of run() and cold CLI)")


if __name__ == "__main__":
    main()
