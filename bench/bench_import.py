"""Benchmark: importing a 100,000-row HR extract, ours (CLI) against the naive pandas + ORM path and a bare
python-calamine read (open the workbook, read every row, nothing else) in its own process.

Not a test (CI never runs it). Run `make bench` or `.venv/bin/python bench/bench_import.py --help`.
Every measured run is its own process on a fresh, already-migrated database, so wall time and peak
memory (ru_maxrss from wait4) belong to that run alone. Prints a table and merges figures into
bench/results.json. Always exits 0: it reports misses, it does not fail on them.

Example:
    .venv/bin/python bench/bench_import.py --runs 3 --naive-runs 1 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GENERATOR_VERSION = 1  # bump when the synthetic extract changes, so cached files are rebuilt
# Issue 18: ours at most 0.12 x the naive path and at most 2.5 x a bare calamine read, both measured in the same
# run; peak memory (the CLI and its sandboxed child) under 400 MB, at 1,000,000 rows too.
NAIVE_RATIO_TARGET = 0.12
BARE_RATIO_TARGET = 2.5
PEAK_TARGET_MB = 400.0

sys.path.insert(0, str(ROOT))

HEADER = [
    "Staff Number",
    "Surname",
    "Forename",
    "As at",
    "Faculty",
    "Department",
    "Job Family",
    "Grade",
    "Sex",
    "FTE",
    "Contract",
    "Location",
]
FACULTIES = {
    "Arts & Humanities": ["History of Art", "Slade School of Fine Art", "Information Studies"],
    "Brain Sciences": ["Institute of Neurology", "Ear Institute", "Psychology & Language Sciences"],
    "Engineering Sciences": ["Civil Engineering", "Mechanical Engineering", "Chemical Engineering"],
    "Life Sciences": ["Biosciences", "Pharmacy", "Structural & Molecular Biology"],
    "Mathematical & Physical Sciences": ["Chemistry", "Physics & Astronomy", "Earth Sciences"],
    "Medical Sciences": ["Medicine", "Cancer Institute", "Surgery & Interventional Science"],
    "Population Health Sciences": ["Epidemiology", "Child Health", "Global Health"],
}
JOB_FAMILIES = ["Laboratory", "Workshop", "IT", "Imaging", "Research Facility"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Patel", "Khan", "Evans", "Thomas"]
FORENAMES = ["Sam", "Alex", "Jo", "Chris", "Priya", "Mohammed", "Olivia", "Jack", "Amelia", "Noah"]
SEX_CODES = ["F", "M", "F", "M", "F", "M", "Not known", "Other"]
FTES = [1.0, 1.0, 1.0, 0.8, 0.6, 0.5, 0.4]
CONTRACTS = ["Open-ended", "Fixed-term", "Apprentice"]
LOCATIONS = ["Bloomsbury", "Stratford", "Royal Free", "Harwell"]
AS_AT = date(2024, 7, 31)


# --- the synthetic extract -------------------------------------------------------------------------


def extract_path(rows: int, seed: int) -> Path:
    return OUT / f"hr_extract_{rows}_s{seed}_v{GENERATOR_VERSION}.xlsx"


def generate(rows: int, seed: int) -> Path:
    """The per-person extract for (rows, seed), written once and reused (same inputs, same bytes)."""
    path = extract_path(rows, seed)
    if path.exists() and path.stat().st_size > 0:
        return path
    from openpyxl import Workbook

    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    faculties = list(FACULTIES)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Technical staff")
    ws.append(HEADER)
    t0 = time.perf_counter()
    for i in range(rows):
        fac = rng.choice(faculties)
        ws.append(
            [
                f"{10_000_000 + i:08d}",
                rng.choice(SURNAMES),
                rng.choice(FORENAMES),
                AS_AT,
                fac,
                rng.choice(FACULTIES[fac]),
                rng.choice(JOB_FAMILIES),
                f"Grade {rng.randint(4, 9)}",
                rng.choice(SEX_CODES),
                rng.choice(FTES),
                rng.choice(CONTRACTS),
                rng.choice(LOCATIONS),
            ]
        )
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)  # a run killed mid-write leaves no half file to be "cached"
    print(
        f"generated {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.0f} s"
    )
    return path


# --- databases ---------------------------------------------------------------------------------------


def pg_reachable(url: str) -> str | None:
    """None when PostgreSQL at `url` answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # any failure means "skip PostgreSQL", with the reason shown
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@dataclass
class Database:
    """A fresh, migrated database for one run: a new SQLite file, or a new PostgreSQL schema."""

    backend: str
    url: str
    cleanup: Any = None

    def drop(self) -> None:
        if self.cleanup:
            self.cleanup()


