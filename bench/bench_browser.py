"""Benchmark: what a person waits for in a real browser, signing in and moving between pages (issue 18, point 5).

Not a test (CI never runs it); it prints a table, merges figures into bench/results.json and always exits 0.

One Streamlit server (`python -m streamlit run app.py`, headless, on a free port; tests/browser_util.Server) runs on
a fresh copy of the large institution's cached SQLite database (bench_pages.cached_sqlite / sqlite_copy, built by
bench/large.py at `--scale`); the administrator (`admin@large.ac.uk`, who sees every page) gets a password generated
for the run (tests/browser_util.set_passwords, i.e. tracker.users.set_password). Playwright drives Debian's
/usr/bin/chromium (never a downloaded browser) with the test suite's launch arguments and viewport.

A page counts as **fully drawn** with the test suite's condition (tests/browser_util.wait_until_drawn): the script
run has finished (`stApp[data-test-script-state="notRunning"]`), no element is stale or still a lazy-loading
skeleton, and every plotly chart container on the page (`[data-testid="stPlotlyChart"]`, counted on each check
once the run has finished) holds its drawn `.main-svg`. After a sidebar click the previous page still looks
finished, so the clock stops only once the URL names the new page and a new run has started since the click
(tests/browser_util.follow_link's condition) and then that page is drawn. After each stop an untimed check waits
0.3 s and looks again: a chart or run that came after the stop would be flagged in the table ("late"). The table's
"charts" column is the number of plotly charts counted, and waited for, at the stops.

What is timed (wall clock in this process, from the click to the condition holding):

- **sign-in**: from clicking "Sign in" on the filled form to the Home page fully drawn (the sidebar says
  "Signed in as"); Home is cold then (see below), and the password check (scrypt) is part of the wait;
- **each page**, every page in app.py's `PAGE_SPECS` (an administrator sees all), reached by its sidebar link:
  COLD, the first visit with the server's view caches stale, and WARM, the second visit in the same tab.

The server's views are cached on the data version (the newest upload's id, pages/common.view), so to make them
cold the bench records one rejected upload row ("bench_browser: cache bump", nothing else changes) in the
database, as a real upload would: before each round's sign-in, and again after it, so every page, Home included,
is visited cold once. The round then visits Action plan .. Audit log and Home last (cold), and the same order
again (warm). The engine and Python's imports stay, as on any running server: an untimed-for-the-table first round
after the server starts (sign-in and every page) pays those, and its times are printed as "first after start".
The figures are the median over `--rounds` rounds (default 3), each in a new tab (a new Streamlit session, signed
out) of one browser context kept for the whole run, so the browser's HTTP cache holds Streamlit's scripts as a
returning user's would (the first round's tab, with nothing cached, is the "first after start" one). Each tab still
parses and compiles the lazily loaded chart code for its first chart: that lands in the sign-in figure. The table
also gives, for sign-in and cold visits, when the script run had finished ("run done"): the rest of the wait is the
browser's (loading chart code, plotly drawing the charts).

Targets: issue 18 sets none for browser waits, so every figure's target is None (met: true unless it failed). For
comparison the table shows the page targets of the server-side bench (bench_pages.py: 2 s cold, 0.5 s warm, the
script's own run time, no browser) and that bench's last SQLite figures at the same scale from results.json.

Figures merged into bench/results.json (`{figure: {"value", "unit", "target", "met"}}`; at another scale the
name gains `_x<scale>` before the last part, as bench_pages.py does):

| figure | meaning |
|---|---|
| `browser_signin_s` | median seconds from "Sign in" to Home fully drawn (Home cold) |
| `browser_page_<name>_cold_s` | median seconds from the sidebar click to the page fully drawn, caches stale |
| `browser_page_<name>_warm_s` | the same, second visit |

Example:
    .venv/bin/python bench/bench_browser.py                       # scale 1, 3 rounds (~2 minutes)
    .venv/bin/python bench/bench_browser.py --scale 10 --rounds 2
    .venv/bin/python bench/bench_browser.py --pages home,workforce --screenshot /tmp/bench_browser_home.png
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pytest  # noqa: E402  (tests/browser_util reports a server that will not start with pytest.fail)
from bench_import import load_results  # noqa: E402
from bench_pages import ADMIN, COLD_TARGET, RESULTS, WARM_TARGET, cached_sqlite, sqlite_copy  # noqa: E402

from tests.browser_util import (  # noqa: E402
    _DRAWN,
    _SWITCHED,
    CHART,
    CHROMIUM,
    ERROR_BOX,
    EXCEPTION,
    SIDEBAR,
    SIGNED_IN,
    AppPage,
    Server,
    app_pages,
    launch_chromium,
    nav_link,
    new_context,
    new_password,
    runs_so_far,
    set_passwords,
    sign_in_form,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SETTLE_S = 0.3  # the untimed look after each stop, for anything drawn or run after it


# --- waiting, timed -----------------------------------------------------------------------------------------


@dataclass
class Visit:
    seconds: float | None  # click to fully drawn; None: it did not finish (see note)
    run_s: float | None = None  # click to the script run finished (the server's part and the messages' trip)
    note: str = ""  # "late: ..." or an error shown on the page, or the timeout
    charts: int | None = None  # plotly charts on the page when the clock stopped, every one drawn


# The app's script run has finished (whatever is still to be drawn): taken between the two waits, so the table can
# say how much of a wait comes after the server is done (lazy-loaded chart code, plotly drawing).
_RUN_DONE = (
    """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'"""
)


