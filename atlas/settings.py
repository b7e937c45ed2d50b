"""Documented defaults: where inputs and outputs live, and the CRS of stored layers."""

from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
GEODATA_DIR = REPO_DIR / "geodata"
SOURCES_DIR = GEODATA_DIR / "sources"
LAYERS_DIR = REPO_DIR / "layers"

STORAGE_CRS = "EPSG:4326"  # WGS 84 in every file we write
GOVERNMENT_CRS = "EPSG:4490"  # CGCS2000, offered on export
