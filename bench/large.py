"""A large institution for benchmarks: three plans, 500 actions, 20,000 updates and evidence, 100,000 workforce rows.

Issue 3 (page speed) and issue 7 (institutional scale) measure the product on this data set. It is synthetic,
deterministic for a (scale, seed) and written straight into the tables with bulk inserts
(`session.execute(insert(Model), dicts)`), the way the importer stores what it has validated: no files are read
and no ORM objects are made one by one. Rows carry explicit ids (the database must be empty); on PostgreSQL the id
sequences are moved past them afterwards, so the app can add rows as usual.

At scale 1:

| table | rows |
|---|---|
| plan | 3 (starts 2018-11-01 24 months, 2020-11-01 36 months, 2023-11-01 36 months; the current plan is the last) |
| action | 500 (100 / 150 / 250), themes, V/R/C/S pillars, owners, expected evidence, start/due inside the plan |
| progressupdate | 12,000, one action's updates in date order with a plausible status walk and rising percent |
| evidence | 8,000, ~2% of them corrections of an earlier item (`supersedes_id`) |
| measure / measurevalue | ~200 / ~900 |
| workforcerecord | 100,000 aggregated cells, 20,000 per snapshot (31 July 2020-2024): faculty x department x job |
|  | family x grade x sex over 12 faculties; a few percent of cells are "Other"/"Not known" |
| upload | ~300: plan files (and a re-import of the current plan), quarterly update files, HR extracts, some |
|  | rejected or duplicate attempts (no file bytes) |
| actionrevision | one "added" per action, plus the re-import's "changed" and "withdrawn" |
| user / useraction | admin, board, viewer and the leads, each lead owning current-plan actions |

`scale` multiplies the actions, updates, evidence, measures, workforce rows per snapshot, update files per round and
leads (issue 7's growth curve); the number of plans, snapshots and reporting rounds stays the same.

Run:
    .venv/bin/python bench/large.py --db sqlite:///bench/out/large.db --scale 1
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from tracker.db import make_engine, migrate  # noqa: E402
from tracker.ingest.cells import add_months  # noqa: E402
from tracker.load import ACTION_FIELDS  # noqa: E402
from tracker.models import (  # noqa: E402
    PILLARS,
    Action,
    ActionRevision,
    Evidence,
    Measure,
    MeasureValue,
    Plan,
    ProgressUpdate,
    Upload,
    User,
    UserAction,
    WorkforceRecord,
)

GENERATOR_VERSION = 1  # bump when the generated data changes, so cached databases are rebuilt
INSTITUTION = "University of Largeshire"
# (start, months, actions at scale 1, title)
PLANS = [
    (date(2018, 11, 1), 24, 100, "Technician Commitment action plan 2018-2020"),
    (date(2020, 11, 1), 36, 150, "Technician Commitment action plan 2020-2023"),
    (date(2023, 11, 1), 36, 250, "Technician Commitment action plan 2023-2026"),
]
PROGRESS_UPDATES = 12_000
EVIDENCE_ITEMS = 8_000
WORKFORCE_PER_SNAPSHOT = 20_000
SNAPSHOTS = [date(y, 7, 31) for y in range(2020, 2025)]
FILES_PER_ROUND = 8  # update files sent per quarterly reporting round, at scale 1
LEADS = 40
CORRECTION_SHARE = 0.02
MEASURED_SHARE = 0.3

THEMES = [
    ("U", "Understand"),
    ("D", "Develop"),
    ("V", "Value"),
    ("R", "Recognise"),
    ("C", "Careers"),
    ("S", "Sustain"),
    ("E", "Engage"),
    ("W", "Wellbeing"),
]
OWNERS = [
    "VP Research",
    "VP Operations",
    "Deans",
    "Director of HR",
    "Head of Organisational Development",
    "Technician Commitment Working Group",
    "Faculty Technical Managers",
    "Head of Community of Practice",
    "COP Leads",
    "Head of Career Pathways",
    "Apprenticeship Manager",
    "EDI Lead",
    "Communications Team",
    "Technical Skills Manager",
    "Registration Champion",
]
EXPECTED = [
    "Report to the working group",
    "Survey results",
    "Board minutes noting progress",
    "Published career pathway",
    "Attendance figures",
    "Policy approved by committee",
    "Case studies on the intranet",
    "Registration numbers",
    "Award nominations",
    "Training records",
    "Newsletter articles",
    "Workforce data by faculty",
]
VERBS = ["Map", "Review", "Launch", "Extend", "Embed", "Publish", "Pilot", "Evaluate", "Promote", "Fund"]
OBJECTS = [
    "technician skills and capabilities",
    "communities of practice for technical staff",
    "career pathways for each job family",
    "apprenticeship intake across faculties",
    "professional registration support",
    "the annual technician conference and awards",
    "technician representation on committees",
    "CPD funding for technical staff",
    "succession planning for specialist roles",
    "recognition of technicians in publications",
    "mentoring for early-career technicians",
    "technician voice in workload planning",
]
NOTES = {
    "not started": ["Waits on funding approval.", "Scoping meeting booked.", "Lead appointed; work starts next term."],
    "on track": [
        "Workshop held with {n} technicians; actions agreed.",
        "Draft circulated to faculty technical managers for comment.",
        "{n} responses so far; reminder sent.",
        "Steering group met; milestones for the next quarter agreed.",
        "Pilot running in {n} departments.",
    ],
    "at risk": [
        "Key contact on leave; timeline under review.",
        "Budget not yet confirmed for next year.",
        "Only {n} of 12 faculties have named a representative.",
    ],
    "delayed": [
        "Paused while the restructure is consulted on.",
        "Procurement delay; new date agreed with the sponsor.",
        "Carried into the next quarter: staff shortage in the team.",
    ],
    "complete": ["Delivered and handed over to business as usual.", "Final report presented to the board."],
    "suspended": ["Suspended by the working group pending the strategy review."],
}
EVIDENCE_KIND_WEIGHTS = {
    "document": 30,
    "event": 25,
    "survey": 10,
    "policy": 8,
    "award": 7,
    "metric": 12,
    "other": 8,
}
EVIDENCE_TEXT = [
    "{k} event for technicians in {f}: {n} attended.",
    "Report on {o} presented to the working group.",
    "Survey of technical staff on {o}: {n} responses.",
    "Policy on {o} approved by the faculty board.",
    "{n} technicians nominated for the institutional awards.",
    "Case study on {o} published on the intranet.",
    "Minutes recording progress on {o}.",
]
MEASURES = [
    ("Technicians professionally registered", "people", 40.0, 150.0),
    ("Apprentices started", "people", 5.0, 30.0),
    ("Survey response rate", "%", 20.0, 60.0),
    ("Training courses offered", "courses", 10.0, 40.0),
    ("Technicians attending the conference", "people", 100.0, 400.0),
    ("Faculties with a technician representative", "faculties", 2.0, 12.0),
]
FACULTIES = [
    "Arts & Humanities",
    "Brain Sciences",
    "Built Environment",
    "Education & Society",
    "Engineering Sciences",
    "Laws",
    "Life Sciences",
    "Mathematical & Physical Sciences",
    "Medical Sciences",
    "Population Health Sciences",
    "Social & Historical Sciences",
    "Professional Services",
]
DEPARTMENT_WORDS = [
    "Biosciences",
    "Chemistry",
    "Physics",
    "Earth Sciences",
    "Imaging Centre",
    "Workshops",
    "Clinical Research",
    "Digital Media",
    "Materials",
    "Neuroscience",
    "Genomics",
    "Estates Technical Services",
]
JOB_FAMILIES = ["Laboratory", "Workshop", "IT", "Imaging", "Research Facility", "Animal", "Teaching", "Estates"]
GRADES = [f"Grade {g}" for g in range(2, 10)]
SEXES = ["Female", "Male", "Other", "Not known"]
RARE_SEX_SHARE = 0.04  # share of a snapshot's cells for "Other" and "Not known"


@dataclass
class _Upload:
    at: datetime
    kind: str
    filename: str
    outcome: str = "loaded"
    plan: int | None = None
    rows: int = 0
    message: str = ""
    id: int = 0


@dataclass
class _Round:
    """One quarterly reporting round of a plan: files sent on `day`, covering everything dated up to it."""

    plan: int
    day: date
    files: list[_Upload] = field(default_factory=list)


def _dt(d: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def _plan_end(start: date, months: int) -> date:
    return add_months(start, months) - timedelta(days=1)


def _spread(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split over `weights` (largest remainder), at least one each while total allows."""
    n = len(weights)
    if n == 0:
        return []
    base = [1] * n if total >= n else [0] * n
    rest = total - sum(base)
    w = sum(weights) or 1.0
    raw = [rest * x / w for x in weights]
    out = [b + int(r) for b, r in zip(base, raw, strict=True)]
    left = total - sum(out)
    for i in sorted(range(n), key=lambda i: raw[i] - int(raw[i]), reverse=True)[:left]:
        out[i] += 1
    return out


