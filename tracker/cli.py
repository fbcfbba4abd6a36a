"""`python -m tracker`: load files, list what is held, hand out templates, for administrators and schedulers.

The parser lives here and imports only the standard library and `tracker.vocab`, so `--help` and a usage error
answer at once; a command's work (tracker.commands) is imported once the arguments are read.

Exit codes: 0 done; 1 the file was read but has problems (one line per issue, nothing written);
2 the file cannot be read at all, or bad usage.

`backup --out FILE` and `restore FILE [--force]` copy the whole database out and back (tracker.backup).

Example:
    >>> main(["--db", "sqlite://", "show", "actions", "--format", "json"])
    []
    0
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from tracker.vocab import IGNORE, KINDS, PLAN_FIELD_HELP, ROLES, SHOWABLE, TEMPLATE_KINDS, UPDATE_FIELD_HELP


def _month(s: str) -> date:
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return (
                datetime.strptime(s, fmt).date().replace(day=1) if fmt == "%Y-%m" else datetime.strptime(s, fmt).date()
            )
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"'{s}' is not YYYY-MM")


def _day(s: str) -> date:
    try:
        return datetime.strptime(s, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not YYYY-MM-DD") from None


def _db_url(s: str) -> str:
    from tracker.config import ConfigError, load_settings

    try:
        return load_settings({"TRACKER_DATABASE_URL": s}).database_url
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None


def _mapping(s: str) -> tuple[str, str]:
    known = [*PLAN_FIELD_HELP, *(f for f in UPDATE_FIELD_HELP if f not in PLAN_FIELD_HELP)]
    fields = ", ".join(known)
    if "=" not in s:
        raise argparse.ArgumentTypeError(
            f"'{s}' should be FIELD=HEADER, e.g. activity='Our actions' (fields: {fields})"
        )
    k, v = s.split("=", 1)
    key = {f.lower(): f for f in known}.get(k.strip().lower())
    if key is None:
        raise argparse.ArgumentTypeError(f"'{k.strip()}' is not a field: use one of {fields}")
    if not v.strip():
        raise argparse.ArgumentTypeError(f"'{s}' names no header: FIELD=HEADER, e.g. activity='Our actions'")
    return key, v.strip()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and --help)."""
    p = argparse.ArgumentParser(prog="python -m tracker", description="Technician Commitment Tracker")
    p.add_argument(
        "--db", metavar="URL", type=_db_url, help="database URL (default: TRACKER_DATABASE_URL or data/tracker.db)"
    )
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="EMAIL",
        default="",
        help="act as this registered user, with their role's permissions (default: the command line acts as an "
        "administrator, since it has the database itself)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create or migrate the database")
    init.add_argument("--demo", action="store_true", help="load the demo data set into an empty database")

    load = sub.add_parser("load", help="load a plan, an update file or a workforce extract")
    load.add_argument("file", type=Path)
    load.add_argument("--kind", choices=KINDS, help="what the file is (detected when omitted)")
    load.add_argument("--as", dest="as_user", metavar="EMAIL", default=argparse.SUPPRESS, help="who is loading it")
    load.add_argument("--plan-start", type=_month, metavar="YYYY-MM", help="the plan's first month")
    load.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help="a workforce extract's snapshot date")
    load.add_argument(
        "--months", type=int, choices=(12, 24, 36, 48), help="the plan's length (default: from its title, else 24)"
    )
    load.add_argument(
        "--map",
        type=_mapping,
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="map a column by hand, e.g. --map activity='What we will do' (repeatable; HEADER as written in the "
        "file, or '(column B)' for a column with no header). For a plan FIELD is one of: "
        + "; ".join(f"{f} ({h})" for f, h in PLAN_FIELD_HELP.items())
        + ". For a progress or evidence log: "
        # argparse formats help with %: a literal one is written %%
        + "; ".join(f"{f} ({h})" for f, h in UPDATE_FIELD_HELP.items() if f != IGNORE).replace("%", "%%"),
    )
    load.add_argument(
        "--header-row", type=int, metavar="N", help="the plan's header row as Excel numbers it (default: found)"
    )
    load.add_argument("--sheet", metavar="NAME", help="the sheet holding the plan (default: found)")
    load.add_argument(
        "--dry-run", action="store_true", help="show how the file is read (the mapping and the rows) and write nothing"
    )
    load.add_argument(
        "--allow-withdraw",
        action="store_true",
        help="let a plan re-import withdraw more than half of the current plan's actions",
    )

    show = sub.add_parser("show", help="list what is held")
    show.add_argument("what", choices=SHOWABLE)
    show.add_argument("--format", choices=("table", "json", "csv"), default="table")

    users = sub.add_parser("users", help="manage users and roles (administrators)")
    usub = users.add_subparsers(dest="users_command", required=True)
    add = usub.add_parser("add", help="add a user (or change their role); prints a generated password once")
    add.add_argument("email")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", default="")
    add.add_argument("--actions", default="", metavar="D1,D2", help="refs a lead owns")
    add.add_argument("--no-password", action="store_true", help="no password (single sign-on users)")
    usub.add_parser("list", help="list users, roles and owned actions")
    sp = usub.add_parser("set-password", help="set a password: generated and printed, or read from stdin")
    sp.add_argument("email")
    sp.add_argument("--stdin", action="store_true", help="read the new password from standard input")
    rm = usub.add_parser("remove", help="remove a user (their uploads and audit entries stay)")
    rm.add_argument("email")

    rep = sub.add_parser("report", help="build the board pack PDF for a period (board members, administrators)")
    rep.add_argument("--from", dest="period_start", type=_day, metavar="YYYY-MM-DD", help="first day of the period")
    rep.add_argument("--to", dest="period_end", type=_day, metavar="YYYY-MM-DD", help="last day (default: today)")
    rep.add_argument("--out", type=Path, required=True, help="where to write the PDF")
    rep.add_argument("--no-charts", action="store_true", help="print each chart's data table instead of the chart")
    rep.add_argument("--pack", type=int, metavar="ID", help="write a kept pack again, as built, instead of a new one")
    rep.add_argument(
        "--since-round",
        action="store_true",
        help="the period since the last update round: from the round before's due date to the due date of the "
        "latest round ended by --to (default: today, or the plan's end); the pack names the rounds",
    )
    rep.add_argument("--as", dest="as_user", metavar="EMAIL", default=argparse.SUPPRESS, help="who builds it")

    sa = sub.add_parser(
        "self-assessment",
        help="draft the Technician Commitment self-assessment as a Word document (board members, administrators)",
    )
    sa.add_argument("--out", type=Path, required=True, metavar="FILE.docx", help="where to write the draft")
    sa.add_argument(
        "--as-of", type=_day, metavar="YYYY-MM-DD", help="the data as it stood on this day (default: today)"
    )
    sa.add_argument(
        "--stage",
        type=int,
        choices=(1, 2, 3),
        default=2,
        help="1: interim, one year after signing (24-month plan); 2: reflection on the first plan and a 36-month "
        "plan; 3: a renewal, the same after a 36-month plan (default: 2)",
    )
    sa.add_argument("--as", dest="as_user", metavar="EMAIL", default=argparse.SUPPRESS, help="who drafts it")

    rnd = sub.add_parser("round", help="update rounds: open one, see who has reported, remind the rest, close it")
    rsub = rnd.add_subparsers(dest="round_command", required=True)
    ro = rsub.add_parser("open", help="open a round (administrators)")
    ro.add_argument("name", help="the round's name, e.g. 'January 2020'")
    ro.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD", help="its first day")
    ro.add_argument("--due", type=_day, required=True, metavar="YYYY-MM-DD", help="updates dated up to this day count")
    ro.add_argument("--meeting", type=_day, metavar="YYYY-MM-DD", help="the working-group meeting it is for")
    ro.add_argument(
        "--actions",
        metavar="D1,D2",
        help="the actions expected to report (default: every action not complete or withdrawn)",
    )
    rs = rsub.add_parser("status", help="who has reported and who has not (default: the newest open round)")
    rs.add_argument("name", nargs="?", help="the round (default: the newest open one)")
    rs.add_argument("--format", choices=("table", "json", "csv"), default="table")
    rr = rsub.add_parser(
        "remind",
        help="email every lead with anything outstanding, their template attached (through TRACKER_SMTP_URL)",
    )
    rr.add_argument("name", nargs="?", help="the round (default: the newest open one)")
    rr.add_argument("--dry-run", action="store_true", help="show who would be emailed, and send nothing")
    rc = rsub.add_parser("close", help="close a round (default: the newest open one)")
    rc.add_argument("name", nargs="?", help="the round (default: the newest open one)")

    tpl = sub.add_parser("template", help="write a blank template")
    tpl.add_argument("kind", choices=TEMPLATE_KINDS)
    tpl.add_argument("--out", type=Path, required=True)

    bak = sub.add_parser(
        "backup",
        help="back up the whole database to a file (SQLite: a copy by its online backup API; PostgreSQL: "
        "pg_dump --format=custom)",
    )
    bak.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write the backup")
    res = sub.add_parser(
        "restore",
        help="replace the database with a backup made by 'backup', then migrate it (refuses a database that "
        "holds data unless --force)",
    )
    res.add_argument("file", type=Path, metavar="FILE", help="the backup file")
    res.add_argument("--force", action="store_true", help="replace a database that already holds data")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "load":
        # The file's parse (a sandboxed child process) starts now, while the database layer is imported; a
        # workforce extract streamed, as load_file reads one.
        from tracker.ingest.base import UnreadableFile
        from tracker.ingest.reader import Reading

        with contextlib.suppress(UnreadableFile):  # a missing file: the load says so, as without a head start
            args.file = Reading(args.file, stream=args.kind == "workforce")
    from tracker.commands import execute

    return execute(args)
