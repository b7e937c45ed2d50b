"""The app served for real-browser tests: `streamlit run streamlit_app.py` on a free localhost port
over a layer folder, and helpers that read a page the way a user sees it (Debian's chromium via
Playwright; its own browser download fails here)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parent.parent
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

# Features drawn on the current map, per theme layer (base outlines excluded).
DRAWN_JS = """() => (window.atlasLayers || [])
  .filter(g => g._map && !g.atlasBase && document.body.contains(g._map.getContainer()))
  .reduce((n, g) => n + g.getLayers().length, 0)"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(layers: Path) -> Iterator[str]:
    """The app's URL while it serves `layers` (stopped on exit)."""
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


def drawn(page, at_least: int = 1, exactly: int | None = None, timeout: float = 60) -> tuple[object, int]:
    """(map frame, features drawn) once the live map draws the expected number of features.

    The component's iframe is replaced when the map changes, so the frame is looked up again
    on every try."""
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=timeout * 1000)
    deadline, count = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url or frame.is_detached():
                continue
            try:
                count = frame.evaluate(DRAWN_JS)
            except PlaywrightError:  # frame loading or replaced meanwhile
                continue
            if (exactly is None and count >= at_least) or count == exactly:
                return frame, count
        page.wait_for_timeout(200)
    raise AssertionError(f"the map drew {count} features, expected {exactly or f'>= {at_least}'}")


def shown_count(page) -> tuple[int, int]:
    """(shown, total) from the page's "显示 N / M 个项目" line."""
    text = page.get_by_text(re.compile(r"显示 \d+ / \d+ 个项目")).first.inner_text(timeout=60_000)
    shown, total = re.search(r"(\d+) / (\d+)", text).groups()
    return int(shown), int(total)
