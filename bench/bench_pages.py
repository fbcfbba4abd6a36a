"""Benchmark: every page's server time on the large institution, cold and warm, on SQLite and PostgreSQL.

Not a test (CI never runs it). Run `make bench` or `.venv/bin/python bench/bench_pages.py --help`.
The large institution (bench/large.py: 3 plans, 500 actions, 20,000 updates and evidence, 100,000 workforce rows)
is built once per (scale, seed) into a cached SQLite file under bench/out/, copied to a fresh file for each run, and
built anew in a fresh PostgreSQL schema when the server answers. Each page in app.py's `PAGE_SPECS` is run through
`streamlit.testing.v1.AppTest`, signed in as the administrator (who sees every page):

- COLD: the first render of the page after emptying `st.cache_data` and `st.cache_resource`, forgetting the cached
  settings and disposing every engine (so the run also makes a fresh engine and checks the migrations);
- WARM: the median of `--warm-runs` re-runs of the same page with the caches it filled.

All pages are measured in one process after an untimed pass over every page (module imports are process start-up,
not a page cost). Prints a table and merges figures into bench/results.json. Always exits 0: it reports misses.

Example:
    .venv/bin/python bench/bench_pages.py --no-pg
    .venv/bin/python bench/bench_pages.py --pages home,action_plan --profile
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PROFILES = OUT / "profiles"
RESULTS = ROOT / "bench" / "results.json"
APP = ROOT / "app.py"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN = "admin@large.ac.uk"  # bench/large.py's administrator: every page is open to them
COLD_TARGET = 2.0
WARM_TARGET = 0.5

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import Database, load_results, pg_reachable  # noqa: E402
from large import GENERATOR_VERSION, build_large  # noqa: E402

from tracker.db import make_engine, migrate  # noqa: E402

# --- the pages, as app.py lists them -------------------------------------------------------------------------


def app_pages() -> tuple[list[str], str]:
    """Page paths in app.py's order (its `PAGE_SPECS`: every page an administrator sees), and the default one
    (Home, the first: the page `at.run()` shows first)."""
    tree = ast.parse(APP.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PAGE_SPECS" for t in node.targets):
            pages = [spec[0] for spec in ast.literal_eval(node.value)]
            return pages, pages[0]
    raise SystemExit(f"no PAGE_SPECS = [...] found in {APP}")


def page_name(path: str) -> str:
    return Path(path).stem


# --- databases ---------------------------------------------------------------------------------------------


def cached_sqlite(scale: float, seed: int, rebuild: bool) -> Path:
    """The large institution in a SQLite file, built once per (scale, seed, generator version)."""
    path = OUT / f"large_x{scale:g}_s{seed}_v{GENERATOR_VERSION}.db"
    if path.exists() and path.stat().st_size > 0 and not rebuild:
        # Brought to the newest schema here, once: a migration added since the file was built (an index over a
        # million rows) must not run inside every measured copy.
        engine = make_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
        finally:
            engine.dispose()
        _checkpoint(path)
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for p in OUT.glob(tmp.name + "*"):
        p.unlink()
    counts = build_large(f"sqlite:///{tmp}", scale=scale, seed=seed)
    _checkpoint(tmp)
    tmp.replace(path)  # a build killed half-way leaves no half file to be "cached"
    print(f"built {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.0f} MB) in {counts['seconds']:.1f} s")
    return path


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so the file alone is the database."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def sqlite_copy(cached: Path, workdir: Path) -> Database:
    """A fresh copy of the cached database for this run (nothing a run does can leak into the next)."""
    path = workdir / f"large_{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(cached, path)

    def cleanup() -> None:
        for p in workdir.glob(path.name + "*"):
            p.unlink(missing_ok=True)

    return Database("sqlite", f"sqlite:///{path}", cleanup)


def pg_fresh(pg_url: str, scale: float, seed: int) -> Database:
    """A new schema on the server with the large institution built into it."""
    import psycopg

    libpq = "postgresql://" + pg_url.split("://", 1)[1]
    schema = f"bench_pages_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')

    def cleanup() -> None:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')

    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    try:
        counts = build_large(url, scale=scale, seed=seed)
        with psycopg.connect(libpq, autocommit=True, options=f"-csearch_path={schema}") as conn:
            conn.execute("analyze")  # what autovacuum would soon do on a real server; plans depend on it
    except BaseException:
        cleanup()
        raise
    print(f"built the large institution in PostgreSQL schema {schema} in {counts['seconds']:.1f} s")
    return Database("postgresql", url, cleanup)


# --- measuring a page ---------------------------------------------------------------------------------------


@dataclass
class PageRun:
    page: str
    backend: str
    cold_runs: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    error: str = ""
    title: str = ""  # the page's first heading, to show the run landed on the right page

    @property
    def cold(self) -> float | None:
        return statistics.median(self.cold_runs) if self.cold_runs else None

    @property
    def warm_median(self) -> float | None:
        return statistics.median(self.warm) if self.warm else None

    @property
    def cold_met(self) -> bool:
        return not self.error and self.cold is not None and self.cold <= COLD_TARGET

    @property
    def warm_met(self) -> bool:
        return not self.error and self.warm_median is not None and self.warm_median <= WARM_TARGET


def clear_caches() -> None:
    """Empty Streamlit's caches and the tracker's: the next run starts with a fresh engine and no cached data."""
    import streamlit as st

    import tracker.config
    import tracker.db

    tracker.config.get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    tracker.db.dispose_all()


def exception_of(at: Any) -> str:
    """The first exception the run showed, in one line ('' when none)."""
    if not at.exception:
        return ""
    message = str(at.exception[0].message).strip()
    return message.splitlines()[0] if message else "exception (no message)"


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """With a path: profile the app's script thread (where AppTest runs the page) with pyinstrument, text to path."""
    if path is None:
        yield
        return
    from pyinstrument import Profiler
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    original = LocalScriptRunner._run_script_thread
    profiler = Profiler(interval=0.001)

    def run_profiled(self: Any) -> None:
        profiler.start()
        try:
            original(self)
        finally:
            profiler.stop()

    LocalScriptRunner._run_script_thread = run_profiled  # type: ignore[method-assign]
    try:
        yield
    finally:
        LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))


