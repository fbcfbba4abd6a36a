"""Benchmark: building the board pack (targets: the large institution's at most 5 s, the demo's at most 2 s, and
10x the large institution's data at most 10x the large pack's time).

Not a test (CI never runs it). Run `make bench` or `.venv/bin/python bench/bench_report.py --help`.
The large institution (bench/large.py) is built once into a cached SQLite file under bench/out/ (shared with
bench_pages.py) and copied to a fresh file for every run. Each run is its own process, as `python -m tracker
report` would be: the figure is the wall time of `build_pack` in a fresh process (gathering the views while the
browser starts and draws each chart as SVG, Typst setting the pages as PDF/UA, storing the pack), with the
process's imports reported apart. The same process then builds the pack again (`again`: the charts come from
the process's cache, as a second click on the Board report page would). `*_warm` cases time the same packs with
the browser started and ready beforehand, as on the Board report page, which starts it when the page opens (the
cold figure less the browser's start). The large pack without charts and, when bench/out holds the 10x database
(or with --x10, which builds it), the pack at 10x are measured too. Prints a table and merges figures into
bench/results.json; the packs are kept under bench/out/.
Always exits 0: it reports misses.

Example:
    .venv/bin/python bench/bench_report.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
TARGET_S = 5.0  # the large institution's pack
DEMO_TARGET_S = 2.0  # the demo's pack
GROWTH = 10.0  # 10x the data: at most 10x the time
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(db_url: str, charts: bool, demo: bool, out: str, warm: bool = False) -> None:
    """One measured build in this process; prints a JSON line with the figures. `warm`: the browser is started
    and ready before the build is timed, as on the Board report page (which starts it when the page opens)."""
    t0 = time.perf_counter()
    from sqlmodel import Session

    from tracker.auth import SYSTEM
    from tracker.db import open_engine
    from tracker.report import build_pack

    engine = open_engine(db_url)
    if demo:
        from tracker.demo import load_demo

        with Session(engine) as s:
            load_demo(session=s)
    if warm:
        from tracker.charts.export import browser_ready, warm_up

        warm_up()
        browser_ready()
    imports = time.perf_counter() - t0
    cpu0 = time.process_time()
    t1 = time.perf_counter()
    with Session(engine) as s:
        result = build_pack(session=s, actor=SYSTEM, charts=charts)
    seconds = time.perf_counter() - t1
    cpu = time.process_time() - cpu0
    if out:
        Path(out).write_bytes(result.pdf)
    # The same pack again in the same process (a second click): the charts come from the process's cache.
    t2 = time.perf_counter()
    with Session(engine) as s:
        build_pack(
            session=s, actor=SYSTEM, charts=charts, period_start=result.period_start, period_end=result.period_end
        )
    line = {
        "seconds": seconds,
        "again_seconds": time.perf_counter() - t2,
        "cpu_seconds": cpu,
        "setup_seconds": imports,
        "pages": result.pages,
        "bytes": len(result.pdf),
        "has_charts": result.has_charts,
        "notes": result.notes,
    }
    print("RESULT " + json.dumps(line), flush=True)


@dataclass
class Case:
    name: str
    charts: bool
    demo: bool = False
    backend: str = "sqlite"
    scale: float = 1.0
    warm: bool = False
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.runs]
        return statistics.median(values) if values else None


def run_case(case: Case, cached: Path | None, workdir: Path, keep: Path | None, pg_url: str = "") -> None:
    path = workdir / f"{case.name}.db"
    for p in workdir.glob(path.name + "*"):
        p.unlink()
    if cached is not None:
        shutil.copyfile(cached, path)
    url = pg_url or f"sqlite:///{path}"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        url,
        "--child-charts" if case.charts else "--child-no-charts",
    ]
    if case.demo:
        cmd.append("--child-demo")
    if case.warm:
        cmd.append("--child-warm")
    if keep is not None:
        cmd += ["--child-out", str(keep)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    for p in workdir.glob(path.name + "*"):
        p.unlink()
    found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not found:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        case.error = f"exit {proc.returncode}: {tail[:160]}"
        return
    case.runs.append(json.loads(found[-1][len("RESULT ") :]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=1, help="measured builds per case; the median is reported (default 1)")
    p.add_argument("--scale", type=float, default=1.0, help="size of the large institution (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the large institution (default 7)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite database")
    p.add_argument("--large-only", action="store_true", help="only the large pack with charts (growth runs)")
    p.add_argument("--x10", action="store_true", help="also the pack at 10x, building the 10x database if need be")
    p.add_argument("--no-x10", action="store_true", help="not the pack at 10x, even when its database is cached")
    p.add_argument("--pg", metavar="URL", help=f"PostgreSQL (default: TRACKER_BENCH_PG_URL or {DEFAULT_PG})")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--child-charts", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-no-charts", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-demo", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-warm", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-out", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(
            args.child, charts=not args.child_no_charts, demo=args.child_demo, out=args.child_out, warm=args.child_warm
        )
        return 0

    from bench_pages import cached_sqlite

    from tracker.charts.export import charts_available

    ok, why = charts_available()
    print(f"charts: {why}")
    cached = cached_sqlite(args.scale, args.seed, args.rebuild)
    print(f"large institution x{args.scale:g} (seed {args.seed}): {cached.relative_to(ROOT)}")
    cases = [Case("large", charts=True, scale=args.scale)]
    databases = {args.scale: cached}
    if not args.large_only:
        cases += [
            Case("large_warm", charts=True, warm=True),
            Case("large_no_charts", charts=False),
            Case("demo", charts=True, demo=True),
            Case("demo_warm", charts=True, demo=True, warm=True),
        ]
        if args.scale == 1 and not args.no_x10:
            x10 = OUT / cached.name.replace("large_x1_", "large_x10_")
            if args.x10 or (x10.exists() and x10.stat().st_size > 0):
                databases[GROWTH] = cached_sqlite(GROWTH, args.seed, False)
                cases.append(Case("large_x10", charts=True, scale=GROWTH))
            else:
                print(f"the pack at 10x skipped: no {x10.relative_to(ROOT)} (--x10 builds it)")
    pg_url = ""
    if not args.no_pg:
        from bench_import import pg_reachable

        pg_url = args.pg or os.environ.get("TRACKER_BENCH_PG_URL") or DEFAULT_PG
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
        unreachable = pg_reachable(pg_url)
        if unreachable is None:
            cases.insert(1, Case("large_postgresql", charts=True, backend="postgresql"))
        else:
            print(f"PostgreSQL skipped: {pg_url} is not reachable ({unreachable})")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tracker-bench-report-") as tmp:
        for case in cases:
            for k in range(args.runs):
                keep = OUT / f"{case.name}_pack.pdf" if k == 0 else None
                if case.backend == "postgresql":
                    from bench_pages import pg_fresh

                    db = pg_fresh(pg_url, args.scale, args.seed)  # a fresh schema per build: each keeps its pack
                    try:
                        run_case(case, None, Path(tmp), keep, db.url)
                    finally:
                        db.drop()
                else:
                    run_case(case, None if case.demo else databases[case.scale], Path(tmp), keep)
                if case.error:
                    break
            shown = case.error or ", ".join(
                f"{r['seconds']:.2f} s (again {r['again_seconds']:.2f} s)" for r in case.runs
            )
            print(f"  {case.name:<16} {shown}")

    def size(scale: float) -> str:
        return "" if scale == 1 else "_x" + f"{scale:g}".replace(".", "p")

    try:
        previous = json.loads(RESULTS.read_text())
        previous = previous if isinstance(previous, dict) else {}
    except (OSError, ValueError):
        previous = {}
    base_1x = next((c.median("seconds") for c in cases if c.name == "large" and c.scale == 1 and not c.error), None)
    if base_1x is None:
        recorded = previous.get("report_pack_seconds")
        base_1x = recorded.get("value") if isinstance(recorded, dict) else None

    def target_of(case: Case) -> tuple[str | None, float | None]:
        """(the target as written, the limit in seconds) for a case; (None, None) for the comparisons."""
        if not case.charts:
            return None, None
        if case.warm:  # the same pack with the browser already started: for comparison
            return None, None
        if case.demo:
            return f"<= {DEMO_TARGET_S:g}", DEMO_TARGET_S
        if case.scale == 1:
            return f"<= {TARGET_S:g}", TARGET_S
        if base_1x:  # linear: at most scale x the 1x pack
            return f"<= {case.scale:g} x 1x ({case.scale * base_1x:.1f})", case.scale * base_1x
        return None, None

    figures: dict[str, dict[str, Any]] = {}
    head = ("pack", "seconds", "again", "cpu s", "pages", "size MB", "charts", "target", "met")
    table = []
    for case in cases:
        sec = case.median("seconds")
        target, limit = target_of(case)
        met = sec is not None and not case.error and (limit is None or sec <= limit)
        if case.error or sec is None:
            table.append((case.name, "error", "", "", "", "", "", target or "", f"ERROR: {case.error}"))
        else:
            run = case.runs[0]
            table.append(
                (
                    case.name,
                    f"{sec:.2f}",
                    f"{case.median('again_seconds'):.2f}",
                    f"{case.median('cpu_seconds'):.2f}",
                    str(run["pages"]),
                    f"{run['bytes'] / 1e6:.2f}",
                    "yes" if run["has_charts"] else "no (" + "; ".join(run["notes"])[:60] + ")",
                    target or "–",
                    "yes" if met else "NO",
                )
            )
        base = {
            "large": "report_pack",
            "large_x10": "report_pack",
            "large_postgresql": "report_pack_postgresql",
            "large_warm": "report_pack_browser_warm",
            "large_no_charts": "report_pack_no_charts",
            "demo": "report_demo_pack",
            "demo_warm": "report_demo_pack_browser_warm",
        }
        scale = args.scale if case.name != "large_x10" else GROWTH
        key = base[case.name] + ("" if case.demo else size(scale))
        figures[key + "_seconds"] = {
            "value": None if sec is None or case.error else round(sec, 2),
            "unit": "s",
            "target": target,
            "met": bool(met),
        }
        again = case.median("again_seconds")
        if case.charts and again is not None and not case.error:
            figures[key + "_again_seconds"] = {
                "value": round(again, 2),
                "unit": "s",
                "target": None,
                "met": True,
            }
        if case.name.startswith("large") and case.charts and case.runs:
            figures[key + "_pages"] = {
                "value": case.runs[0]["pages"],
                "unit": "pages",
                "target": None,
                "met": True,
            }
    widths = [max(len(str(r[i])) for r in [head, *table]) for i in range(len(head))]
    print()
    for row in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs", end="")
    print(" (a busy machine inflates every figure)" if load[1] > (os.cpu_count() or 1) else "")
    if not ok:
        print("no browser: the large pack's figure is without charts (install chromium for the real figure)")

    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated); packs in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
