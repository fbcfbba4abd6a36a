"""Real published plans (tests/data/plans/, transcribed as laid out) load right through every door.

The expected values were decided from each published text before the loader ran on it (tests/data/plans/
plans_*.py; CORPUS_*.md say where each came from and every judgement behind them).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import tracker.config
import tracker.db
from tests.data.plans.make_plans import HERE, all_plans, main
from tests.data.plans.spec import PlanSpec
from tests.test_cli import run as cli
from tracker import cli as tracker_cli
from tracker.plans import window_end

ROOT = Path(__file__).resolve().parent.parent
PLANS = all_plans()
IDS = [p.slug for p in PLANS]
# A layout no reader can settle alone, and what a person tells it (the CLI's --map, the browser's mapping step):
# CCCU's two columns of prose have no headers, and only a reader of English knows which is the action.
PERSON_SAYS: dict[str, tuple[str, ...]] = {"cccu_24m": ("--map", "activity=(column A)")}
# Known misses, each a test that fails until it is fixed (strict xfail): {slug: why}. None at present.
KNOWN_MISSES: dict[str, str] = {}


def corpus_params() -> list[Any]:
    return [
        pytest.param(p, id=p.slug, marks=pytest.mark.xfail(reason=KNOWN_MISSES[p.slug], strict=True))
        if p.slug in KNOWN_MISSES
        else pytest.param(p, id=p.slug)
        for p in PLANS
    ]


def test_corpus_is_twelve_real_plans_from_different_institutions() -> None:
    assert len(PLANS) >= 12
    assert len({p.institution for p in PLANS}) >= 12
    assert all(p.source.startswith("http") for p in PLANS)


def test_committed_workbooks_match_their_builds() -> None:
    assert main(["--check"]) == 0


def cli_in_process(db: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """As `cli` (`python -m tracker --db db ...` with no TRACKER_ settings, from the project folder), but run in
    this process: the command line's own code, without starting Python and importing the tracker (seconds) again.
    Used for the dry runs and the `show` commands around each plan's one real load in its own process."""
    argv = ["--db", db, *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.pop(k) for k in [k for k in os.environ if k.startswith("TRACKER_")]}
    cwd = Path.cwd()
    tracker.config.get_settings.cache_clear()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = tracker_cli.main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(cwd)
        os.environ.update(saved)
        tracker.config.get_settings.cache_clear()
        tracker.db.dispose_all()
    return subprocess.CompletedProcess(["tracker", *argv], code, out.getvalue(), err.getvalue())


def check_loaded(spec: PlanSpec, plan: dict[str, Any], actions: list[dict[str, Any]]) -> None:
    """What was stored against the expected table, with a message naming the plan and action."""
    assert plan["start_date"] == spec.start.isoformat(), f"{spec.slug}: start"
    assert plan["months"] == spec.months, f"{spec.slug}: months"
    end = window_end(spec.start, spec.months)
    got = [(a["activity"][:60], "".join(a["pillars"])) for a in actions]
    assert len(actions) == len(spec.actions), f"{spec.slug}: {len(actions)} actions read: {got}"
    for n, (want, a) in enumerate(zip(spec.actions, actions, strict=True), 1):
        where = f"{spec.slug} action {n} ({want.activity[:40]!r})"
        assert " ".join(a["activity"].split()).startswith(" ".join(want.activity.split())[:40]), (
            f"{where}: activity {a['activity'][:80]!r}"
        )
        assert "".join(a["pillars"]) == want.pillars, f"{where}: pillars"
        assert a["due"] == (want.due or end).isoformat(), f"{where}: due"
        if want.ref:
            assert a["ref"] == want.ref, f"{where}: ref"
        held = " ".join(a["owners"]).lower()
        for owner in want.owners:  # 'OSD Manager/HR BP Operations' is stored as two owners: each part is there
            parts = [p.strip() for p in re.split(r"[/,;]| and ", owner.lower()) if p.strip()]
            assert all(p in held for p in parts), f"{where}: owner {owner} in {a['owners']}"


@pytest.mark.parametrize("spec", corpus_params())
def test_plan_loads_right_through_the_cli(spec: PlanSpec, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    path = HERE / f"{spec.slug}.xlsx"
    args = (*spec.cli_args, *PERSON_SAYS.get(spec.slug, ()))
    dry = cli_in_process(db, "load", path, "--kind", "plan", "--dry-run", *args)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "→ Activity" in dry.stdout and "would write" in dry.stdout  # the mapping and the actions are shown
    assert json.loads(cli_in_process(db, "show", "actions", "--format", "json").stdout) == []  # it wrote nothing
    done = cli(db, "load", path, *args)  # the kind detected, as a user would run it (python -m tracker)
    assert done.returncode == 0, done.stdout + done.stderr
    for code in spec.warnings:
        assert code in done.stdout or code.replace("_", " ") in done.stdout, f"{spec.slug}: no {code} warning"
    plans = json.loads(cli_in_process(db, "show", "plans", "--format", "json").stdout)
    actions = json.loads(cli_in_process(db, "show", "actions", "--format", "json").stdout)
    assert len(plans) == 1
    check_loaded(spec, plans[0], actions)


def test_start_is_asked_for_when_nowhere_to_be_found(tmp_path: Path) -> None:
    spec = next(p for p in PLANS if "--plan-start" in p.cli_args)
    db = f"sqlite:///{tmp_path / 't.db'}"
    p = cli(db, "load", HERE / f"{spec.slug}.xlsx", "--kind", "plan")
    if p.returncode == 0:  # the plan had a date to start from after all: then it said which
        assert "start" in p.stdout
        return
    assert p.returncode == 2, p.stdout + p.stderr
    assert "--plan-start" in p.stderr
    assert json.loads(cli(db, "show", "actions", "--format", "json").stdout) == []


def test_plans_have_dates() -> None:
    assert all(isinstance(p.start, date) for p in PLANS)
