"""The app in a real headless browser: Debian's chromium driven by Playwright, with no network.

Starts `streamlit run streamlit_app.py` on a free localhost port with ATLAS_LAYERS_DIR pointed at
the fixture layers (hostile names included), blocks every request that is not to localhost,
checks that the map draws the features, that a popup shows a `<img onerror>` name as text
without running it, that the filters are laid out once the map reports its drawing, that the
province filter changes the count and the map, and saves
screenshots under tests/artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fixtures import HOSTILE_NAMES, fixture_gdf, write_fixture_layers
from browser_app import CHROMIUM, DRAWN_JS, LAUNCH_ARGS, drawn, serve_app, shown_count

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

LINES_JS = """() => window.atlasLayers.filter(g => g._map && !g.atlasBase)
  .flatMap(g => g.getLayers()).filter(l => l.atlasKind === 1)
  .map(l => l.getLatLngs().map(p => [+p.lat.toFixed(4), +p.lng.toFixed(4)]))"""
POINT_JS = """([lat, lon]) => {
  const g = window.atlasLayers.find(g => g._map && document.body.contains(g._map.getContainer()));
  const p = g._map.latLngToContainerPoint([lat, lon]);
  return [p.x, p.y];
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with serve_app(write_fixture_layers(tmp_path_factory.mktemp("layers"), hostile=True)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def test_map_popup_and_province_filter_offline(app_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = []

    def route(r):
        host = r.request.url.split("/")[2].split(":")[0] if "://" in r.request.url else ""
        if r.request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
            outside.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)

    total = len(fixture_gdf())
    frame, _ = drawn(page, exactly=total)
    assert shown_count(page) == (total, total)
    frame.wait_for_selector(".leaflet-container canvas")
    # Lines arrive as encoded polylines: decoded in the browser they have the layers' vertices.
    lines = fixture_gdf()[lambda g: g.geom_type == "LineString"].geometry
    assert sorted(frame.evaluate(LINES_JS)) == sorted([[round(y, 4), round(x, 4)] for x, y in g.coords] for g in lines)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "app_all.png"), full_page=False)

    # Click the airport whose name is an <img onerror> payload: the popup shows it as text.
    iframe_box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y = frame.evaluate(POINT_JS, [42.07, 127.60])
    page.mouse.click(iframe_box["x"] + x, iframe_box["y"] + y)
    popup = frame.wait_for_selector(".atlas-popup", timeout=10_000)
    assert HOSTILE_NAMES[1] in popup.inner_text()
    page.wait_for_timeout(400)  # popup fade-in
    assert frame.locator(".atlas-popup img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "app_popup.png"))

    # The layer control lists the base outlines and every theme; toggling a theme hides it.
    themes = list(dict.fromkeys(fixture_gdf()["theme"]))
    labels = frame.locator(".leaflet-control-layers-overlays label")
    assert labels.count() == len(themes) + 1
    railway = sum(fixture_gdf()["theme"] == "railway")
    frame.locator(".leaflet-control-layers-overlays input").nth(1).uncheck()  # railway, first theme
    assert frame.evaluate(DRAWN_JS) == total - railway
    frame.locator(".leaflet-control-layers-overlays input").nth(1).check()
    assert frame.evaluate(DRAWN_JS) == total

    # Filter to Liaoning in the sidebar: the count and the drawn features follow, and only the
    # feature layers are swapped: the map (and its iframe) stays, marked here before the change.
    frame.evaluate("() => { window.atlasMarker = 'kept'; }")
    province = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    province.wait_for(timeout=60_000)
    # The filters were laid out because the map said it had drawn, not by the fallback timer.
    assert page.evaluate("() => window.atlasMapDrawn") == "map"
    province.click()
    page.get_by_role("option", name="辽宁").click()
    page.keyboard.press("Escape")
    expected = sum("辽宁" in p.split(";") for p in fixture_gdf()["provinces"])
    page.get_by_text(f"显示 {expected} / {total} 个项目").wait_for(timeout=60_000)
    frame, _ = drawn(page, exactly=expected)
    assert frame.evaluate("() => window.atlasMarker") == "kept"
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "app_liaoning.png"))

    assert dialogs == [], "a script from the data ran"
    # Only map tiles may have been attempted outside localhost (and were blocked).
    assert all("tile.openstreetmap.org" in u for u in outside), outside
    page.close()