def measure_page(
    page: str, default: str, backend: str, cold_runs: int, warm_runs: int, timeout: float, profile: Path | None
) -> PageRun:
    """COLD: median of `cold_runs` first renders, each after emptying every cache; WARM: median of `warm_runs`
    re-runs after the last cold one. With `profile` (a path with "@"), the first cold render and the warm re-runs
    are profiled into "@"="cold" and "@"="warm"."""
    r = PageRun(page_name(page), backend)
    try:
        at = None
        for k in range(cold_runs):
            prof = profile.with_name(profile.name.replace("@", "cold")) if profile and k == 0 else None
            at, seconds, r.error = _cold_render(page, default, timeout, prof)
            if r.error:
                return r
            r.cold_runs.append(seconds)
        assert at is not None
        r.title = at.title[0].value if len(at.title) else ""
        with profiled(profile.with_name(profile.name.replace("@", "warm")) if profile else None):
            for _ in range(warm_runs):
                r.warm.append(_timed(at.run))
                if exception_of(at):
                    r.error = f"(warm re-run) {exception_of(at)}"
                    return r
    except Exception as exc:  # a timeout or a harness failure is this page's row, not the end of the bench
        r.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return r


def new_app(timeout: float) -> Any:
    """app.py in AppTest, signed in as the large institution's administrator (who sees every page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.session_state["signed_in_as"] = ADMIN
    return at


def server_navigation_mode() -> None:
    """Leave Streamlit's legacy pages-folder mode for good after app.py's first run, as a server does (AppTest puts
    it back before every run, so a switched-to page would run once on its own and again through app.py)."""
    from streamlit.runtime.pages_manager import PagesManager

    real_init = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def _cold_render(page: str, default: str, timeout: float, profile: Path | None) -> tuple[Any, float, str]:
    """(AppTest, seconds, error) of one render of `page` with every cache empty and a fresh engine."""
    clear_caches()
    at = new_app(timeout)
    if page != default:
        # AppTest must run once before switch_page; that run fills the caches, so empty them again.
        at.run()
        if exception_of(at):
            return at, 0.0, f"(the default page, before switching) {exception_of(at)}"
        clear_caches()
        at.switch_page(page)
    with profiled(profile):
        seconds = _timed(at.run)
    return at, seconds, exception_of(at)


def warm_imports(pages: list[str], default: str, timeout: float) -> None:
    """One untimed pass over every page, so no page's cold figure pays for importing modules."""
    clear_caches()
    at = new_app(timeout)
    at.run()
    for page in pages:
        if page != default:
            with suppress(Exception):  # measured (and reported) properly below
                at.switch_page(page).run()