class Waiter:
    """Clicks and waits with the test suite's conditions, timing from the click to the page fully drawn."""

    def __init__(self, tab: Page, timeout_s: float) -> None:
        self.tab = tab
        self.timeout_ms = timeout_s * 1000

    def _state(self) -> dict[str, Any]:
        return dict(
            self.tab.evaluate(
                f"""() => ({{
                  changes: window.__scriptStateChanges,
                  charts: document.querySelectorAll('{CHART}').length,
                  drawn: document.querySelectorAll('{CHART} .main-svg').length,
                  h1: document.querySelector('[data-testid="stMain"] h1')?.innerText ?? '',
                  search: location.search,
                }})"""
            )
        )

    def _drawn(self) -> None:
        self.tab.wait_for_function(_DRAWN, arg=[CHART], timeout=self.timeout_ms)

    def _run_done(self) -> None:
        self.tab.wait_for_function(_RUN_DONE, timeout=self.timeout_ms)

    def _after(self, seconds: float, run_s: float) -> Visit:
        """The visit's figures, then the untimed checks: errors shown, and nothing new after SETTLE_S."""
        at_stop = self._state()
        time.sleep(SETTLE_S)
        later = self._state()
        notes = []
        if later["changes"] != at_stop["changes"] or later["charts"] != at_stop["charts"]:
            notes.append(
                f"late: runs {at_stop['changes']}->{later['changes']}, charts {at_stop['charts']}->{later['charts']}"
            )
        if self.tab.locator(EXCEPTION).count() or self.tab.locator(ERROR_BOX).count():
            notes.append("an error is shown on the page")
        return Visit(seconds, run_s, "; ".join(notes), at_stop["charts"])

    def sign_in(self, email: str, password: str) -> Visit:
        """Fill in the sign-in form (untimed), then time "Sign in" -> signed in and Home fully drawn."""
        form = sign_in_form(self.tab)
        form.wait_for(state="visible", timeout=self.timeout_ms)
        form.get_by_label("Email", exact=True).fill(email)
        form.get_by_label("Password", exact=True).fill(password)
        before = runs_so_far(self.tab)
        button = form.get_by_role("button", name="Sign in", exact=True)
        t0 = time.perf_counter()
        button.click()
        self.tab.wait_for_function(
            """([before, sidebar, signedIn]) => window.__scriptStateChanges > before
                 && (document.querySelector(sidebar)?.innerText ?? '').includes(signedIn)""",
            arg=[before, SIDEBAR, SIGNED_IN],
            timeout=self.timeout_ms,
        )
        self._run_done()
        run_s = time.perf_counter() - t0
        self._drawn()
        return self._after(time.perf_counter() - t0, run_s)

    def switch(self, app_page: AppPage, screenshot: Path | None = None) -> Visit:
        """Click `app_page`'s sidebar link; time until its URL shows, a new run has started and it is drawn.
        With `screenshot`, the tab is saved there the moment the clock stops (untimed)."""
        link = nav_link(self.tab, app_page.title).first
        state = self._state()
        t0 = time.perf_counter()
        link.click()
        self.tab.wait_for_function(
            _SWITCHED, arg=[app_page.path, state["changes"], state["h1"], state["search"]], timeout=self.timeout_ms
        )
        self._run_done()
        run_s = time.perf_counter() - t0
        self._drawn()
        seconds = time.perf_counter() - t0
        if screenshot:
            self.tab.screenshot(path=str(screenshot))
        return self._after(seconds, run_s)