def fresh_db(backend: str, pg_url: str | None, workdir: Path) -> Database:
    from tracker.db import make_engine, migrate

    if backend == "sqlite":
        path = workdir / f"bench_{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"

        def cleanup() -> None:
            for p in workdir.glob(path.name + "*"):
                p.unlink(missing_ok=True)

    else:
        assert pg_url is not None
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_libpq(pg_url), autocommit=True) as conn:
            conn.execute(f'create schema "{schema}"')
        sep = "&" if "?" in pg_url else "?"
        url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with psycopg.connect(_libpq(pg_url), autocommit=True) as conn:
                conn.execute(f'drop schema if exists "{schema}" cascade')

    engine = make_engine(url)
    try:
        migrate(engine)  # schema creation is not part of what is measured
    finally:
        engine.dispose()
    return Database(backend, url, cleanup)


# --- one measured run, in its own process --------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mb: float
    ok: bool
    detail: str = ""


def run_process(cmd: list[str]) -> Run:
    """Wall time and peak RSS of one child process (wait4 gives that child's own ru_maxrss)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace").strip()
        stderr = err.read().decode(errors="replace").strip()
    ok = proc.returncode == 0
    detail = stdout.splitlines()[-1] if stdout else ""
    if not ok:
        detail = f"exit {proc.returncode}: " + (stderr.splitlines()[-1] if stderr else detail)
    return Run(seconds, usage.ru_maxrss / 1024, ok, detail)  # ru_maxrss is KiB on Linux


def child_ours_inprocess(path: Path, url: str) -> str:
    """Ours without the CLI: read, validate and aggregate, one bulk insert."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.ingest.reader import read_workbook
    from tracker.ingest.workforce import load_workforce
    from tracker.models import WorkforceRecord

    result = load_workforce(read_workbook(path))
    if not result.valid:
        raise SystemExit("\n".join(result.issue_lines()[:5]))
    engine = make_engine(url)
    with Session(engine) as session:
        session.execute(insert(WorkforceRecord), [r.model_dump() for r in result.rows])
        session.commit()
    engine.dispose()
    return f"{result.meta['input_rows']} input rows -> {len(result.rows)} snapshot rows"


def child_naive(path: Path, url: str) -> str:
    """The path the issue names: pandas + openpyxl, then one ORM object per row and one commit."""
    import pandas as pd
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.models import WorkforceRecord

    df = pd.read_excel(path, engine="openpyxl")
    engine = make_engine(url)
    with Session(engine) as session:
        for row in df.itertuples(index=False):
            session.add(
                WorkforceRecord(
                    as_of=pd.Timestamp(row[3]).date(),
                    faculty=row[4],
                    department=row[5],
                    job_family=row[6],
                    grade=row[7],
                    sex=row[8],
                    fte=float(row[9]),
                    headcount=1,
                )
            )
        session.commit()
    engine.dispose()
    return f"{len(df)} rows inserted one ORM object at a time"


def child_bare(path: Path, url: str) -> str:
    """The floor: python-calamine opens the workbook and reads every row of every sheet; no checks, no database."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(path))
    n = sum(len(wb.get_sheet_by_name(name).to_python()) for name in wb.sheet_names)
    return f"{n} rows read by python-calamine"


CHILDREN = {"ours-inprocess": child_ours_inprocess, "naive": child_naive, "bare": child_bare}


def cli_available() -> bool:
    """True once `python -m tracker --help` works (the CLI is written alongside this bench)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tracker", "--help"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and b"load" in proc.stdout


def command(case: str, path: Path, url: str) -> list[str]:
    if case == "ours-cli":
        return [sys.executable, "-m", "tracker", "--db", url, "load", str(path), "--kind", "workforce"]
    return [sys.executable, str(Path(__file__).resolve()), "--child", case, "--file", str(path), "--db", url]


