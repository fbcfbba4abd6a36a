"""Settings come from TRACKER_* variables, with defaults, and a bad value names its variable."""

from __future__ import annotations

import pytest

from tracker.config import DEFAULT_DB_PATH, ConfigError, Settings, get_settings, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert isinstance(s, Settings)
    assert s.database_url == f"sqlite:///{DEFAULT_DB_PATH}"
    assert s.max_upload_bytes == 20 * 1024 * 1024
    assert s.max_rows == 500_000
    assert s.max_inflate_ratio == 100
    assert s.max_uncompressed_bytes == 1024 * 1024 * 1024
    assert s.institution == ""
    assert s.imbalance_threshold == 0.7


def test_unrelated_and_empty_variables_are_ignored() -> None:
    s = load_settings({"TRACKER_MAX_ROWS": "", "MAX_ROWS": "5", "TRACKER_NOT_A_SETTING": "x"})
    assert s.max_rows == 500_000


def test_env_dict_overrides() -> None:
    s = load_settings(
        {
            "TRACKER_DATABASE_URL": "sqlite:////tmp/other.db",
            "TRACKER_MAX_UPLOAD_BYTES": "1024",
            "TRACKER_MAX_ROWS": "10",
            "TRACKER_MAX_INFLATE_RATIO": "50",
            "TRACKER_MAX_UNCOMPRESSED_BYTES": "2048",
            "TRACKER_INSTITUTION": "University of Somewhere",
            "TRACKER_IMBALANCE_THRESHOLD": "0.8",
        }
    )
    assert s.database_url == "sqlite:////tmp/other.db"
    assert s.max_upload_bytes == 1024
    assert s.max_rows == 10
    assert s.max_inflate_ratio == 50
    assert s.max_uncompressed_bytes == 2048
    assert s.institution == "University of Somewhere"
    assert s.imbalance_threshold == 0.8


def test_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_MAX_ROWS", "42")
    monkeypatch.setenv("TRACKER_INSTITUTION", "Test Uni")
    assert load_settings().max_rows == 42
    s = get_settings()
    assert (s.max_rows, s.institution) == (42, "Test Uni")
    assert get_settings() is s  # read once, then cached


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRACKER_MAX_ROWS", "abc"),
        ("TRACKER_MAX_ROWS", "0"),
        ("TRACKER_MAX_ROWS", "-5"),
        ("TRACKER_MAX_UPLOAD_BYTES", "20MB"),
        ("TRACKER_MAX_INFLATE_RATIO", "1"),
        ("TRACKER_IMBALANCE_THRESHOLD", "0.3"),
        ("TRACKER_IMBALANCE_THRESHOLD", "high"),
        ("TRACKER_DATABASE_URL", "mysql://x"),
        ("TRACKER_DATABASE_URL", "postgres://u@h/db"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as exc_info:
        load_settings({variable: value})
    message = str(exc_info.value)
    assert message.startswith(f"{variable}:"), message
    assert len(message) > len(variable) + 5  # says what is wrong, not just which variable


def test_bad_database_url_says_what_is_accepted() -> None:
    with pytest.raises(ConfigError, match=r"TRACKER_DATABASE_URL: .*sqlite://.*postgresql://"):
        load_settings({"TRACKER_DATABASE_URL": "mysql://x"})


def test_bad_value_in_process_environment_fails_get_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_MAX_ROWS", "abc")
    with pytest.raises(ConfigError, match="TRACKER_MAX_ROWS"):
        get_settings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://postgres@db:5432/tracker", "postgresql+psycopg://postgres@db:5432/tracker"),
        ("postgresql+psycopg://postgres@db/tracker", "postgresql+psycopg://postgres@db/tracker"),
        ("sqlite:///data/x.db", "sqlite:///data/x.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_driver(given: str, expected: str) -> None:
    assert load_settings({"TRACKER_DATABASE_URL": given}).database_url == expected
