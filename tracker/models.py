"""SQLModel tables for everything the tracker holds (PRODUCT.md, "What it holds").

`XBase` holds shared fields, `X(XBase, table=True)` is the table, `XCreate` is validated input.
Progress updates, evidence and measure values are append-only: rows are never updated in place
(an evidence correction is a new row whose `supersedes_id` points at the old one).

Example:
    >>> ActionCreate(ref="D1", theme="Develop", activity="Set up communities of practice").pillar_list
    []
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from tracker.vocab import KINDS
from tracker.vocab import ROLES as ROLES  # re-exported: the roles belong with the User table

PILLARS = ("V", "R", "C", "S")
PILLAR_NAMES = {"V": "Visibility", "R": "Recognition", "C": "Career development", "S": "Sustainability"}
STATUSES = ("not started", "on track", "at risk", "delayed", "complete", "suspended")
EVIDENCE_KINDS = ("document", "event", "survey", "policy", "award", "metric", "other")
SEXES = ("Female", "Male", "Other", "Not known")
UPLOAD_KINDS = KINDS
OUTCOMES = ("loaded", "rejected", "duplicate", "unreadable")


def utcnow() -> datetime:
    """Timezone-aware now (SQLModel 0.0.50 refuses naive datetimes)."""
    return datetime.now(UTC)


def _ts(index: bool = False) -> object:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=index))


# --- plans and actions -------------------------------------------------------------------------


class PlanBase(SQLModel):
    institution: str = Field(default="", max_length=200)
    title: str = Field(default="Technician Commitment action plan", max_length=300)
    start_date: date
    months: int = Field(default=24, ge=1, le=120)
    stage: str = Field(default="active", max_length=40)


class Plan(PlanBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts()  # type: ignore[assignment]


class PlanCreate(PlanBase):
    pass


class ActionBase(SQLModel):
    ref: str = Field(max_length=40)
    theme: str = Field(default="", max_length=200)
    purpose: str = ""
    activity: str = ""
    impact: str = ""
    expected_evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Subset of "VRCS" in that order; a string keeps filtering by pillar a plain LIKE.
    pillars: str = Field(default="", max_length=4)
    start: date | None = None
    due: date | None = None
    success_measures: str = ""

    @property
    def pillar_list(self) -> list[str]:
        return [p for p in PILLARS if p in self.pillars]


class Action(ActionBase, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "ref", name="uq_action_plan_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    position: int = 0
    withdrawn: bool = False
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    source_upload_id: int | None = Field(default=None, foreign_key="upload.id")
    created_at: datetime = _ts()  # type: ignore[assignment]
    updated_at: datetime = _ts()  # type: ignore[assignment]


class ActionCreate(ActionBase):
    pass


class ActionRevision(SQLModel, table=True):
    """What an action looked like before a plan re-import changed it."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    upload_id: int | None = Field(default=None, foreign_key="upload.id")
    change: str = Field(max_length=20)  # added, changed, withdrawn, restored
    before: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_at: datetime = _ts()  # type: ignore[assignment]


# --- progress, evidence, measures --------------------------------------------------------------


class ProgressUpdateBase(SQLModel):
    as_of: date
    status: str = Field(max_length=20)
    percent_complete: int | None = Field(default=None, ge=0, le=100)
    note: str = ""
    reported_by: str = Field(default="", max_length=200)


class ProgressUpdate(ProgressUpdateBase, table=True):
    __table_args__ = (Index("ix_progress_action_asof", "action_id", "as_of"),)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    upload_id: int | None = Field(default=None, foreign_key="upload.id", index=True)
    created_at: datetime = _ts()  # type: ignore[assignment]


class ProgressUpdateCreate(ProgressUpdateBase):
    ref: str


class EvidenceBase(SQLModel):
    date: date
    description: str
    kind: str = Field(default="other", max_length=20)
    link: str = ""
    pillars: str = Field(default="", max_length=4)
    added_by: str = Field(default="", max_length=200)