def engine_cost(url: str) -> float:
    """Seconds to make a fresh engine and check the migrations: part of every COLD figure."""
    from sqlalchemy import text

    import tracker.db

    tracker.db.dispose_all()
    t0 = time.perf_counter()
    engine = tracker.db.open_engine(url)
    with engine.connect() as conn:
        conn.execute(text("select 1"))
    seconds = time.perf_counter() - t0
    tracker.db.dispose_all()
    return seconds


def run_backend(
    db: Database, pages: list[str], default: str, cold_runs: int, warm_runs: int, timeout: float, profile: bool
) -> list[PageRun]:
    os.environ["TRACKER_DATABASE_URL"] = db.url
    warm_imports(pages, default, timeout)
    print(f"  {db.backend}: a fresh engine + migration check costs {engine_cost(db.url):.2f} s of each cold figure")
    runs = []
    for page in pages:
        prof = PROFILES / f"{page_name(page)}_{db.backend}_@.txt" if profile else None
        r = measure_page(page, default, db.backend, cold_runs, warm_runs, timeout, prof)
        runs.append(r)
        samples = "/".join(f"{c:.2f}" for c in r.cold_runs)
        shown = f"ERROR {r.error}" if r.error else f"cold {r.cold:.2f} s ({samples}), warm {r.warm_median:.3f} s"
        print(f"  {r.page:<15} {r.backend:<10} {shown}  [{r.title}]")
    clear_caches()
    return runs


# --- the report ---------------------------------------------------------------------------------------------


def figure_key(r: PageRun, scale: float, which: str) -> str:
    size = "" if scale == 1 else "_x" + f"{scale:g}".replace(".", "p")
    return f"page_{r.page}_{r.backend}{size}_{which}_s"


def report(runs: list[PageRun], scale: float) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    table: list[tuple[str, ...]] = []
    target = f"cold <= {COLD_TARGET:g} s, warm <= {WARM_TARGET:g} s"
    for r in runs:
        figures[figure_key(r, scale, "cold")] = {
            "value": None if r.error or r.cold is None else round(r.cold, 3),
            "unit": "s",
            "target": f"<= {COLD_TARGET:g}",
            "met": r.cold_met,
        }
        figures[figure_key(r, scale, "warm")] = {
            "value": None if r.error or r.warm_median is None else round(r.warm_median, 3),
            "unit": "s",
            "target": f"<= {WARM_TARGET:g}",
            "met": r.warm_met,
        }
        if r.error:
            table.append((r.page, r.backend, "error", "error", target, f"ERROR: {r.error[:100]}"))
            continue
        missed = [n for n, ok in (("cold", r.cold_met), ("warm", r.warm_met)) if not ok]
        met = "yes" if not missed else "NO (" + ", ".join(missed) + ")"
        table.append((r.page, r.backend, f"{r.cold:.2f}", f"{r.warm_median:.3f}", target, met))
    head = ("page", "backend", "cold s", "warm s", "target", "met")
    widths = [max(len(str(row[i])) for row in [head, *table]) for i in range(len(head))]
    print()
    for row in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return figures