def attempt(what: Callable[[], Visit]) -> Visit:
    """A visit, or its failure as a note (a timeout is this page's row, not the end of the bench)."""
    try:
        return what()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Visit(None, note=f"{type(exc).__name__}: {first}"[:160])


# --- the server's caches ------------------------------------------------------------------------------------


def make_caches_stale(db_url: str) -> None:
    """Record one rejected upload, so the data version (the newest upload's id) changes and every cached view is
    computed again on its next use, as after a real upload. Nothing else in the database changes."""
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.models import Upload

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            s.add(
                Upload(
                    filename="bench_browser cache bump.xlsx",
                    sha256=secrets.token_hex(32),
                    kind="updates",
                    uploaded_by=ADMIN,
                    outcome="rejected",
                    message="bench_browser: cache bump (the data version changes; nothing was loaded)",
                    uploaded_at=datetime.now(UTC),
                )
            )
            s.commit()
    finally:
        engine.dispose()


# --- rounds -------------------------------------------------------------------------------------------------


@dataclass
class Round:
    signin: Visit
    cold: dict[str, Visit] = field(default_factory=dict)
    warm: dict[str, Visit] = field(default_factory=dict)


def visit_order(pages: list[AppPage], home: AppPage) -> list[AppPage]:
    """Every page but Home, then Home (the tab lands on Home after sign-in, so Home is left for last)."""
    return [p for p in pages if p != home] + ([home] if home in pages else [])


def one_round(
    context: BrowserContext,
    server: Server,
    db_url: str,
    password: str,
    pages: list[AppPage],
    home: AppPage,
    *,
    timeout_s: float,
    stale: bool,
    warm_pass: bool,
    screenshot: Path | None = None,
) -> Round:
    """Sign in in a new tab (a new Streamlit session), then visit `pages` by the sidebar (cold), then again (warm).
    The caches are made stale after the sign-in, and with `stale` before it too (the first round after the server
    starts has nothing cached yet)."""
    if stale:
        make_caches_stale(db_url)
    tab = context.new_page()
    try:
        waiter = Waiter(tab, timeout_s)
        tab.goto(server.url + "/", timeout=timeout_s * 1000)
        waiter._drawn()  # the sign-in page, untimed
        r = Round(attempt(lambda: waiter.sign_in(ADMIN, password)))
        if r.signin.seconds is None:
            return r
        make_caches_stale(db_url)  # Home's views too: every page's first visit below is cold
        for which, visits in (("cold", r.cold), ("warm", r.warm)):
            if which == "warm" and not warm_pass:
                break
            for app_page in visit_order(pages, home):
                shot = screenshot if which == "cold" and app_page == home else None
                visits[app_page.name] = attempt(functools.partial(waiter.switch, app_page, shot))
        return r
    finally:
        tab.close()


# --- the report ---------------------------------------------------------------------------------------------


def size_suffix(scale: float) -> str:
    return "" if scale == 1 else "_x" + f"{scale:g}".replace(".", "p")


def median_of(visits: list[Visit]) -> float | None:
    values = [v.seconds for v in visits if v.seconds is not None]
    return statistics.median(values) if values else None


