"""Ten app sessions at once (issue 6), in the real server: ten browser pages opened together, each
with its own filters in its URL, against one shared layer folder (one st.cache_resource copy of
the layers for all sessions). No session may see another's filters: its count and its drawn
features must be exactly what filter_features gives for its own filters; none may show an error.

(Ten streamlit.testing.v1.AppTest sessions in threads cannot stand for this: AppTest swaps one
process-wide Runtime in and out around each run, so concurrent runs break each other.)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from app_fixtures import write_fixture_layers
from browser_app import CHROMIUM, LAUNCH_ARGS, drawn, serve_app, shown_count

from atlas.filters import filter_features
from atlas.layers import read_layers

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")]

# Ten different filter sets (URL parameter -> values), each selecting a different subset.
SESSIONS = [
    {"province": ["辽宁"]},
    {"province": ["吉林"]},
    {"province": ["黑龙江"]},
    {"province": ["内蒙古"]},
    {"theme": ["railway"]},
    {"theme": ["airport", "power"]},
    {"precision": ["1"]},
    {"province": ["辽宁"], "theme": ["industry"]},
    {"q": ["机场"]},
    {"status": ["建成"], "province": ["吉林", "内蒙古"]},
]
FILTER_ARGS = {"province": "provinces", "theme": "themes", "status": "statuses", "precision": "precisions", "q": "text"}


def test_ten_concurrent_sessions_see_only_their_own_filters(tmp_path):
    from playwright.sync_api import sync_playwright

    layers = write_fixture_layers(tmp_path / "layers")
    gdf = read_layers(layers)
    expected = [len(filter_features(gdf, **{FILTER_ARGS[k]: v[0] if k == "q" else v for k, v in f.items()}))
                for f in SESSIONS]
    # the filter sets really differ, so cross-talk would show in the counts
    assert len(set(expected)) >= 5 and all(0 < n < len(gdf) for n in expected)

    with serve_app(layers) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            # ten tabs of one browser (one HTTP cache), on the offline basemap (no tile requests)
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            pages = [context.new_page() for _ in SESSIONS]
            for page, filters in zip(pages, SESSIONS):  # all ten sessions start before any is read
                page.goto(f"{url}/?{urlencode({'basemap': 'offline', **filters}, doseq=True)}", wait_until="commit")
            for page, filters, n in zip(pages, SESSIONS, expected):
                assert shown_count(page) == (n, len(gdf)), filters
                drawn(page, exactly=n, timeout=120)
                assert page.get_by_test_id("stException").count() == 0, filters
                assert page.get_by_test_id("stAlertContentError").count() == 0, filters
        finally:
            browser.close()
