"""One settings object for the whole tracker, read from the environment and validated at start.

Example:
    >>> from tracker.config import get_settings
    >>> get_settings().max_upload_bytes
    20971520
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = ROOT / "data" / "tracker.db"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseModel):
    """Everything the tracker can be configured with. Environment variable: TRACKER_<FIELD>."""

    database_url: str = Field(default=f"sqlite:///{DEFAULT_DB_PATH}")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_rows: int = Field(default=500_000, gt=0)
    # A real .xlsx compresses about 5-15x; far beyond that is a zip bomb, not data.
    max_inflate_ratio: int = Field(default=100, gt=1)
    max_uncompressed_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    institution: str = Field(default="")
    imbalance_threshold: float = Field(default=0.7, gt=0.5, le=1.0)
    # Printed in every board-pack footer.
    confidentiality: str = Field(default="Confidential: prepared for the Technician Commitment oversight board")
    # Mail for update-round reminders: smtp://[user:password@]host[:port] (STARTTLS when the server offers it;
    # ?starttls=no to refuse it) or smtps://… (TLS from the start). Blank: reminders cannot be sent.
    smtp_url: str = Field(default="")
    # The reminders' From address (blank: technician-commitment-tracker@ this machine's name) and Reply-To (blank:
    # the administrator who sends them, so a lead's reply reaches a person).
    mail_from: str = Field(default="")
    reply_to: str = Field(default="")
    # Where people open the app (https://tracker.uni.ac.uk): reminders link to its Upload page.
    public_url: str = Field(default="")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql:// (e.g. postgresql+psycopg://...)")
        if v.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        return v

    @field_validator("smtp_url")
    @classmethod
    def _mail_url(cls, v: str) -> str:
        if v and not v.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps:// (e.g. smtp://mail.uni.ac.uk:587)")
        return v

    @field_validator("mail_from", "reply_to")
    @classmethod
    def _address(cls, v: str) -> str:
        if v and "@" not in v:
            raise ValueError("must be an email address (e.g. technicians@uni.ac.uk)")
        return v

    @field_validator("public_url")
    @classmethod
    def _public(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http://), e.g. https://tracker.uni.ac.uk")
        return v.rstrip("/")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from TRACKER_* variables; raise ConfigError naming the bad one.

    Example:
        >>> load_settings({"TRACKER_MAX_ROWS": "10"}).max_rows
        10
    """
    env = dict(os.environ if env is None else env)
    values: dict[str, str] = {}
    for name in Settings.model_fields:
        key = f"TRACKER_{name.upper()}"
        if env.get(key):
            values[name] = env[key]
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(f"TRACKER_{field.upper()}: {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
