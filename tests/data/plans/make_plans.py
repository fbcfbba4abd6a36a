"""Write every transcribed plan to `tests/data/plans/<slug>.xlsx` and the expected values to `expected.json`.

    python -m tests.data.plans.make_plans          # (re)write them
    python -m tests.data.plans.make_plans --check  # exit 1 if a committed file differs from its build

The expected values live in the `plans_*.py` modules (decided from the published text before any loader ran);
`expected.json` is the same table in a form anyone can read without Python.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import pkgutil
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

import openpyxl

from tests.data.plans.spec import PlanSpec

HERE = Path(__file__).resolve().parent


def all_plans() -> list[PlanSpec]:
    """Every PlanSpec of every `plans_*` module beside this one, in module order."""
    out: list[PlanSpec] = []
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("plans_")):
        out += importlib.import_module(f"tests.data.plans.{mod}").PLANS
    return out


def contents(data: bytes) -> list[tuple[str, list[list[object]], list[str]]]:
    """Each sheet's cell values and merged ranges: what a build must reproduce (the bytes carry save times)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [
        (ws.title, [list(r) for r in ws.iter_rows(values_only=True)], sorted(str(m) for m in ws.merged_cells.ranges))
        for ws in wb.worksheets
    ]


def expected_table(plans: list[PlanSpec]) -> list[dict[str, object]]:
    def plain(v: object) -> object:
        return v.isoformat() if isinstance(v, date) else v

    rows = []
    for p in plans:
        d = {k: v for k, v in asdict(p).items() if k != "build"}
        d["start"] = p.start.isoformat()
        d["actions"] = [{k: plain(v) for k, v in asdict(a).items()} for a in p.actions]
        rows.append(d)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__).parse_known_args(argv)[1]
    check = "--check" in args
    plans = all_plans()
    slugs = [p.slug for p in plans]
    assert len(set(slugs)) == len(slugs), "two plans share a slug"
    bad = []
    for p in plans:
        path = HERE / f"{p.slug}.xlsx"
        data = p.build()
        if check:
            if not path.exists() or contents(path.read_bytes()) != contents(data):
                bad.append(path.name)
        else:
            path.write_bytes(data)
    table = json.dumps(expected_table(plans), indent=1, ensure_ascii=False) + "\n"
    if check:
        if (HERE / "expected.json").read_text(encoding="utf-8") != table:
            bad.append("expected.json")
        print("differs from its build: " + ", ".join(bad) if bad else f"{len(plans)} plans match their builds")
        return 1 if bad else 0
    (HERE / "expected.json").write_text(table, encoding="utf-8")
    print(f"wrote {len(plans)} plans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
