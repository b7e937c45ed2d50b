"""The app in a real headless browser: Debian's chromium driven by Playwright, with no network.

Starts `streamlit run streamlit_app.py` on a free localhost port with ATLAS_LAYERS_DIR pointed at
the fixture layers (hostile names included), blocks every request that is not to localhost,
checks that the map draws the features, that a popup shows a `<img onerror>` name as text
without running it, that the province filter changes the count and the map, and saves
screenshots under tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_fixtures import HOSTILE_NAMES, fixture_gdf, write_fixture_layers
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

# Features drawn on the current map, per theme layer (base outlines excluded).
DRAWN_JS = """() => (window.atlasLayers || [])
  .filter(g => g._map && !g.atlasBase && document.body.contains(g._map.getContainer()))
  .reduce((n, g) => n + g.getLayers().length, 0)"""
POINT_JS = """([lat, lon]) => {
  const g = window.atlasLayers.find(g => g._map && document.body.contains(g._map.getContainer()));
  const p = g._map.latLngToContainerPoint([lat, lon]);
  return [p.x, p.y];
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    layers = write_fixture_layers(tmp_path_factory.mktemp("layers"), hostile=True)
    port = _free_port()
    env = {**os.environ, "ATLAS_LAYERS_DIR": str(layers), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _drawn(page, at_least: int = 1, exactly: int | None = None, timeout: float = 60) -> tuple[object, int]:
    """(map frame, features drawn) once the live map draws the expected number of features.

    The component's iframe is replaced when the map changes, so the frame is looked up again
    on every try."""
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=timeout * 1000)
    deadline, drawn = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url or frame.is_detached():
                continue
            try:
                drawn = frame.evaluate(DRAWN_JS)
            except PlaywrightError:  # frame loading or replaced meanwhile
                continue
            if (exactly is None and drawn >= at_least) or drawn == exactly:
                return frame, drawn
        time.sleep(0.2)
    raise AssertionError(f"the map drew {drawn} features, expected {exactly or f'>= {at_least}'}")


def _count(page) -> tuple[int, int]:
    text = page.get_by_text(re.compile(r"显示 \d+ / \d+ 个项目")).first.inner_text(timeout=60_000)
    shown, total = re.search(r"(\d+) / (\d+)", text).groups()
    return int(shown), int(total)


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
    frame, _ = _drawn(page, exactly=total)
    assert _count(page) == (total, total)
    frame.wait_for_selector(".leaflet-container canvas")
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
    page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.click()
    page.get_by_role("option", name="辽宁").click()
    page.keyboard.press("Escape")
    expected = sum("辽宁" in p.split(";") for p in fixture_gdf()["provinces"])
    page.get_by_text(f"显示 {expected} / {total} 个项目").wait_for(timeout=60_000)
    frame, _ = _drawn(page, exactly=expected)
    assert frame.evaluate("() => window.atlasMarker") == "kept"
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "app_liaoning.png"))

    assert dialogs == [], "a script from the data ran"
    # Only map tiles may have been attempted outside localhost (and were blocked).
    assert all("tile.openstreetmap.org" in u for u in outside), outside
    page.close()
