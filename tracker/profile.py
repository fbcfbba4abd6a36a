"""Texts about the institution that the self-assessment needs, kept by key: its definition of a technician, its
profile, and its nominated institutional lead. Anyone may read them; only an administrator sets them, and
every change is in the audit log.

Example:
    >>> from sqlmodel import Session
    >>> from tracker.auth import SYSTEM
    >>> from tracker.db import open_engine
    >>> with Session(open_engine("sqlite://")) as s:
    ...     _ = set_text(session=s, actor=SYSTEM, key="institutional_lead", text="Fiona Ryland")
    ...     get_text(session=s, key="institutional_lead"), get_text(session=s, key="organisation_profile")
    ('Fiona Ryland', '')
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlmodel import Session

from tracker import audit
from tracker.auth import Actor
from tracker.models import ProfileText, utcnow

TextKey = Literal["technician_definition", "organisation_profile", "institutional_lead"]
TEXT_KEYS: tuple[TextKey, ...] = get_args(TextKey)
TEXT_LABELS: dict[TextKey, str] = {
    "technician_definition": "Technician definition",
    "organisation_profile": "Organisation profile",
    "institutional_lead": "Nominated institutional lead",
}
MAX_TEXT = 20_000  # characters: a page or two of the self-assessment


class ProfileTextError(ValueError):
    """A text that cannot be kept: an unknown key, or too long."""


def _check_key(key: str) -> TextKey:
    if key not in TEXT_KEYS:
        raise ProfileTextError(f"'{key}' is not one of the texts kept: {', '.join(TEXT_KEYS)}")
    return key  # type: ignore[return-value]


def get_text(*, session: Session, key: TextKey) -> str:
    """The text kept under `key` ('' when none has been set).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     get_text(session=s, key="technician_definition")
        ''
    """
    row = session.get(ProfileText, _check_key(key))
    return row.text if row is not None else ""


def set_text(*, session: Session, actor: Actor, key: TextKey, text: str) -> bool:
    """Keep `text` under `key` (an administrator only; recorded in the audit log with before → after). Returns
    False when the text was already that (nothing written). The caller commits. Raises ProfileTextError for an
    unknown key or a text over 20,000 characters, PermissionDenied for anyone but an administrator.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     set_text(session=s, actor=SYSTEM, key="technician_definition", text="Technical staff"), set_text(
        ...         session=s, actor=SYSTEM, key="technician_definition", text="Technical staff ")
        (True, False)
    """
    audit.require_logged(session, actor, "load_plan", key)
    key = _check_key(key)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ProfileTextError(f"{TEXT_LABELS[key]} is {len(text):,} characters, over the {MAX_TEXT:,} limit")
    row = session.get(ProfileText, key)
    before = row.text if row is not None else ""
    if row is not None and before == text:
        return False
    row = row or ProfileText(key=key)
    row.text, row.updated_by, row.updated_at = text, actor.email[:254], utcnow()
    session.add(row)
    audit.record(session, actor, "profile_text_set", key, before=before, after=text)
    session.flush()
    return True
