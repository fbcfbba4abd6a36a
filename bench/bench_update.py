"""Benchmark: a lead's quarterly update loaded into the large institution, and the large database's size.

Not a test (CI never runs it). Run `make bench` or `.venv/bin/python bench/bench_update.py --help`.
The large institution (bench/large.py) is the cached SQLite file (shared with bench_pages.py), copied to a fresh
file, and a fresh PostgreSQL schema built for this run when the server answers. On each, one lead
(`lead001@large.ac.uk`, who owns about 6 of the current plan's actions at scale 1) sends `--runs` update files one
after the other, as the quarterly rounds come in: each file has a Progress row and four Evidence items per action the
lead owns (about 30 rows), and a Measures row for each of their measures. Each is loaded with
`python -m tracker --db URL load FILE --kind updates --as lead001@large.ac.uk`: the whole product path (interpreter
start-up, reading, checking every row against the plan and the lead's actions, the duplicate check, storing the
upload with its bytes, the audit entries), in its own process, timed from start to exit with its peak memory.

The database size is measured after the build, before any update: SQLite's file (page_count x page_size, the WAL
folded in) and, on PostgreSQL, `pg_total_relation_size` (tables, indexes and TOAST) summed over the schema's tables.

Prints a table and merges figures into bench/results.json. Always exits 0: it reports misses.

Example:
    .venv/bin/python bench/bench_update.py --no-pg --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LEAD = "lead001@large.ac.uk"
TARGET_S = 2.0
PEAK_TARGET_MB = 1024.0
EVIDENCE_PER_ACTION = 4

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import Database, Run, load_results, pg_reachable, run_process  # noqa: E402
from bench_pages import cached_sqlite, pg_fresh, sqlite_copy  # noqa: E402


def size_suffix(scale: float) -> str:
    return "" if scale == 1 else "_x" + f"{scale:g}".replace(".", "p")


# --- what the lead owns, and their file ---------------------------------------------------------------------


def lead_context(url: str) -> tuple[list[str], list[tuple[str, str, str, float | None, float | None]], date, date]:
    """The lead's action refs, their measures (ref, name, unit, baseline, target) and the current plan's window."""
    from sqlalchemy import text

    from tracker.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            refs = [
                r[0]
                for r in conn.execute(
                    text(
                        'select a.ref from "user" u join useraction ua on ua.user_id = u.id '
                        "join action a on a.id = ua.action_id where u.email = :e and not a.withdrawn order by a.ref"
                    ),
                    {"e": LEAD},
                )
            ]
            measures = [
                (r[0], r[1], r[2], r[3], r[4])
                for r in conn.execute(
                    text(
                        "select a.ref, m.name, m.unit, m.baseline, m.target from measure m "
                        'join action a on a.id = m.action_id join useraction ua on ua.action_id = a.id join "user" u '
                        "on u.id = ua.user_id where u.email = :e and not a.withdrawn order by a.ref, m.name"
                    ),
                    {"e": LEAD},
                )
            ]
            start, months = conn.execute(text("select start_date, months from plan order by start_date desc")).first()  # type: ignore[misc]
    finally:
        engine.dispose()
    from tracker.ingest.cells import add_months

    start = start if isinstance(start, date) else date.fromisoformat(str(start))
    return refs, measures, start, add_months(start, months) - timedelta(days=1)


def update_file(path: Path, refs: list[str], measures: list[Any], as_of: date, run: int) -> int:
    """The lead's update on the product's template layout (Progress, Evidence, Measures); rows written back."""
    from openpyxl import Workbook

    from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Progress"
    ws.append(list(PROGRESS_COLUMNS))
    ev = wb.create_sheet("Evidence")
    ev.append(list(EVIDENCE_COLUMNS))
    ms = wb.create_sheet("Measures")
    ms.append(list(MEASURE_COLUMNS))
    rows = 0
    statuses = ["On track", "At risk", "On track", "Delayed", "Complete"]
    for i, ref in enumerate(refs):
        status = statuses[(i + run) % len(statuses)]
        note = "" if status == "On track" else f"Round {run + 1}: see the working-group minutes for {ref}."
        pct = 100 if status == "Complete" else 40 + 10 * ((i + run) % 5)
        ws.append([ref, as_of, status, pct, note, LEAD])
        rows += 1
        for k in range(EVIDENCE_PER_ACTION):
            kind = ["event", "document", "survey", "metric"][k % 4]
            ev.append(
                [
                    ref,
                    as_of - timedelta(days=7 * k),
                    f"Round {run + 1}, item {k + 1} for {ref}: {kind} with technicians in the faculties",
                    kind,
                    f"https://sharepoint.large.ac.uk/tc/{ref.lower()}/round{run + 1}-{k + 1}",
                    "",
                    LEAD,
                    None,
                ]
            )
            rows += 1
    for ref, name, unit, baseline, target in measures:
        value = (baseline or 0) + ((target or 10) - (baseline or 0)) * (0.5 + 0.1 * run)
        ms.append([ref, name, unit, baseline, target, as_of, round(value, 1)])
        rows += 1
    wb.save(path)
    return rows


# --- database size ------------------------------------------------------------------------------------------


def db_size_mb(db: Database) -> float:
    if db.backend == "sqlite":
        import sqlite3

        path = db.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
        return float(pages * size) / 1e6
    from sqlalchemy import text

    from tracker.db import make_engine

    engine = make_engine(db.url)
    try:
        with engine.connect() as conn:
            total = conn.execute(
                text(
                    "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
                    "join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = current_schema() and c.relkind in ('r', 'm', 'p')"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return float(total) / 1e6


# --- measuring ----------------------------------------------------------------------------------------------


def measure(db: Database, runs: int, workdir: Path) -> tuple[list[Run], int, int]:
    """`runs` successive update files from the lead, each loaded by the CLI in its own process; (runs, rows, refs)."""
    refs, measures, _start, end = lead_context(db.url)
    if not refs:
        raise RuntimeError(f"{LEAD} owns no action in this database")
    last = min(end, date.today())
    out: list[Run] = []
    rows = 0
    for k in range(runs):
        as_of = last - timedelta(days=7 * (runs - 1 - k))  # the rounds in date order, the last one newest
        path = workdir / f"updates_{LEAD.split('@')[0]}_{db.backend}_{k + 1}.xlsx"
        rows = update_file(path, refs, measures, as_of, k)
        cmd = [sys.executable, "-m", "tracker", "--db", db.url, "load", str(path), "--kind", "updates", "--as", LEAD]
        run = run_process(cmd)
        out.append(run)
        print(
            f"  {db.backend:<10} file {k + 1}/{runs} ({rows} rows): {run.seconds:5.2f} s, {run.peak_mb:4.0f} MB",
            run.detail,
        )
        if not run.ok:
            break
    return out, rows, len(refs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=3, help="successive update files per backend; median (default 3)")
    p.add_argument("--scale", type=float, default=1.0, help="size of the large institution (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the large institution (default 7)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite database")
    p.add_argument("--pg", metavar="URL", help=f"PostgreSQL (default: TRACKER_BENCH_PG_URL or {DEFAULT_PG})")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = p.parse_args(argv)

    makers: list[tuple[str, Callable[[Path], Database]]] = []
    if not args.no_sqlite:
        cached = cached_sqlite(args.scale, args.seed, args.rebuild)
        makers.append(("sqlite", lambda tmp: sqlite_copy(cached, tmp)))
    if not args.no_pg:
        pg_url = args.pg or os.environ.get("TRACKER_BENCH_PG_URL") or DEFAULT_PG
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
        why = pg_reachable(pg_url)
        if why is None:
            makers.append(("postgresql", lambda _tmp: pg_fresh(pg_url, args.scale, args.seed)))
        else:
            print(f"PostgreSQL skipped: {pg_url} is not reachable ({why})")

    suffix = size_suffix(args.scale)
    figures: dict[str, dict[str, Any]] = {}
    table: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-update-") as tmp:
        for backend, make in makers:
            try:
                db = make(Path(tmp))
            except Exception as exc:  # the server went away mid-build: report it, measure the rest
                print(f"{backend} skipped: building the large institution failed ({type(exc).__name__}: {exc})")
                continue
            try:
                size = db_size_mb(db)
                figures[f"db_size_{backend}{suffix}_mb"] = {
                    "value": round(size, 1),
                    "unit": "MB",
                    "target": None,
                    "met": True,
                }
                runs, rows, n_refs = measure(db, args.runs, Path(tmp))
            except Exception as exc:
                print(f"{backend}: failed ({type(exc).__name__}: {exc})")
                figures[f"lead_update_{backend}{suffix}_seconds"] = {
                    "value": None,
                    "unit": "s",
                    "target": f"<= {TARGET_S:g}",
                    "met": False,
                }
                table.append((backend, "error", "", "", f"{size:.0f}", f"ERROR: {exc}"[:120]))
                continue
            finally:
                db.drop()
            ok = bool(runs) and all(r.ok for r in runs)
            sec = statistics.median(r.seconds for r in runs) if ok else None
            peak = max(r.peak_mb for r in runs) if ok else None
            met = sec is not None and sec <= TARGET_S and peak is not None and peak < PEAK_TARGET_MB
            figures[f"lead_update_{backend}{suffix}_seconds"] = {
                "value": None if sec is None else round(sec, 2),
                "unit": "s",
                "target": f"<= {TARGET_S:g}",
                "met": sec is not None and sec <= TARGET_S,
            }
            figures[f"lead_update_{backend}{suffix}_peak_mb"] = {
                "value": None if peak is None else round(peak, 1),
                "unit": "MB",
                "target": f"< {PEAK_TARGET_MB:g}",
                "met": peak is not None and peak < PEAK_TARGET_MB,
            }
            figures[f"lead_update{suffix}_rows"] = {"value": rows, "unit": "rows", "target": None, "met": True}
            detail = runs[-1].detail if runs else ""
            table.append(
                (
                    backend,
                    f"{sec:.2f}" if sec is not None else "failed",
                    f"{peak:.0f}" if peak is not None else "",
                    f"{rows} rows, {n_refs} actions",
                    f"{size:.0f}",
                    ("yes" if met else "NO") if ok else f"ERROR: {detail}"[:120],
                )
            )

    head = ("backend", "update s", "peak MB", "file", "db MB", f"met (<= {TARGET_S:g} s)")
    widths = [max(len(str(r[i])) for r in [head, *table]) for i in range(len(head))]
    print(f"\na lead's update ({LEAD}) on the large institution x{args.scale:g}, and the database's size")
    for row in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    previous = load_results()
    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
