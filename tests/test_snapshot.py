"""atlas.snapshot: PNG/PDF of a selection with a CJK font, legend colours and a clear error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from app_fixtures import fixture_gdf
from matplotlib.ft2font import FT2Font
from PIL import Image

from atlas import snapshot
from atlas.i18n import STRINGS, theme_label
from atlas.schema import THEMES

DPI = 60  # small pages keep the tests fast; the default is snapshot.PRINT_DPI


def _pixels_near(img: np.ndarray, hex_colour: str, tol: int = 12) -> int:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img[..., :3].astype(int) - rgb).max(axis=-1) <= tol).sum())


def test_png_has_page_size_and_draws_the_selected_themes_only():
    gdf = fixture_gdf()
    both = np.asarray(Image.open(io.BytesIO(snapshot.render_snapshot(gdf, "png", dpi=DPI))))
    assert both.shape[:2] == (round(snapshot.PAGE_SIZE[1] * DPI), round(snapshot.PAGE_SIZE[0] * DPI))
    railway, airport = THEMES["railway"][3], THEMES["airport"][3]
    assert _pixels_near(both, railway) > 50 and _pixels_near(both, airport) > 5
    airports = gdf[gdf["theme"] == "airport"]
    only = np.asarray(Image.open(io.BytesIO(snapshot.render_snapshot(airports, "png", dpi=DPI))))
    assert _pixels_near(only, railway) < 5 and _pixels_near(only, airport) > 5


def test_cjk_font_has_every_glyph_we_print():
    font = snapshot.cjk_font()
    face = FT2Font(font.get_file())
    labels = [zh for zh, _ in STRINGS.values()] + [theme_label(t, "zh") for t in THEMES]
    labels += list(fixture_gdf()["name_zh"]) + ["数据版本"]
    missing = {c for label in labels for c in label if not c.isspace() and face.get_char_index(ord(c)) == 0}
    assert not missing, f"tofu for {sorted(missing)} in {font.get_file()}"


def test_pdf_embeds_the_cjk_font():
    pdf = snapshot.render_snapshot(fixture_gdf(), "pdf", lang="en", filters_caption="Province: Liaoning", dpi=DPI)
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansCJK" in pdf and (b"/FontFile" in pdf or b"/CharProcs" in pdf)


def test_empty_selection_still_makes_a_page():
    png = snapshot.render_snapshot(fixture_gdf().iloc[:0], "png", dpi=DPI)
    assert png.startswith(b"\x89PNG")


def test_unknown_format_is_a_clear_error():
    with pytest.raises(snapshot.SnapshotError, match="Unknown snapshot format 'svgz'. Supported formats: png, pdf"):
        snapshot.render_snapshot(fixture_gdf(), "svgz")


def test_nice_scale_bar_lengths():
    assert [snapshot._nice_length(m) for m in (130_000, 260_000, 999_000, 1_000)] == [100_000, 200_000, 500_000, 1_000]
