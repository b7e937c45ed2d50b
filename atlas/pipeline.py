"""Chain the stages: documents -> projects -> located features -> layers. The only place that
times the stages; the CLI and the benchmarks call it."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from atlas.extract import extract_projects, load_curation, load_rules
from atlas.gazetteer import Gazetteer, load_gazetteer
from atlas.geocode import geocode_project
from atlas.layers import features_from_located, write_layers, write_unresolved_csv
from atlas.lexicon import build_lexicon
from atlas.models import Located, Project
from atlas.settings import GEODATA_DIR
from atlas.sources import load_documents


@dataclass
class BuildResult:
    projects: list[Project]
    located: list[Located]
    written: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    @property
    def unresolved(self) -> list[Located]:
        return [loc for loc in self.located if loc.geometry is None]

    def counts_by_theme(self) -> Counter:
        return Counter(loc.project.theme for loc in self.located if loc.geometry is not None)


def extract_from(sources_dir: Path, geodata_dir: Path = GEODATA_DIR, seconds: dict | None = None) -> list[Project]:
    """Read and repair the documents of `sources_dir` and extract their projects."""
    seconds = seconds if seconds is not None else {}
    t0 = time.perf_counter()
    sources = load_documents(sources_dir)
    seconds["sources"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lexicon = build_lexicon(geodata_dir)
    rules = load_rules(geodata_dir / "extraction_rules.toml")
    curation = load_curation(geodata_dir / "curation.toml")
    projects = extract_projects(sources, lexicon, rules, curation)
    seconds["extract"] = time.perf_counter() - t0
    return projects


def locate(projects: list[Project], gazetteer: Gazetteer) -> list[Located]:
    return [geocode_project(p, gazetteer) for p in projects]


def run(sources_dir: Path, out_dir: Path | None, geodata_dir: Path = GEODATA_DIR) -> BuildResult:
    """Extract and geocode every project; write the layers when `out_dir` is given.

    Writes are atomic per file (atlas.layers): a failure leaves the previous layers intact.
    """
    seconds: dict[str, float] = {}
    projects = extract_from(Path(sources_dir), Path(geodata_dir), seconds)
    t0 = time.perf_counter()
    gazetteer = load_gazetteer(Path(geodata_dir))
    located = locate(projects, gazetteer)
    seconds["geocode"] = time.perf_counter() - t0
    result = BuildResult(projects, located, seconds=seconds)
    if out_dir is not None:
        t0 = time.perf_counter()
        gdf = features_from_located(located)
        result.written = write_layers(gdf, Path(out_dir))
        result.written.append(write_unresolved_csv(located, Path(out_dir)))
        seconds["write"] = time.perf_counter() - t0
    return result