# --- the report ------------------------------------------------------------------------------------------


@dataclass
class Case:
    case: str
    backend: str
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.runs)


def measure(case: str, backend: str, path: Path, pg_url: str | None, n: int, workdir: Path) -> Case:
    c = Case(case, backend)
    for k in range(n):
        db = fresh_db("sqlite" if backend == "-" else backend, pg_url, workdir)  # the bare read uses none
        try:
            run = run_process(command(case, path, db.url))
        finally:
            db.drop()
        c.runs.append(run)
        print(f"  {case:<15} {backend:<10} run {k + 1}/{n}: {run.seconds:6.2f} s, {run.peak_mb:6.0f} MB  {run.detail}")
        if not run.ok:
            break
    return c


def load_results() -> dict[str, Any]:
    try:
        data = json.loads(RESULTS.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def report(cases: list[Case], rows: int, previous: dict[str, Any]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    table: list[tuple[str, ...]] = []
    k = f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)
    for c in cases:
        ours = c.case.startswith("ours")
        label = {
            "ours-cli": "ours (CLI)",
            "ours-inprocess": "ours (IN-PROCESS, not the CLI)",
            "bare": "bare python-calamine read",
        }.get(c.case, c.case)
        if not c.ok:
            table.append((label, c.backend, "failed", "", "", c.runs[-1].detail if c.runs else ""))
            if ours:
                figures[f"import_{k}_{c.backend}_seconds"] = {
                    "value": None,
                    "unit": "s",
                    "target": None,
                    "met": False,
                }
            continue
        if not ours:
            prefix = "naive" if c.case == "naive" else "bare"
            key = f"{prefix}_{k}_{c.backend}_seconds" if prefix == "naive" else f"bare_{k}_seconds"
            figures[key] = {"value": round(c.seconds, 2), "unit": "s", "target": None, "met": True}
            table.append((label, c.backend, f"{c.seconds:.2f}", f"{c.peak_mb:.0f}", "reference", ""))
            continue
        naive = next((n for n in cases if n.case == "naive" and n.backend == c.backend and n.ok), None)
        naive_s: float | None = naive.seconds if naive else None
        source = "measured"
        if naive_s is None:
            old = previous.get(f"naive_{k}_{c.backend}_seconds", {})
            naive_s = old.get("value") if isinstance(old, dict) else None
            source = "from results.json"
        bare = next((n for n in cases if n.case == "bare" and n.ok), None)
        met_naive = naive_s is not None and c.seconds <= NAIVE_RATIO_TARGET * naive_s
        met_bare = bare is not None and c.seconds <= BARE_RATIO_TARGET * bare.seconds
        met_mem = c.peak_mb < PEAK_TARGET_MB
        limits = [NAIVE_RATIO_TARGET * naive_s if naive_s else None, BARE_RATIO_TARGET * bare.seconds if bare else None]
        limit = min((x for x in limits if x is not None), default=None)
        figures[f"import_{k}_{c.backend}_seconds"] = {
            "value": round(c.seconds, 2),
            "unit": "s",
            "target": f"<= {limit:.2f} (the lower of {NAIVE_RATIO_TARGET:g} x naive and {BARE_RATIO_TARGET:g} x bare)"
            if limit
            else "naive and bare not measured",
            "met": met_naive and met_bare,
        }
        figures[f"import_{k}_{c.backend}_peak_mb"] = {
            "value": round(c.peak_mb, 1),
            "unit": "MB",
            "target": f"< {PEAK_TARGET_MB:g}",
            "met": met_mem,
        }
        if naive_s:
            figures[f"import_{k}_{c.backend}_vs_naive"] = {
                "value": round(c.seconds / naive_s, 3),
                "unit": "x",
                "target": f"<= {NAIVE_RATIO_TARGET:g} (naive {source})",
                "met": met_naive,
            }
        if bare:
            figures[f"import_{k}_{c.backend}_vs_bare"] = {
                "value": round(c.seconds / bare.seconds, 2),
                "unit": "x",
                "target": f"<= {BARE_RATIO_TARGET:g} (bare measured)",
                "met": met_bare,
            }
        target = (f"<= {limit:.2f} s" if limit else "(no naive or bare)") + f", < {PEAK_TARGET_MB:g} MB"
        table.append(
            (
                label,
                c.backend,
                f"{c.seconds:.2f}",
                f"{c.peak_mb:.0f}",
                target,
                _met(met_naive and met_bare, met_mem),
            )
        )
    head = ("case", "backend", "seconds", "peak MB", "target", "met")
    widths = [max(len(str(r[i])) for r in [head, *table]) for i in range(len(head))]
    print()
    for r in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return figures


def _met(time_ok: bool, memory_ok: bool) -> str:
    missed = [name for name, ok in (("time", time_ok), ("memory", memory_ok)) if not ok]
    return "yes" if not missed else "NO (" + ", ".join(missed) + ")"


def raise_limits(rows: int, path: Path) -> None:
    """Growth runs (issue 7: up to 1,000,000 rows) go past the product's default limits on rows (500,000) and file
    size (20 MB), which are settings (TRACKER_MAX_ROWS, TRACKER_MAX_UPLOAD_BYTES): raise them for this run's
    children, and say so. The default-sized extract runs with the defaults."""
    from tracker.config import Settings

    defaults = Settings()
    size = path.stat().st_size
    if rows > defaults.max_rows and not os.environ.get("TRACKER_MAX_ROWS"):
        os.environ["TRACKER_MAX_ROWS"] = str(rows + 1000)
        print(f"TRACKER_MAX_ROWS={rows + 1000} for this run ({rows:,} rows > the default {defaults.max_rows:,})")
    if size > defaults.max_upload_bytes and not os.environ.get("TRACKER_MAX_UPLOAD_BYTES"):
        os.environ["TRACKER_MAX_UPLOAD_BYTES"] = str(2 * size)
        print(f"TRACKER_MAX_UPLOAD_BYTES={2 * size} for this run ({size / 1e6:.0f} MB > the default 20 MB)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=100_000, help="rows in the synthetic extract (default 100000)")
    p.add_argument("--seed", type=int, default=2018, help="random seed of the synthetic extract")
    p.add_argument("--runs", type=int, default=3, help="measured runs of ours; the median is reported (default 3)")
    p.add_argument("--naive-runs", type=int, default=1, help="measured runs of the naive path (default 1, ~30 s each)")
    p.add_argument("--skip-naive", action="store_true", help="reuse the naive figure in bench/results.json")
    p.add_argument("--skip-bare", action="store_true", help="do not measure the bare calamine read (growth runs)")
    p.add_argument(
        "--pg",
        metavar="URL",
        help=f"PostgreSQL to measure too (default: TRACKER_BENCH_PG_URL or {DEFAULT_PG})",
    )
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--in-process", action="store_true", help="measure ours in-process even when the CLI works")
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:  # one measured in-process run; the parent times and sizes this process
        print(CHILDREN[args.child](args.file, args.db))
        return 0

    path = generate(args.rows, args.seed)
    print(
        f"extract: {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB, "
        f"{args.rows:,} rows x {len(HEADER)} columns)"
    )
    raise_limits(args.rows, path)
    backends = ["sqlite"]
    pg_url = None
    if not args.no_pg:
        pg_url = args.pg or os.environ.get("TRACKER_BENCH_PG_URL") or DEFAULT_PG
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
        why = pg_reachable(pg_url)
        if why is None:
            backends.append("postgresql")
        else:
            print(f"PostgreSQL skipped: {pg_url} is not reachable ({why})")
            pg_url = None
    ours = "ours-cli" if not args.in_process and cli_available() else "ours-inprocess"
    if ours == "ours-inprocess" and not args.in_process:
        print("`python -m tracker --help` does not work yet: measuring ours IN-PROCESS (reader + loader + bulk insert)")

    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        if not args.skip_bare:
            cases.append(measure("bare", "-", path, None, args.runs, Path(tmp)))
        for backend in backends:
            cases.append(measure(ours, backend, path, pg_url, args.runs, Path(tmp)))
            if not args.skip_naive:
                cases.append(measure("naive", backend, path, pg_url, args.naive_runs, Path(tmp)))

    previous = load_results()
    figures = report(cases, args.rows, previous)
    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