def notes_of(visits: list[Visit]) -> str:
    return "; ".join(sorted({v.note for v in visits if v.note}))


def charts_of(visits: list[Visit]) -> str:
    """The plotly charts counted (and waited for) at the stops: one number, or each one seen."""
    return "/".join(str(n) for n in sorted({v.charts for v in visits if v.charts is not None})) or "–"


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def figure(value: float | None) -> dict[str, Any]:
    return {"value": None if value is None else round(value, 3), "unit": "s", "target": None, "met": value is not None}


def report(
    first: Round | None, rounds: list[Round], pages: list[AppPage], home: AppPage, scale: float
) -> dict[str, dict[str, Any]]:
    suffix = size_suffix(scale)
    previous = load_results()

    def server_figure(name: str, which: str) -> float | None:
        fig = previous.get(f"page_{name}_sqlite{suffix}_{which}_s")
        return fig.get("value") if isinstance(fig, dict) else None

    figures: dict[str, dict[str, Any]] = {}
    signin = median_of([r.signin for r in rounds])
    figures[f"browser_signin{suffix}_s"] = figure(signin)
    head = (
        "page",
        "charts",
        "cold s (samples)",
        "warm s (samples)",
        "cold: run done s",
        "first after start s",
        "server cold/warm s",
        "notes",
    )
    samples = "/".join(fmt(r.signin.seconds) for r in rounds)
    table: list[tuple[str, ...]] = [
        (
            "sign-in -> Home drawn",
            charts_of([r.signin for r in rounds]),
            f"{fmt(signin)} ({samples})",
            "",
            fmt(median_of([Visit(r.signin.run_s) for r in rounds])),
            fmt(first.signin.seconds) if first else "–",
            "",
            notes_of([r.signin for r in rounds]),
        )
    ]
    for app_page in visit_order(pages, home):
        cold_visits = [r.cold[app_page.name] for r in rounds if app_page.name in r.cold]
        warm_visits = [r.warm[app_page.name] for r in rounds if app_page.name in r.warm]
        cold, warm = median_of(cold_visits), median_of(warm_visits)
        figures[f"browser_page_{app_page.name}{suffix}_cold_s"] = figure(cold)
        figures[f"browser_page_{app_page.name}{suffix}_warm_s"] = figure(warm)
        first_visit = first.cold.get(app_page.name) if first else None
        server = f"{fmt(server_figure(app_page.name, 'cold'))}/{fmt(server_figure(app_page.name, 'warm'), 3)}"
        table.append(
            (
                f"{app_page.title} ({app_page.name})",
                charts_of(cold_visits + warm_visits),
                f"{fmt(cold)} ({'/'.join(fmt(v.seconds) for v in cold_visits)})",
                f"{fmt(warm)} ({'/'.join(fmt(v.seconds) for v in warm_visits)})",
                fmt(median_of([Visit(v.run_s) for v in cold_visits])),
                fmt(first_visit.seconds) if first_visit else "–",
                server,
                notes_of(cold_visits + warm_visits + ([first_visit] if first_visit else [])),
            )
        )
    widths = [max(len(str(row[i])) for row in [head, *table]) for i in range(len(head))]
    print()
    print(f"What people wait for, large institution x{scale:g} on SQLite, median of {len(rounds)} round(s) (samples):")
    for row in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print(
        f"\ntargets: none set by issue 18 for browser waits (results.json: target null). For comparison, the server "
        f"target\n(bench_pages.py, the script's run alone) is <= {COLD_TARGET:g} s cold and <= {WARM_TARGET:g} s warm; "
        f"'server cold/warm s' is that bench's last figure\nfrom results.json. 'first after start': the first round "
        f"after the server started (imports and engine set-up included)."
    )
    return figures


