"""Session memory: RSS of the Streamlit server with 1 and with 10 concurrent browser sessions.

    .venv/bin/python bench/bench_sessions.py [--layers DIR] [--synthetic N] [--sessions 10]

Starts `streamlit run streamlit_app.py` (bench_browser.App) for the layer folder (default the
real atlas, layers/; --synthetic N writes N synthetic points with atlas.layers.write_layers to a
temporary folder instead), then reads the server's RSS and peak RSS (/proc/<pid>/status
VmRSS, VmHWM):
  - idle, after start;
  - with 1 browser page whose map has drawn (headless chromium, non-localhost requests blocked);
  - with `--sessions` pages open at once, each with a different province filter in its URL
    (?province=…), after every one of them has drawn its map.
Printed: RSS at each step, the growth per added session, and the time until all maps drew.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import machine, rss_mb, synthetic_features
from bench_browser import CHROMIUM, LAUNCH_ARGS, REPO, App, block_outside, drawn

PROVINCE_URLS = ["", "?province=辽宁", "?province=吉林", "?province=黑龙江", "?province=内蒙古",
                 "?theme=railway", "?theme=industry", "?precision=2", "?province=辽宁&theme=industry",
                 "?lang=en"]


def open_and_wait(browser, urls: list[str], timeout: float) -> tuple[list, float]:
    """Open one page per URL at once; wait until each has drawn map features. Returns the
    pages and the seconds until the last one drew."""
    pages = []
    t0 = time.monotonic()
    for url in urls:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        block_outside(page)
        page.goto(url, wait_until="commit")
        pages.append(page)
    waiting = set(range(len(pages)))
    while waiting and time.monotonic() - t0 < timeout:
        for i in list(waiting):
            if drawn(pages[i]) > 0:
                waiting.discard(i)
        pages[0].wait_for_timeout(100)  # lets Playwright serve every page meanwhile
    if waiting:
        raise RuntimeError(f"{len(waiting)} of {len(pages)} sessions drew no map within {timeout:.0f} s")
    return pages, time.monotonic() - t0


def measure(layers: Path, sessions: int, timeout: float) -> None:
    from playwright.sync_api import sync_playwright

    with App(layers) as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            time.sleep(1)
            idle = app.rss_mb()
            first, t1 = open_and_wait(browser, [app.url], timeout)
            one, one_peak = app.rss_mb(), rss_mb(app.proc.pid, "VmHWM")
            urls = [app.url + PROVINCE_URLS[(i + 1) % len(PROVINCE_URLS)] for i in range(sessions - 1)]
            others, t_all = open_and_wait(browser, urls, timeout)
            time.sleep(2)  # let the last reruns finish
            many, many_peak = app.rss_mb(), rss_mb(app.proc.pid, "VmHWM")
            for page in first + others:
                page.close()
        finally:
            browser.close()
    print(f"\n{'server state':34} {'RSS MiB':>8} {'peak MiB':>9}")
    print(f"{'idle (started, no session)':34} {idle:8.0f}")
    print(f"{'1 session, map drawn':34} {one:8.0f} {one_peak:9.0f}   (map after {t1:.1f} s)")
    print(f"{f'{sessions} sessions at once, maps drawn':34} {many:8.0f} {many_peak:9.0f}   "
          f"(the other {sessions - 1} drew within {t_all:.1f} s)")
    print(f"first session: +{one - idle:.0f} MiB over idle; each further session: "
          f"+{(many - one) / max(sessions - 1, 1):.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", type=Path, default=REPO / "layers")
    ap.add_argument("--synthetic", type=int, default=0, help="use N synthetic points instead of --layers")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs Debian's chromium at {CHROMIUM}")
    print(f"machine: {machine()}")
    if args.synthetic:
        from atlas.layers import write_layers

        with tempfile.TemporaryDirectory() as tmp:
            write_layers(synthetic_features(args.synthetic, seed=args.synthetic), Path(tmp))
            print(f"layers: {args.synthetic} synthetic points")
            measure(Path(tmp), args.sessions, args.timeout)
    else:
        print(f"layers: {args.layers}")
        measure(args.layers, args.sessions, args.timeout)


if __name__ == "__main__":
    main()