def _rand_date(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max((hi - lo).days, 0)))


def _sha(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _status_walk(rng: random.Random, n: int, final: str) -> list[tuple[str, int]]:
    """n (status, percent) pairs: not started at 0, a rising percent, wobbles into at risk/delayed, ends at `final`."""
    final_pct = 100 if final == "complete" else (0 if final == "not started" else rng.randint(20, 90))
    out: list[tuple[str, int]] = []
    pct = 0
    state = "not started"
    for i in range(n):
        last = i == n - 1
        if last:
            state, pct = final, final_pct
        elif final == "not started":
            state, pct = "not started", 0
        else:
            if state == "not started" and (i > 0 or rng.random() < 0.5):
                state = "on track"
            elif state == "on track":
                state = rng.choices(["on track", "at risk"], [9, 1])[0]
            elif state == "at risk":
                state = rng.choices(["on track", "at risk", "delayed"], [5, 2, 3])[0]
            elif state == "delayed":
                state = rng.choices(["on track", "delayed", "at risk"], [3, 5, 2])[0]
            if state != "not started":
                remaining = max(final_pct - 5 - pct, 0)
                step = rng.randint(0, max(1, 2 * remaining // max(n - i, 1)))
                pct = min(pct + (step if state == "on track" else step // 3), max(final_pct - 5, 0))
        out.append((state, pct))
    return out


def _note(rng: random.Random, status: str) -> str:
    return rng.choice(NOTES[status]).format(n=rng.randint(3, 60))


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _bulk(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for part in _chunks(rows):
        session.execute(insert(model), part)


def build_large(url: str, *, scale: float = 1.0, seed: int = 7) -> dict[str, Any]:
    """Fill the empty database at `url` (migrated here if it is not yet) with the large institution; counts back.

    Example:
        >>> build_large("sqlite://", scale=0.02)["plans"]  # doctest: +SKIP
        3
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    t0 = time.perf_counter()
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        migrate(engine)
        with Session(engine) as session:
            if session.execute(select(func.count()).select_from(Plan)).scalar_one():
                raise RuntimeError(f"{url}: the database already holds a plan; build_large needs an empty one")
            counts = _fill(session, rng, scale)
            if engine.dialect.name == "postgresql":
                _bump_sequences(session)
            session.commit()
    finally:
        engine.dispose()
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


def _fill(session: Session, rng: random.Random, scale: float) -> dict[str, Any]:
    n_files = max(1, round(FILES_PER_ROUND * scale))
    n_leads = max(3, round(LEADS * scale))
    leads = [f"lead{i + 1:03d}@large.ac.uk" for i in range(n_leads)]

    # --- plans, reporting rounds and every upload, in time order (upload ids follow time: data_version) ---
    plans: list[dict[str, Any]] = []
    uploads: list[_Upload] = []
    rounds: list[_Round] = []
    for pid, (start, months, _n, title) in enumerate(PLANS, start=1):
        end = _plan_end(start, months)
        plans.append(
            {
                "id": pid,
                "institution": INSTITUTION,
                "title": title,
                "start_date": start,
                "months": months,
                "stage": "active" if pid == len(PLANS) else "closed",
                "created_at": _dt(start - timedelta(days=14)),
            }
        )
        uploads.append(
            _Upload(_dt(start - timedelta(days=14)), "plan", f"action_plan_{start:%Y}.xlsx", plan=pid, message="plan")
        )
        day = add_months(start, 3) - timedelta(days=1)
        while day <= end + timedelta(days=1):
            rnd = _Round(pid, day)
            for f in range(n_files):
                at = _dt(day + timedelta(days=rng.randint(1, 12)), 9 + f % 8, rng.randint(0, 59))
                up = _Upload(at, "updates", f"updates_{day:%Y-%m}_{f + 1:02d}.xlsx", plan=pid)
                rnd.files.append(up)
                uploads.append(up)
                roll = rng.random()
                if roll < 0.08:  # a lead's first try had errors; the corrected file is the loaded one
                    uploads.append(
                        _Upload(
                            at - timedelta(hours=2),
                            "updates",
                            up.filename,
                            "rejected",
                            plan=pid,
                            message="3 errors: status not recognised",
                        )
                    )
                elif roll < 0.12:
                    uploads.append(
                        _Upload(at + timedelta(days=1), "updates", up.filename, "duplicate", plan=pid, message="dup")
                    )
            rounds.append(rnd)
            day = add_months(day + timedelta(days=1), 3) - timedelta(days=1)
    reimport_at = _dt(add_months(PLANS[-1][0], 18) + timedelta(days=5))
    reimport = _Upload(reimport_at, "plan", f"action_plan_{PLANS[-1][0]:%Y}_revised.xlsx", plan=len(PLANS))
    uploads.append(reimport)
    snapshot_uploads = []
    for snap in SNAPSHOTS:
        up = _Upload(_dt(snap + timedelta(days=30)), "workforce", f"hr_technicians_{snap}.xlsx")
        snapshot_uploads.append(up)
        uploads.append(up)
    uploads.append(_Upload(_dt(date(2022, 9, 2)), "", "Copy of board paper.docx", "unreadable", message="not xlsx"))
    uploads.sort(key=lambda u: u.at)
    for i, u in enumerate(uploads, start=1):
        u.id = i
    plan_upload = {u.plan: u for u in uploads if u.kind == "plan" and u is not reimport}

    # --- actions ---
    actions: list[dict[str, Any]] = []
    by_plan: dict[int, list[dict[str, Any]]] = {}
    for pid, (start, months, n, _title) in enumerate(PLANS, start=1):
        end = _plan_end(start, months)
        n = max(1, round(n * scale))
        per_theme: dict[str, int] = {}
        for pos in range(n):
            letter, theme = THEMES[pos * len(THEMES) // n]
            per_theme[letter] = per_theme.get(letter, 0) + 1
            a_start = _rand_date(rng, start, add_months(start, months // 2))
            a_due = _rand_date(rng, min(a_start + timedelta(days=180), end), end)
            pillars = "".join(p for p in PILLARS if rng.random() < 0.45) or rng.choice(PILLARS)
            verb, obj = rng.choice(VERBS), rng.choice(OBJECTS)
            created = plan_upload[pid].at
            actions.append(
                {
                    "id": len(actions) + 1,
                    "plan_id": pid,
                    "ref": f"{letter}{per_theme[letter]}",
                    "position": pos,
                    "theme": theme,
                    "purpose": f"{verb} {obj} so that technicians are visible, recognised and supported.",
                    "activity": f"• {verb} {obj}\n• Report progress to the working group each quarter",
                    "impact": f"Better {obj.split(' ')[0]} across the institution; measured each year.",
                    "expected_evidence": rng.sample(EXPECTED, rng.randint(1, 4)),
                    "owners": rng.sample(OWNERS, rng.randint(1, 3)),
                    "pillars": pillars,
                    "start": a_start,
                    "due": a_due,
                    "success_measures": "",
                    "withdrawn": False,
                    "withdrawn_at": None,
                    "source_upload_id": plan_upload[pid].id,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            by_plan.setdefault(pid, []).append(actions[-1])
    lead_of = {a["id"]: leads[i % n_leads] for i, a in enumerate(actions)}

    # The current plan's mid-term re-import: a few actions withdrawn, some reworded (before-images kept).
    revisions: list[dict[str, Any]] = [
        {
            "action_id": a["id"],
            "upload_id": a["source_upload_id"],
            "change": "added",
            "before": {},
            "changed_at": a["created_at"],
        }
        for a in actions
    ]
    for a in by_plan[len(PLANS)]:
        roll = rng.random()
        if roll < 0.03:
            revisions.append(
                {
                    "action_id": a["id"],
                    "upload_id": reimport.id,
                    "change": "withdrawn",
                    "before": _before(a),
                    "changed_at": reimport.at,
                }
            )
            a.update(withdrawn=True, withdrawn_at=reimport.at, updated_at=reimport.at)
        elif roll < 0.10:
            revisions.append(
                {
                    "action_id": a["id"],
                    "upload_id": reimport.id,
                    "change": "changed",
                    "before": _before(a),
                    "changed_at": reimport.at,
                }
            )
            a.update(activity=a["activity"] + "\n• Extended to partner institutes", updated_at=reimport.at)
            a.update(source_upload_id=reimport.id)

    # --- progress updates and evidence: counts by the action's active span ---
    def window(a: dict[str, Any]) -> tuple[date, date]:
        start, months = PLANS[a["plan_id"] - 1][:2]
        end = _plan_end(start, months)
        hi = min(a["due"] + timedelta(days=120), end)
        if a["withdrawn"]:
            hi = min(hi, a["withdrawn_at"].date())
        return a["start"], max(hi, a["start"])

    spans = [max((window(a)[1] - window(a)[0]).days, 30) for a in actions]
    n_updates = _spread(round(PROGRESS_UPDATES * scale), spans)
    n_evidence = _spread(
        round(EVIDENCE_ITEMS * scale),
        [s * (1 + len(a["expected_evidence"])) for s, a in zip(spans, actions, strict=True)],
    )
    plan_rounds = {pid: [r for r in rounds if r.plan == pid] for pid in range(1, len(PLANS) + 1)}

    def upload_for(a: dict[str, Any], d: date) -> _Upload:
        """The file of the first round on or after `d` that carries this action's lines."""
        rs = plan_rounds[a["plan_id"]]
        rnd = next((r for r in rs if r.day >= d), rs[-1])
        return rnd.files[a["id"] % len(rnd.files)]

    final_weights = {
        "current": {"complete": 42, "on track": 28, "at risk": 11, "delayed": 13, "suspended": 4, "not started": 2},
        "closed": {"complete": 80, "delayed": 12, "suspended": 4, "at risk": 2, "on track": 2},
    }
    progress: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for a, nu, ne in zip(actions, n_updates, n_evidence, strict=True):
        lo, hi = window(a)
        weights = final_weights["current" if a["plan_id"] == len(PLANS) else "closed"]
        final = rng.choices(list(weights), list(weights.values()))[0]
        days = sorted(_rand_date(rng, lo, hi) for _ in range(nu))
        for d, (status, pct) in zip(days, _status_walk(rng, nu, final), strict=True):
            up = upload_for(a, d)
            progress.append(
                {
                    "action_id": a["id"],
                    "as_of": d,
                    "status": status,
                    "percent_complete": pct,
                    "note": _note(rng, status),
                    "reported_by": lead_of[a["id"]],
                    "upload_id": up.id,
                    "created_at": up.at,
                }
            )
        own: list[dict[str, Any]] = []
        for _ in range(ne):
            corrected = own[rng.randrange(len(own))] if own and rng.random() < CORRECTION_SHARE else None
            if corrected is not None and corrected.get("_corrected"):
                corrected = None  # the loader refuses a second correction of the same item
            if corrected is not None:
                corrected["_corrected"] = True
                d = corrected["date"]
                up = upload_for(a, min(d + timedelta(days=95), hi))
                desc, kind, pillars = corrected["description"] + " (corrected)", corrected["kind"], corrected["pillars"]
            else:
                d = _rand_date(rng, lo, hi)
                up = upload_for(a, d)
                kind = rng.choices(list(EVIDENCE_KIND_WEIGHTS), list(EVIDENCE_KIND_WEIGHTS.values()))[0]
                pillars = "".join(p for p in a["pillars"] if rng.random() < 0.7) or a["pillars"][0]
                desc = rng.choice(EVIDENCE_TEXT).format(
                    k=kind.capitalize(), f=rng.choice(FACULTIES), o=rng.choice(OBJECTS), n=rng.randint(5, 200)
                )
            row = {
                "id": len(evidence) + 1,
                "action_id": a["id"],
                "date": d,
                "description": desc,
                "kind": kind,
                "link": f"https://sharepoint.large.ac.uk/tc/{a['ref'].lower()}/{len(evidence) + 1}"
                if rng.random() < 0.5
                else "",
                "pillars": pillars,
                "added_by": lead_of[a["id"]],
                "supersedes_id": corrected["id"] if corrected is not None else None,
                "upload_id": up.id,
                "created_at": up.at,
            }
            evidence.append(row)
            own.append(row)
    for row in evidence:
        row.pop("_corrected", None)

    # --- measures on some actions, a value in some of their rounds ---
    measures: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for a in actions:
        if rng.random() >= MEASURED_SHARE:
            continue
        lo, hi = window(a)
        for name, unit, baseline, target in rng.sample(MEASURES, rng.choice([1, 1, 2])):
            mid = len(measures) + 1
            measures.append(
                {"id": mid, "action_id": a["id"], "name": name, "unit": unit, "baseline": baseline, "target": target}
            )
            rs = [r for r in plan_rounds[a["plan_id"]] if lo <= r.day <= hi + timedelta(days=90)]
            value = baseline
            for r in rs:
                if rng.random() < 0.6:
                    value = round(value + rng.uniform(0, (target - baseline) / max(len(rs) / 2, 1)), 1)
                    up = r.files[a["id"] % len(r.files)]
                    values.append(
                        {"measure_id": mid, "as_of": r.day, "value": value, "upload_id": up.id, "created_at": up.at}
                    )

    # --- upload rows (now that the row counts per file are known) ---
    per_upload: dict[int, int] = {}
    for row in progress:
        per_upload[row["upload_id"]] = per_upload.get(row["upload_id"], 0) + 1
    for row in evidence:
        per_upload[row["upload_id"]] = per_upload.get(row["upload_id"], 0) + 1
    for row in values:
        per_upload[row["upload_id"]] = per_upload.get(row["upload_id"], 0) + 1
    first_of: dict[str, int] = {}
    upload_rows = []
    for u in uploads:
        sha = _sha(u.filename, u.at.isoformat(), u.outcome)
        duplicate_of = None
        if u.outcome == "duplicate":
            duplicate_of = first_of.get(u.filename)
        if u.outcome == "loaded":
            first_of.setdefault(u.filename, u.id)
        rows = per_upload.get(u.id, 0)
        if u.kind == "plan":
            rows = len(by_plan[u.plan]) if u.plan else 0
        upload_rows.append(
            {
                "id": u.id,
                "filename": u.filename,
                "sha256": sha,
                "kind": u.kind,
                "uploaded_by": "admin@large.ac.uk" if u.kind != "updates" else leads[u.id % n_leads],
                "rows_accepted": rows if u.outcome == "loaded" else 0,
                "issues_found": 3 if u.outcome == "rejected" else 0,
                "outcome": u.outcome,
                "message": u.message or f"{rows} rows",
                "size_bytes": 8_000 + 60 * rows,
                "plan_id": u.plan,
                "duplicate_of": duplicate_of,
                "uploaded_at": u.at,
                "issues": [{"row": 4, "column": "Status", "message": "status not recognised"}] * 3
                if u.outcome == "rejected"
                else [],
                "content": None,
            }
        )
        u.rows = rows

    users = [
        {"id": 1, "email": "admin@large.ac.uk", "name": "Administrator", "role": "admin", "created_at": uploads[0].at},
        {"id": 2, "email": "board@large.ac.uk", "name": "Board Member", "role": "board", "created_at": uploads[0].at},
        {
            "id": 3,
            "email": "viewer@large.ac.uk",
            "name": "Working-Group Member",
            "role": "viewer",
            "created_at": uploads[0].at,
        },
    ]
    user_id = {}
    for i, email in enumerate(leads):
        user_id[email] = len(users) + 1
        users.append(
            {"id": len(users) + 1, "email": email, "name": f"Lead {i + 1}", "role": "lead", "created_at": uploads[0].at}
        )
    user_actions = [{"user_id": user_id[lead_of[a["id"]]], "action_id": a["id"]} for a in by_plan[len(PLANS)]]

    # --- write, parents first ---
    _bulk(session, Plan, plans)
    _bulk(session, Upload, upload_rows)
    _bulk(session, User, users)
    _bulk(session, Action, actions)
    _bulk(session, UserAction, user_actions)
    _bulk(session, ActionRevision, revisions)
    _bulk(session, ProgressUpdate, progress)
    _bulk(session, Evidence, evidence)
    _bulk(session, Measure, measures)
    _bulk(session, MeasureValue, values)
    workforce = _workforce(session, rng, scale, {s: u.id for s, u in zip(SNAPSHOTS, snapshot_uploads, strict=True)})
    for s, u in zip(SNAPSHOTS, snapshot_uploads, strict=True):
        session.execute(
            Upload.__table__.update()
            .where(Upload.__table__.c.id == u.id)
            .values(rows_accepted=workforce[s], message=f"{workforce[s]} rows")  # type: ignore[attr-defined]
        )
    return {
        "plans": len(plans),
        "actions": len(actions),
        "actions_current_plan": len(by_plan[len(PLANS)]),
        "progress_updates": len(progress),
        "evidence": len(evidence),
        "evidence_corrections": sum(1 for e in evidence if e["supersedes_id"]),
        "measures": len(measures),
        "measure_values": len(values),
        "workforce_rows": sum(workforce.values()),
        "snapshots": len(workforce),
        "uploads": len(upload_rows),
        "action_revisions": len(revisions),
        "users": len(users),
    }


def _before(a: dict[str, Any]) -> dict[str, Any]:
    """The before-image a plan re-import keeps (tracker.load._snapshot's shape)."""
    return {k: (a[k].isoformat() if isinstance(a[k], date) else a[k]) for k in ACTION_FIELDS}


def _workforce(session: Session, rng: random.Random, scale: float, upload_ids: dict[date, int]) -> dict[date, int]:
    """Aggregated cells, snapshot by snapshot (the importer's stored shape): mostly the same cells each year."""
    per_snapshot = max(1, round(WORKFORCE_PER_SNAPSHOT * scale))
    # Cells for "Other" and "Not known" are rare (a person or two each); Female and Male cells make up the rest.
    n_rare = round(per_snapshot * RARE_SEX_SHARE)
    n_common = per_snapshot - n_rare
    churn = per_snapshot // 50
    needed = n_common + churn * (len(SNAPSHOTS) - 1)
    per_department = len(JOB_FAMILIES) * len(GRADES) * 2
    per_faculty = max(1, math.ceil(needed * 1.05 / (len(FACULTIES) * per_department)))
    words = len(DEPARTMENT_WORDS)
    departments = [
        (fac, DEPARTMENT_WORDS[(i + k) % words] + (f" {k // words + 1}" if k >= words else ""))
        for i, fac in enumerate(FACULTIES)
        for k in range(per_faculty)
    ]
    common = [(f, d, j, g, s) for f, d in departments for j in JOB_FAMILIES for g in GRADES for s in SEXES[:2]]
    rare = [(f, d, j, g, s) for f, d in departments for j in JOB_FAMILIES for g in GRADES for s in SEXES[2:]]
    rng.shuffle(common)
    rng.shuffle(rare)
    # Each faculty leans one way: the Workforce page's imbalance flags have something to find.
    order = rng.sample(FACULTIES, len(FACULTIES))
    female_share = {f: 0.15 + 0.7 * i / (len(FACULTIES) - 1) for i, f in enumerate(order)}
    counts: dict[date, int] = {}
    for k, snap in enumerate(SNAPSHOTS):
        rare_churn = n_rare // 50
        cells = common[k * churn : k * churn + n_common] + rare[k * rare_churn : k * rare_churn + n_rare]
        growth = 1 + 0.03 * k
        rows = []
        for fac, dept, job, grade, sex in cells:
            if sex in SEXES[2:]:
                head = 1 if rng.random() < 0.9 else 2
            else:
                share = female_share[fac] if sex == "Female" else 1 - female_share[fac]
                head = 1 + int(rng.expovariate(1 / (0.2 + 3 * share * growth)))
            fte = round(head * rng.uniform(0.7, 1.0), 2)
            rows.append(
                {
                    "as_of": snap,
                    "faculty": fac,
                    "department": dept,
                    "job_family": job,
                    "grade": grade,
                    "sex": sex,
                    "fte": fte,
                    "headcount": head,
                    "upload_id": upload_ids[snap],
                }
            )
        _bulk(session, WorkforceRecord, rows)
        counts[snap] = len(rows)
    return counts


def _bump_sequences(session: Session) -> None:
    """Rows were written with explicit ids; move each PostgreSQL id sequence past them."""
    for model in (
        Plan,
        Upload,
        User,
        Action,
        ActionRevision,
        ProgressUpdate,
        Evidence,
        Measure,
        MeasureValue,
        WorkforceRecord,
    ):
        table = model.__table__.name  # type: ignore[attr-defined]
        session.execute(
            text(
                f"select setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'coalesce((select max(id) from "{table}"), 0) + 1, false)'
            )
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--db", required=True, help="database URL (an empty or new database), e.g. sqlite:///bench/out/large.db"
    )
    p.add_argument("--scale", type=float, default=1.0, help="multiplies the counts (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = p.parse_args(argv)
    url = args.db
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    counts = build_large(url, scale=args.scale, seed=args.seed)
    width = max(map(len, counts))
    for k, v in counts.items():
        print(f"{k:<{width}}  {v:>10,}" if isinstance(v, int) else f"{k:<{width}}  {v:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