class Evidence(EvidenceBase, table=True):
    __table_args__ = (Index("ix_evidence_action_date", "action_id", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    supersedes_id: int | None = Field(default=None, foreign_key="evidence.id", index=True)
    upload_id: int | None = Field(default=None, foreign_key="upload.id", index=True)
    created_at: datetime = _ts()  # type: ignore[assignment]


class EvidenceCreate(EvidenceBase):
    ref: str
    supersedes_id: int | None = None


class MeasureBase(SQLModel):
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=40)
    baseline: float | None = None
    target: float | None = None


class Measure(MeasureBase, table=True):
    __table_args__ = (UniqueConstraint("action_id", "name", name="uq_measure_action_name"),)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)


class MeasureValue(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    as_of: date
    value: float
    upload_id: int | None = Field(default=None, foreign_key="upload.id")
    created_at: datetime = _ts()  # type: ignore[assignment]


class MeasureValueCreate(MeasureBase):
    ref: str
    as_of: date
    value: float


# --- workforce ---------------------------------------------------------------------------------


class WorkforceRecordBase(SQLModel):
    as_of: date
    faculty: str = Field(max_length=200)
    department: str = Field(default="", max_length=200)
    job_family: str = Field(default="", max_length=200)
    grade: str = Field(default="", max_length=60)
    sex: str = Field(max_length=20)
    fte: float = Field(ge=0)
    headcount: int = Field(ge=0)


class WorkforceRecord(WorkforceRecordBase, table=True):
    """One aggregated cell of a snapshot: individual rows are summed on import (no person is stored)."""

    # Every page's aggregates read only these columns, so they come from the index alone (migration 0010).
    __table_args__ = (
        Index("ix_workforce_snapshot", "as_of", "faculty", "sex", "grade", "fte", "headcount"),
        Index("ix_workforce_faculty", "faculty"),
    )
    id: int | None = Field(default=None, primary_key=True)
    upload_id: int | None = Field(default=None, foreign_key="upload.id", index=True)


class WorkforceRecordCreate(WorkforceRecordBase):
    pass


# --- uploads and users -------------------------------------------------------------------------


class UploadBase(SQLModel):
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(default="", max_length=20)
    uploaded_by: str = Field(default="", max_length=200)
    rows_accepted: int = 0
    issues_found: int = 0
    outcome: str = Field(max_length=20)
    message: str = ""
    size_bytes: int = 0


# A file's bytes are loaded at most once, even when two people send the same file at the same moment: the
# second commit fails on this index and is then recorded as a duplicate.
LOADED_ONCE = "ux_upload_loaded_sha256"


class Upload(UploadBase, table=True):
    __table_args__ = (
        Index(
            LOADED_ONCE,
            "sha256",
            unique=True,
            sqlite_where=text("outcome = 'loaded'"),
            postgresql_where=text("outcome = 'loaded'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
    duplicate_of: int | None = Field(default=None, foreign_key="upload.id")
    uploaded_at: datetime = _ts(index=True)  # type: ignore[assignment]
    issues: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The file itself, so nothing sent is ever lost and any upload can be replayed.
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(default="viewer", max_length=20)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=300)
    # Kept in the database, not in memory, so every replica enforces the same delay.
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = _ts()  # type: ignore[assignment]
    # Raised by a password change: a session signed in under an older value is signed out on its next run.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class UserCreate(UserBase):
    pass


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins per source address, and per email that is not a local account (an unknown one, or a
    single sign-on user's): counted like a user's own `failed_logins`, so an unknown email answers exactly as
    a real one would. `key` is a SHA-256 of the kind and the value, so no typed text is kept as typed."""

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_at: datetime = _ts(index=True)  # type: ignore[assignment]


class AuditEvent(SQLModel, table=True):
    """One write: who did what, when, to what, with the before and after where something changed."""

    __table_args__ = (Index("ix_audit_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()  # type: ignore[assignment]
    actor: str = Field(default="", max_length=254, index=True)
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=300)
    before: str = Field(default="", max_length=300)
    after: str = Field(default="", max_length=300)
    detail: str = ""
    upload_id: int | None = Field(default=None, foreign_key="upload.id")


class UserAction(SQLModel, table=True):
    """The actions a lead owns."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    action_id: int = Field(foreign_key="action.id", primary_key=True)


# --- board packs -------------------------------------------------------------------------------


class BoardPack(SQLModel, table=True):
    """A built board pack, kept whole: the PDF's bytes, what period it covers, who built it and when.

    "What changed since the previous pack" compares with the packs kept here, and any past pack can be
    downloaded again byte for byte.
    """

    __table_args__ = (Index("ix_boardpack_period_end", "period_end"),)
    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date
    built_by: str = Field(default="", max_length=254)
    built_at: datetime = _ts(index=True)  # type: ignore[assignment]
    title: str = Field(default="", max_length=300)
    sha256: str = Field(max_length=64, index=True)
    pages: int = 0
    size_bytes: int = 0
    has_charts: bool = True
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ColumnMappingBase(SQLModel):
    """A column mapping a person confirmed for a file's header row, offered again for a file with the same headers."""

    kind: str = Field(max_length=20)
    header_key: str = Field(max_length=64)  # SHA-256 of the header row's cells, normalised
    header: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # field → header
    saved_by: str = Field(default="", max_length=254)
    # Whose it is: "" for a plan's (everyone's), a lead's email for their own update log's headers.
    owner: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})


class ColumnMapping(ColumnMappingBase, table=True):
    __table_args__ = (UniqueConstraint("kind", "owner", "header_key", name="uq_columnmapping_kind_owner_header"),)
    id: int | None = Field(default=None, primary_key=True)
    saved_at: datetime = _ts()  # type: ignore[assignment]


# --- update rounds -----------------------------------------------------------------------------


class RoundBase(SQLModel):
    """An update round: leads report progress dated `start`..`due` (inclusive), for the meeting on `meeting`."""

    name: str = Field(max_length=120)
    start: date
    due: date
    meeting: date | None = None


class Round(RoundBase, table=True):
    __tablename__ = "update_round"
    __table_args__ = (UniqueConstraint("plan_id", "name", name="uq_update_round_plan_name"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    opened_by: str = Field(default="", max_length=254)
    opened_at: datetime = _ts()  # type: ignore[assignment]
    closed_by: str = Field(default="", max_length=254)
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class RoundCreate(RoundBase):
    refs: list[str] | None = None  # the actions expected to report; None: every action not complete or withdrawn


class RoundAction(SQLModel, table=True):
    """An action a round expects a progress update for."""

    __tablename__ = "update_round_action"
    round_id: int = Field(foreign_key="update_round.id", primary_key=True)
    action_id: int = Field(foreign_key="action.id", primary_key=True)


class RoundReminder(SQLModel, table=True):
    """A reminder sent to a lead for a round. At most one per lead, round and day: the unique index is the guard
    two administrators pressing Remind at once meet, not a check in Python."""

    __tablename__ = "round_reminder"
    __table_args__ = (UniqueConstraint("round_id", "email", "sent_on", name="uq_round_reminder_once_a_day"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="update_round.id", index=True)
    email: str = Field(max_length=254)
    sent_on: date
    sent_at: datetime = _ts()  # type: ignore[assignment]
    sent_by: str = Field(default="", max_length=254)
    refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# --- the working group and the institution's texts -------------------------------------------------


class WorkingGroupMemberBase(SQLModel):
    """A member of the Technician Commitment working group (the "technician voice"): `left` is None while they
    are a member; a member who leaves keeps their row, with the day they left."""

    name: str = Field(max_length=200)
    job_title: str = Field(default="", max_length=200)
    faculty: str = Field(default="", max_length=200)
    technician: bool = True
    joined: date | None = None
    left: date | None = None


class WorkingGroupMember(WorkingGroupMemberBase, table=True):
    __tablename__ = "working_group_member"
    id: int | None = Field(default=None, primary_key=True)
    upload_id: int | None = Field(default=None, foreign_key="upload.id")
    updated_by: str = Field(default="", max_length=254)
    updated_at: datetime = _ts()  # type: ignore[assignment]


class WorkingGroupMemberCreate(WorkingGroupMemberBase):
    pass


class ProfileTextBase(SQLModel):
    """A text about the institution the self-assessment needs (tracker.profile.TEXT_KEYS), kept by key."""

    key: str = Field(primary_key=True, max_length=60)
    text: str = ""


class ProfileText(ProfileTextBase, table=True):
    __tablename__ = "profile_text"
    updated_by: str = Field(default="", max_length=254)
    updated_at: datetime = _ts()  # type: ignore[assignment]


class ProfileTextCreate(ProfileTextBase):
    pass
