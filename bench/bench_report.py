"""Benchmark: building the board pack for the large institution (target: at most 15 s).

Not a test (CI never runs it). Run `make bench` or `.venv/bin/python bench/bench_report.py --help`.
The large institution (bench/large.py) is built once into a cached SQLite file under bench/out/ (shared with
bench_pages.py) and copied to a fresh file for every run. Each run is its own process, as `python -m tracker
report` would be: the figure is the wall time of `build_pack` (gathering the views, starting the browser and
drawing every chart as SVG, WeasyPrint's layout and the PDF/UA file, storing the pack), with the process's
imports reported apart. The demo pack and the large pack without charts are measured too, for comparison.
Prints a table and merges figures into bench/results.json; the large pack is kept as bench/out/large_pack.pdf.
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
TARGET_S = 15.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(db_url: str, charts: bool, demo: bool, out: str) -> None:
    """One measured build in this process; prints a JSON line with the figures."""
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
    imports = time.perf_counter() - t0
    cpu0 = time.process_time()
    t1 = time.perf_counter()
    with Session(engine) as s:
        result = build_pack(session=s, actor=SYSTEM, charts=charts)
    seconds = time.perf_counter() - t1
    if out:
        Path(out).write_bytes(result.pdf)
    line = {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu0,
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
    p.add_argument("--pg", metavar="URL", help=f"PostgreSQL (default: TRACKER_BENCH_PG_URL or {DEFAULT_PG})")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--child-charts", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-no-charts", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-demo", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-out", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, charts=not args.child_no_charts, demo=args.child_demo, out=args.child_out)
        return 0

    from bench_pages import cached_sqlite

    from tracker.charts.export import charts_available

    ok, why = charts_available()
    print(f"charts: {why}")
    cached = cached_sqlite(args.scale, args.seed, args.rebuild)
    print(f"large institution x{args.scale:g} (seed {args.seed}): {cached.relative_to(ROOT)}")
    cases = [Case("large", charts=True)]
    if not args.large_only:
        cases += [Case("large_no_charts", charts=False), Case("demo", charts=True, demo=True)]
    pg_url = ""
    if not args.no_pg:
        from bench_import import pg_reachable

        pg_url = args.pg or os.environ.get("TRACKER_BENCH_PG_URL") or DEFAULT_PG
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
        why = pg_reachable(pg_url)
        if why is None:
            cases.insert(1, Case("large_postgresql", charts=True, backend="postgresql"))
        else:
            print(f"PostgreSQL skipped: {pg_url} is not reachable ({why})")
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
                    run_case(case, None if case.demo else cached, Path(tmp), keep)
                if case.error:
                    break
            shown = case.error or ", ".join(f"{r['seconds']:.2f} s" for r in case.runs)
            print(f"  {case.name:<16} {shown}")

    size = "" if args.scale == 1 else "_x" + f"{args.scale:g}".replace(".", "p")
    figures: dict[str, dict[str, Any]] = {}
    head = ("pack", "seconds", "cpu s", "pages", "size MB", "charts", "target", "met")
    table = []
    for case in cases:
        sec = case.median("seconds")
        target = f"<= {TARGET_S:g}" if case.name.startswith("large") and case.charts else None
        met = sec is not None and not case.error and (target is None or sec <= TARGET_S)
        if case.error or sec is None:
            table.append((case.name, "error", "", "", "", "", target or "", f"ERROR: {case.error}"))
        else:
            run = case.runs[0]
            table.append(
                (
                    case.name,
                    f"{sec:.2f}",
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
            "large_postgresql": "report_pack_postgresql",
            "large_no_charts": "report_pack_no_charts",
            "demo": "report_demo_pack",
        }
        key = base[case.name] + ("" if case.demo else size) + "_seconds"
        figures[key] = {
            "value": None if sec is None or case.error else round(sec, 2),
            "unit": "s",
            "target": target,
            "met": bool(met),
        }
        if case.name.startswith("large") and case.charts and case.runs:
            figures[base[case.name] + size + "_pages"] = {
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

    try:
        previous = json.loads(RESULTS.read_text())
        previous = previous if isinstance(previous, dict) else {}
    except (OSError, ValueError):
        previous = {}
    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated); packs in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
