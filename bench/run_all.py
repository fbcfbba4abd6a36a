"""Every benchmark of issue 7 ("Institutional scale") in one run, then ONE table of figures and a growth table.

`make bench` runs this. Not a test (CI never runs it); always exits 0: it reports misses, it does not fail on them.
The steps, each its own script that merges its figures into bench/results.json (see bench/README.md):

1. `bench_import.py`: a 100,000-row HR extract, ours (the CLI) against the naive pandas + ORM path, SQLite and
   PostgreSQL;
2. `bench_pages.py`: every page's server time, cold and warm, on the large institution (bench/large.py), both
   backends;
3. `bench_update.py`: a lead's quarterly update (about 30 rows) loaded with the CLI `--as` that lead, and the
   database's size, both backends;
4. `bench_report.py`: the board pack of the large institution;
5. `bench_load.py`: people at once, issue 18 point 4: one Streamlit server and 25, 50, 100 and 200 simulated people
   (websocket sessions, no browsers) switching page every ~10 s, with Streamlit's post-run garbage collection on
   and off, 60 s each (~13 minutes; `--no-load` skips it, `--load-args` passes flags);
6. growth, at 3x and 10x the large institution (1x is steps 1-4): the pages (cold once, warm three times), the
   lead's update, the database size and the pack, and the HR import at 300,000 and 1,000,000 rows (ours only: the
   naive path would take ~5 minutes at 1,000,000 rows), on both backends (`--growth-sqlite-only`: SQLite only).

Then it prints the combined table (figure, SQLite, PostgreSQL, target, met) and the growth table (1x, 3x, 10x and
the 10x/1x ratio: 10 or less is linear or better) from bench/results.json, with the machine, the date, the load
average and how long the run took, and records the run's facts in results.json too (`bench_*` figures).

Example:
    .venv/bin/python bench/run_all.py                    # everything (~35 minutes on 2 CPUs)
    .venv/bin/python bench/run_all.py --summary-only     # the tables from the figures already recorded
    .venv/bin/python bench/run_all.py --no-growth --import-args=--skip-naive
    .venv/bin/python bench/run_all.py --no-growth --load-args="--people 50,100 --duration 30"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.json"
GROWTH_SCALES = (3.0, 10.0)
BASE_ROWS = 100_000
TOTAL_TARGET_S = 25 * 60
PAGES_ORDER = [
    "home",
    "action_plan",
    "pillars",
    "evidence",
    "workforce",
    "changes",
    "upload",
    "uploads",
    "board_report",
    "admin",
    "audit",
]
LOAD_PEOPLE = (25, 50, 100, 200)
LOAD_GC = ("default", "off")


def suffix(scale: float) -> str:
    return "" if scale == 1 else "_x" + f"{scale:g}".replace(".", "p")


def rows_key(rows: int) -> str:
    return f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


# --- running the steps ----------------------------------------------------------------------------------------


def step(name: str, script: str, args: list[str], log: list[tuple[str, float, int]]) -> None:
    cmd = [sys.executable, str(BENCH / script), *args]
    print(f"\n=== {name}: {' '.join(shlex.quote(c) for c in cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, cwd=ROOT)
    seconds = time.perf_counter() - t0
    log.append((name, seconds, rc))
    print(f"=== {name}: {seconds:.0f} s" + (f" (exit {rc})" if rc else ""), flush=True)


# --- the tables -------------------------------------------------------------------------------------------------


def load() -> dict[str, Any]:
    try:
        data = json.loads(RESULTS.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if unit == "MB" or abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def print_table(head: tuple[str, ...], rows: list[tuple[str, ...]], md: list[str]) -> None:
    """Aligned on the terminal; the same table as Markdown into `md` (for bench/RESULTS.md)."""
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "|".join("---" for _ in head) + "|")
    md.extend("| " + " | ".join(str(v) for v in r) + " |" for r in rows)


def combined(res: dict[str, Any], md: list[str]) -> None:
    """figure | SQLite | PostgreSQL | target | met, for the large institution (1x)."""
    k = rows_key(BASE_ROWS)
    # (label, key with {b} for the backend, unit, target shown)
    specs: list[tuple[str, str, str, str | None]] = [
        (f"HR extract import, {BASE_ROWS:,} rows: ours (s)", f"import_{k}_{{b}}_seconds", "s", None),
        (f"HR extract import, {BASE_ROWS:,} rows: naive (s)", f"naive_{k}_{{b}}_seconds", "s", "reference"),
        (f"HR extract import, {BASE_ROWS:,} rows: bare calamine read (s)", f"bare_{k}_seconds", "s", "reference"),
        ("HR extract import: ours / naive (x)", f"import_{k}_{{b}}_vs_naive", "x", None),
        ("HR extract import: ours / bare read (x)", f"import_{k}_{{b}}_vs_bare", "x", None),
        ("HR extract import: peak memory (MB)", f"import_{k}_{{b}}_peak_mb", "MB", None),
        ("a lead's update import, CLI --as (s)", "lead_update_{b}_seconds", "s", None),
        ("a lead's update import: peak memory (MB)", "lead_update_{b}_peak_mb", "MB", None),
    ]
    for page in PAGES_ORDER:
        specs.append((f"page {page}: cold (s)", f"page_{page}_{{b}}_cold_s", "s", None))
        specs.append((f"page {page}: warm (s)", f"page_{page}_{{b}}_warm_s", "s", None))
    # What a person waits for in Chromium (bench_browser.py, one server on SQLite): beside the server times above.
    specs.append(("in the browser: sign-in to Home drawn (s)", "browser_signin_s", "s", "–"))
    for page in PAGES_ORDER:
        specs.append((f"in the browser: {page} cold (s)", f"browser_page_{page}_cold_s", "s", "–"))
        specs.append((f"in the browser: {page} warm (s)", f"browser_page_{page}_warm_s", "s", "–"))
    specs += [
        ("board pack, large institution (s)", "report_pack{p}_seconds", "s", None),
        ("board pack: pages", "report_pack{p}_pages", "pages", "–"),
        ("database size (MB)", "db_size_{b}_mb", "MB", "–"),
    ]
    # People at once (bench_load.py): one server on SQLite; shown in the SQLite column.
    for n in LOAD_PEOPLE:
        for gc in LOAD_GC:
            what = f"{n} people at once, postScriptGC {gc}"
            specs += [
                (f"{what}: page switch p50 (s)", f"load_{n}people_{gc}_p50_s", "s", None),
                (f"{what}: page switch p95 (s)", f"load_{n}people_{gc}_p95_s", "s", None),
                (f"{what}: runs per second", f"load_{n}people_{gc}_runs_per_s", "runs/s", None),
                (f"{what}: errors and timeouts", f"load_{n}people_{gc}_errors", "", None),
                (f"{what}: server peak memory (MB)", f"load_{n}people_{gc}_peak_mb", "MB", None),
            ]
    for gc in LOAD_GC:
        what = f"long run, postScriptGC {gc}"
        specs += [
            (f"{what}: minutes", f"load_long_{gc}_duration_min", "min", None),
            (f"{what}: people", f"load_long_{gc}_people", "", None),
            (f"{what}: server RSS, first quarter (MB)", f"load_long_{gc}_first_quarter_mb", "MB", None),
            (f"{what}: server RSS, last quarter (MB)", f"load_long_{gc}_last_quarter_mb", "MB", None),
            (f"{what}: RSS growth (%)", f"load_long_{gc}_growth_pct", "%", None),
            (f"{what}: page switch p95 (s)", f"load_long_{gc}_p95_s", "s", None),
        ]
    rows = []
    for label, key, unit, shown_target in specs:
        cells = []
        targets = []
        missed = []
        present = False
        for backend in ("sqlite", "postgresql"):
            if "{p}" in key:  # the pack: bench_report measures SQLite; PostgreSQL under its own key
                fig = res.get(key.format(p="" if backend == "sqlite" else "_postgresql"))
            elif "{b}" not in key:  # measured once, without a database: shown in the SQLite column
                fig = res.get(key) if backend == "sqlite" else None
            else:
                fig = res.get(key.format(b=backend))
            if not isinstance(fig, dict):
                cells.append("–")
                continue
            present = True
            cells.append(fmt(fig.get("value"), unit))
            if fig.get("target"):
                targets.append(str(fig["target"]).split(" (")[0])
            if fig.get("target") and not fig.get("met"):
                missed.append(backend)
        if not present:
            continue
        target = shown_target or (" / ".join(dict.fromkeys(targets)) if targets else "–")
        met = "–" if not targets else ("yes" if not missed else "NO (" + ", ".join(missed) + ")")
        rows.append((label, *cells, target, met))
    print_table(("figure", "SQLite", "PostgreSQL", "target", "met"), rows, md)


def growth(res: dict[str, Any], backends: list[str], md: list[str]) -> None:
    """How the figures grow from 1x to 3x and 10x the large institution (targets are for 1x)."""
    scales = (1.0, *GROWTH_SCALES)
    head = ("figure", *(f"{s:g}x" for s in scales), f"{scales[-1]:g}x / 1x")
    for backend in backends:
        specs: list[tuple[str, list[str], str]] = [
            (
                "HR extract import (s), rows: " + " / ".join(f"{int(BASE_ROWS * s):,}" for s in scales),
                [f"import_{rows_key(int(BASE_ROWS * s))}_{backend}_seconds" for s in scales],
                "s",
            ),
            (
                "HR extract import: peak memory (MB)",
                [f"import_{rows_key(int(BASE_ROWS * s))}_{backend}_peak_mb" for s in scales],
                "MB",
            ),
            ("a lead's update import (s)", [f"lead_update_{backend}{suffix(s)}_seconds" for s in scales], "s"),
            ("database size (MB)", [f"db_size_{backend}{suffix(s)}_mb" for s in scales], "MB"),
        ]
        for page in PAGES_ORDER:
            for which in ("cold", "warm"):
                keys = [f"page_{page}_{backend}{suffix(s)}_{which}_s" for s in scales]
                specs.append((f"page {page}: {which} (s)", keys, "s"))
        pack = "" if backend == "sqlite" else "_postgresql"
        specs.append(("board pack (s)", [f"report_pack{pack}{suffix(s)}_seconds" for s in scales], "s"))
        specs.append(("board pack: pages", [f"report_pack{pack}{suffix(s)}_pages" for s in scales], "pages"))
        rows = []
        for label, keys, unit in specs:
            values = [res.get(k, {}).get("value") if isinstance(res.get(k), dict) else None for k in keys]
            if all(v is None for v in values):
                continue
            ratio = f"{values[-1] / values[0]:.1f}" if values[0] and values[-1] is not None else "–"
            rows.append((label, *(fmt(v, unit) for v in values), ratio))
        if not rows:
            continue
        print(f"\ngrowth on {backend} (targets apply at 1x; a ratio of 10 or less is linear or better):")
        md.append(f"\nGrowth on {backend}:\n")
        print_table(head, rows, md)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs ({cpu}){mem}, {system}, Python {platform.python_version()}"


def pg_version() -> str:
    try:
        import psycopg

        url = os.environ.get("TRACKER_BENCH_PG_URL") or "postgresql://postgres@127.0.0.1:5432/test"
        url = "postgresql://" + url.split("://", 1)[1]
        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("show server_version").fetchone()
            return f"PostgreSQL {row[0]}" if row else ""
    except Exception:
        return "PostgreSQL not reachable"


def summary(res: dict[str, Any], backends: list[str]) -> str:
    md: list[str] = []
    print("\n" + "=" * 100)
    run = {k: res.get(k, {}).get("value") for k in ("bench_started_at", "bench_total_seconds", "bench_load_average")}
    if run["bench_started_at"]:
        print(
            f"run started {run['bench_started_at']}, took {fmt(run['bench_total_seconds'])} s; load average at the"
            f" end {run['bench_load_average']}"
        )
    print(f"machine: {machine()}; {pg_version()}")
    print("\nthe large institution (1x: 3 plans, 500 actions, 20,000 updates and evidence, 100,000 workforce rows):")
    combined(res, md)
    growth(res, backends, md)
    print(f"\nfigures: {RESULTS.relative_to(ROOT)}")
    return "\n".join(md) + "\n"


# --- main ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--summary-only", action="store_true", help="print the tables from bench/results.json, run nothing")
    p.add_argument("--no-growth", action="store_true", help="skip the 3x and 10x runs (the growth table shows 1x)")
    p.add_argument("--growth-only", action="store_true", help="only the 3x and 10x runs, then the tables")
    p.add_argument("--growth-sqlite-only", action="store_true", help="the growth runs on SQLite only (~5 minutes less)")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--import-args", default="", help="extra flags for bench_import.py (e.g. --skip-naive)")
    p.add_argument("--pages-args", default="", help="extra flags for bench_pages.py at 1x")
    p.add_argument("--no-load", action="store_true", help="skip bench_load.py (people at once, ~13 minutes)")
    p.add_argument("--no-browser", action="store_true", help="skip bench_browser.py (waits in Chromium, ~8 minutes)")
    p.add_argument("--load-args", default="", help='extra flags for bench_load.py (e.g. "--people 50,100")')
    p.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    args = p.parse_args(argv)

    backends = ["sqlite"] if args.no_pg else ["sqlite", "postgresql"]
    if args.summary_only:
        md = summary(load(), backends)
        if args.markdown:
            args.markdown.write_text(md)
        return 0

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    log: list[tuple[str, float, int]] = []
    pg = ["--no-pg"] if args.no_pg else []
    if not args.growth_only:
        step("HR extract import, 100,000 rows", "bench_import.py", [*pg, *shlex.split(args.import_args)], log)
        step("pages, 1x", "bench_pages.py", [*pg, *shlex.split(args.pages_args)], log)
        step("a lead's update and the database size, 1x", "bench_update.py", pg, log)
        step("board pack, 1x", "bench_report.py", pg, log)
        if not args.no_browser:
            step("what people wait for in the browser, 1x", "bench_browser.py", [], log)
        if not args.no_load:
            step("people at once", "bench_load.py", shlex.split(args.load_args), log)
    if not args.no_growth:
        gpg = ["--no-pg"] if args.growth_sqlite_only else pg
        for scale in GROWTH_SCALES:
            s = f"{scale:g}"
            step(f"pages, {s}x", "bench_pages.py", ["--scale", s, "--cold-runs", "1", "--warm-runs", "3", *gpg], log)
            step(
                f"a lead's update and the database size, {s}x",
                "bench_update.py",
                ["--scale", s, "--runs", "1", *gpg],
                log,
            )
            rows = str(int(BASE_ROWS * scale))
            step(
                f"HR extract import, {int(rows):,} rows",
                "bench_import.py",
                ["--rows", rows, "--runs", "1", "--skip-naive", *gpg],
                log,
            )
            step(f"board pack, {s}x", "bench_report.py", ["--scale", s, "--large-only", *gpg], log)
            if not args.no_browser:
                step(
                    f"what people wait for in the browser, {s}x",
                    "bench_browser.py",
                    ["--scale", s, "--rounds", "1"],
                    log,
                )
    total = time.perf_counter() - t0

    res = load()
    load_avg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    res["bench_started_at"] = {
        "value": started.isoformat(timespec="seconds"),
        "unit": "UTC",
        "target": None,
        "met": True,
    }
    res["bench_total_seconds"] = {
        "value": round(total),
        "unit": "s",
        "target": f"<= {TOTAL_TARGET_S}",
        "met": total <= TOTAL_TARGET_S,
    }
    res["bench_load_average"] = {"value": load_avg, "unit": "1/5/15 min", "target": None, "met": True}
    res["bench_machine"] = {"value": machine(), "unit": "", "target": None, "met": True}
    RESULTS.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")

    print("\nsteps:")
    for name, seconds, rc in log:
        print(f"  {seconds:6.0f} s  {name}" + (f"  (exit {rc})" if rc else ""))
    md = summary(res, backends)
    if args.markdown:
        args.markdown.write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