# --- main ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Example: .venv/bin/python bench/bench_browser.py --scale 10 --rounds 2",
    )
    p.add_argument("--scale", type=float, default=1.0, help="size of the large institution (default 1; 10 = ten times)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the large institution (default 7)")
    p.add_argument(
        "--rounds", type=int, default=3, help="timed rounds (sign-in, cold pass, warm pass); median (default 3)"
    )
    p.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for one page before giving up (default 120)"
    )
    p.add_argument("--pages", help="comma-separated page names to visit (default: every page in app.py)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite database")
    p.add_argument(
        "--screenshot", type=Path, metavar="PNG", help="save Home, fully drawn on its first cold visit, here"
    )
    p.add_argument("--no-results", action="store_true", help="print only; leave bench/results.json alone")
    args = p.parse_args(argv)

    if not CHROMIUM.exists():
        print(f"skipped: Debian's chromium is not installed ({CHROMIUM}); apt-get install chromium")
        return 0
    all_pages = app_pages()
    home = all_pages[0]
    pages = all_pages
    if args.pages:
        wanted = {w.strip() for w in args.pages.split(",") if w.strip()}
        unknown = wanted - {ap.name for ap in all_pages}
        if unknown:
            print(f"unknown page(s) {', '.join(sorted(unknown))}; app.py has {', '.join(ap.name for ap in all_pages)}")
            return 0
        pages = [ap for ap in all_pages if ap.name in wanted]
    print(f"pages (from app.py): {', '.join(ap.name for ap in pages)}")

    started = time.perf_counter()
    first: Round | None = None
    rounds: list[Round] = []
    server: Server | None = None
    with tempfile.TemporaryDirectory(prefix="tracker-bench-browser-") as tmp:
        db = None
        try:
            cached = cached_sqlite(args.scale, args.seed, args.rebuild)
            print(f"large institution x{args.scale:g} (seed {args.seed}): {cached.relative_to(ROOT)}, a fresh copy")
            db = sqlite_copy(cached, Path(tmp))
            password = new_password()
            set_passwords(db.url, {ADMIN: password})
            server = Server(f"bench-browser-x{args.scale:g}", db.url)
            with launch_chromium(CHROMIUM) as browser:
                context = new_context(browser)  # one for the run: the browser's HTTP cache is a returning user's
                server.wait_ready()
                print(f"server {server.url} (pid {server.proc.pid}, log {server.log_path.relative_to(ROOT)})")
                first = one_round(
                    context, server, db.url, password, pages, home, stale=False, warm_pass=False, timeout_s=args.timeout
                )
                print(f"first round after start: sign-in {fmt(first.signin.seconds)} s {first.signin.note}")
                for k in range(args.rounds):
                    shot = args.screenshot if k == 0 else None
                    r = one_round(
                        context,
                        server,
                        db.url,
                        password,
                        pages,
                        home,
                        stale=True,
                        warm_pass=True,
                        screenshot=shot,
                        timeout_s=args.timeout,
                    )
                    rounds.append(r)
                    cold = sum(v.seconds or 0 for v in r.cold.values())
                    warm = sum(v.seconds or 0 for v in r.warm.values())
                    print(
                        f"round {k + 1}: sign-in {fmt(r.signin.seconds)} s, "
                        f"pages cold {cold:.1f} s, warm {warm:.1f} s in all"
                    )
        except (Exception, pytest.fail.Exception) as exc:  # report what was measured; never fail
            print(f"\nstopped early: {type(exc).__name__}: {str(exc).strip()[:500]}")
        finally:
            if server is not None:
                server.stop()
            if db is not None:
                with suppress(Exception):
                    db.drop()

    if args.screenshot and args.screenshot.exists():
        print(f"screenshot of Home, fully drawn: {args.screenshot}")
    figures = report(first, rounds, pages, home, args.scale) if rounds else {}
    load = os.getloadavg()
    print(
        f"\ntook {time.perf_counter() - started:.0f} s; "
        f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        end="",
    )
    print(
        f" on {os.cpu_count()} CPUs"
        + (" (a busy machine inflates every figure)" if load[1] > (os.cpu_count() or 1) else "")
    )
    if figures and not args.no_results:
        RESULTS.write_text(json.dumps({**load_results(), **figures}, indent=2, sort_keys=True) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