def quiet_streamlit() -> None:
    """Drop the two warnings Streamlit logs on every AppTest run without a server (its level is reset on each run)."""
    import streamlit  # noqa: F401  (sets up Streamlit's loggers)

    noise = ("No runtime found", "missing ScriptRunContext")
    for name in ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).addFilter(lambda rec: not any(n in str(rec.msg) for n in noise))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--scale", type=float, default=1.0, help="size of the large institution (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the large institution (default 7)")
    p.add_argument(
        "--cold-runs", type=int, default=3, help="cold renders per page, caches emptied before each; median (default 3)"
    )
    p.add_argument("--warm-runs", type=int, default=3, help="warm re-runs per page; the median is reported (default 3)")
    p.add_argument("--timeout", type=float, default=120.0, help="AppTest timeout per run in seconds (default 120)")
    p.add_argument("--pages", help="comma-separated page names to measure (default: every page in app.py)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite database")
    p.add_argument(
        "--pg",
        metavar="URL",
        help=f"PostgreSQL to measure too (default: TRACKER_BENCH_PG_URL or {DEFAULT_PG})",
    )
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument(
        "--profile",
        action="store_true",
        help="profile each run with pyinstrument into bench/out/profiles/ (times are inflated: results.json untouched)",
    )
    args = p.parse_args(argv)

    if args.profile:
        try:
            import pyinstrument  # noqa: F401
        except ImportError:
            print("--profile needs pyinstrument: .venv/bin/pip install pyinstrument (not a project requirement)")
            return 0

    quiet_streamlit()
    server_navigation_mode()
    pages, default = app_pages()
    if args.pages:
        wanted = {w.strip() for w in args.pages.split(",") if w.strip()}
        unknown = wanted - {page_name(p) for p in pages}
        if unknown:
            print(f"unknown page(s) {', '.join(sorted(unknown))}; app.py has {', '.join(map(page_name, pages))}")
            return 0
        pages = [p for p in pages if page_name(p) in wanted]
    print(f"pages (from app.py): {', '.join(map(page_name, pages))}; default {page_name(default)}")

    cached: Path | None = None
    if not args.no_sqlite:
        cached = cached_sqlite(args.scale, args.seed, args.rebuild)
        print(f"large institution x{args.scale:g} (seed {args.seed}): {cached.relative_to(ROOT)}")
    pg_url = None
    if not args.no_pg:
        pg_url = args.pg or os.environ.get("TRACKER_BENCH_PG_URL") or DEFAULT_PG
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
        why = pg_reachable(pg_url)
        if why is not None:
            print(f"PostgreSQL skipped: {pg_url} is not reachable ({why})")
            pg_url = None

    runs: list[PageRun] = []
    saved_url = os.environ.get("TRACKER_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="tracker-bench-pages-") as tmp:
        makers: list[Callable[[], Database]] = []
        if cached is not None:
            makers.append(lambda: sqlite_copy(cached, Path(tmp)))
        if pg_url:
            makers.append(lambda: pg_fresh(pg_url, args.scale, args.seed))
        for make in makers:
            try:
                db = make()
            except Exception as exc:  # e.g. the server went away mid-build: report it, measure the rest
                print(f"database skipped: building the large institution failed ({type(exc).__name__}: {exc})")
                continue
            try:
                runs += run_backend(db, pages, default, args.cold_runs, args.warm_runs, args.timeout, args.profile)
            finally:
                db.drop()
    if saved_url is None:
        os.environ.pop("TRACKER_DATABASE_URL", None)
    else:
        os.environ["TRACKER_DATABASE_URL"] = saved_url

    figures = report(runs, args.scale)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs", end="")
    print(" (a busy machine inflates every figure)" if load[1] > (os.cpu_count() or 1) else "")
    if args.profile:
        print(f"\nprofiles in {PROFILES.relative_to(ROOT)}/ (results.json left alone: profiled times are inflated)")
        return 0

    previous = load_results()
    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
