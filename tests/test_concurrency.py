"""Ten app sessions at once (issue 6): each streamlit.testing.v1.AppTest session runs in its own
thread with its own filters, against one shared layer folder (and so one shared st.cache_data
entry). No session may see another's filters: its count and its table must be exactly what
filter_features gives for its own filters on the same frame; no session may raise or show an
error."""

from __future__ import annotations

import re
import threading

from app_fixtures import app_test, write_fixture_layers
from streamlit.testing.v1 import AppTest

from atlas.filters import filter_features
from atlas.layers import read_layers

# Ten different filter sets (widget key -> value), each selecting a different subset.
SESSIONS = [
    {"province": ["辽宁"]},
    {"province": ["吉林"]},
    {"province": ["黑龙江"]},
    {"province": ["内蒙古"]},
    {"theme": ["railway"]},
    {"theme": ["airport", "power"]},
    {"precision": [1]},
    {"province": ["辽宁"], "theme": ["industry"]},
    {"q": "机场"},
    {"status": ["建成"], "province": ["吉林", "内蒙古"]},
]
FILTER_ARGS = {"province": "provinces", "theme": "themes", "status": "statuses", "precision": "precisions", "q": "text"}


def shown_count(at: AppTest) -> int:
    found = [int(m.group(1)) for md in at.markdown if (m := re.search(r"显示 (\d+) / \d+", md.value))]
    assert len(found) == 1, [md.value for md in at.markdown]
    return found[0]


def run_session(filters: dict, results: dict, index: int) -> None:
    try:
        at = app_test(120)
        at.run()
        for key, value in filters.items():
            widget = at.text_input(key=key) if key == "q" else at.multiselect(key=key)
            widget.set_value(value)
        at.run()
        results[index] = {
            "exception": [str(e.value) for e in at.exception],
            "error": [e.value for e in at.error],
        }
        assert not at.exception and not at.error, results[index]
        results[index] |= {
            "count": shown_count(at),
            "ids": sorted(at.dataframe[0].value.iloc[:, 0]),
        }
    except Exception as exc:  # reported by the test, not lost in the thread
        results[index] = {"crash": repr(exc)}


def test_ten_concurrent_sessions_see_only_their_own_filters(tmp_path, monkeypatch):
    layers = write_fixture_layers(tmp_path / "layers")
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(layers))
    gdf = read_layers(layers)
    expected = [filter_features(gdf, **{FILTER_ARGS[k]: v for k, v in f.items()}) for f in SESSIONS]
    # the filter sets really differ, so cross-talk would show in the counts or the ids
    assert len({tuple(sorted(e["id"])) for e in expected}) >= 8
    assert all(0 < len(e) < len(gdf) for e in expected)

    results: dict[int, dict] = {}
    barrier = threading.Barrier(len(SESSIONS))

    def start(i: int) -> None:
        barrier.wait()  # all sessions start their runs together
        run_session(SESSIONS[i], results, i)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(SESSIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a session hung"

    for i, filters in enumerate(SESSIONS):
        got = results[i]
        assert "crash" not in got, (filters, got)
        assert got["exception"] == [] and got["error"] == [], (filters, got)
        assert got["count"] == len(expected[i]), (filters, got["count"], len(expected[i]))
        assert got["ids"] == sorted(expected[i]["id"]), filters
