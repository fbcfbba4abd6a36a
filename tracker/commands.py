"""What each command of `python -m tracker` does (the parser, tracker.cli, reads the arguments first)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from tracker import audit, queries
from tracker.auth import SYSTEM, Actor, PermissionDenied, actor_for
from tracker.config import ConfigError, get_settings
from tracker.db import dispose_all, open_engine
from tracker.exports import to_csv, to_table
from tracker.ingest.base import UnreadableFile
from tracker.load import (
    PlanOptions,
    describe_actions,
    describe_reading,
    describe_update_tables,
    describe_updates,
    load_file,
)
from tracker.models import Plan
from tracker.records import as_row
from tracker.users import UserError, add_user, list_users, remove_user, set_password

ROUNDING_NOTE = (
    "staff figures are HESA-rounded (counts and FTE to the nearest 5, under 2.5 shown as 0); "
    "only administrators see them unrounded"
)


def execute(args: argparse.Namespace) -> int:
    """Run the command `args` (tracker.cli.build_parser's) names; returns the exit code.

    Example:
        >>> from tracker.cli import build_parser
        >>> execute(build_parser().parse_args(["--db", "sqlite://", "show", "plans", "--format", "json"]))
        []
        0
    """
    try:
        url = args.db or get_settings().database_url
        if args.command in ("backup", "restore"):  # before open_engine: a restore target is not migrated first
            return _backup_or_restore(args, url)
        engine = open_engine(url)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as exc:  # server down, bad credentials, unwritable path
        shown = make_url(url).render_as_string(hide_password=True)
        detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: cannot open the database {shown}: {detail}", file=sys.stderr)
        return 2
    try:
        with Session(engine, expire_on_commit=False) as session:
            return _run(args, session)
    finally:
        if args.db:
            dispose_all()


def _backup_or_restore(args: argparse.Namespace, url: str) -> int:
    from tracker.backup import BackupError, backup, restore

    if args.as_user:
        print(
            f"error: --as {args.as_user}: {args.command} acts on the database itself, as whoever holds it; "
            "--as does not apply",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "backup":
            said = backup(url, args.out)
        else:
            said = restore(url, args.file, force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: {args.command} {shown}: {detail}", file=sys.stderr)
        return 2
    print(said)
    return 0


def _run(args: argparse.Namespace, session: Session) -> int:
    actor = SYSTEM
    if args.as_user:
        found = actor_for(session=session, email=args.as_user)
        if found is None:
            print(f"error: --as {args.as_user}: no such user (python -m tracker users list)", file=sys.stderr)
            return 2
        actor = found
    try:
        return _dispatch(args, session, actor)
    except PermissionDenied as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    if args.command == "init":
        if args.demo and actor is not SYSTEM:  # the demo loads a plan and sets the demo accounts' passwords
            for operation in ("load_plan", "manage_users"):
                audit.require_logged(session, actor, operation, "demo data")
        return _init(args, session)
    if args.command == "load":
        return _load(args, session, actor)
    if args.command == "users":
        return _users(args, session, actor)
    if args.command == "show":
        return _show(args, session, actor)
    if args.command == "report":
        return _report(args, session, actor)
    if args.command == "round":
        return _round(args, session, actor)
    if args.command == "self-assessment":
        return _self_assessment(args, session, actor)
    # Here, not at the top: the workbook writers (openpyxl, numpy) are for this command alone.
    from tracker.history import template_for
    from tracker.templates import TEMPLATES

    if args.kind == "updates" and actor is not SYSTEM:
        # As the Upload page hands it to this user: a lead's Progress sheet pre-filled with their own actions.
        data = template_for(session=session, actor=actor)[1]
    else:
        data = TEMPLATES[args.kind](**({"refs": _refs(session)} if args.kind == "updates" else {}))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


def _refs(session: Session) -> list[str]:
    return queries.action_refs(session=session)


def _init(args: argparse.Namespace, session: Session) -> int:
    print("database ready (migrated to the newest schema)")
    if args.demo:
        from tracker.demo import load_demo, set_demo_passwords

        if session.exec(select(Plan.id).limit(1)).first() is not None:  # type: ignore[call-overload]
            print("the database already holds a plan: demo data not loaded")
            return 0
        counts = load_demo(session=session)
        print("demo data loaded: " + ", ".join(f"{v} {k} file{'' if v == 1 else 's'}" for k, v in counts.items()))
        passwords = set_demo_passwords(session=session)
        print("\ndemo accounts (passwords generated for this database and shown only now; keep them):")
        for email, password in passwords.items():
            print(f"  {email:32} {password}")
    return 0


def _users(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    if args.users_command == "list":
        print(to_table(list_users(session=session, actor=actor)))
        return 0
    if args.users_command == "add":
        refs = [r.strip() for r in args.actions.split(",") if r.strip()]
        user, password = add_user(
            session=session,
            email=args.email,
            role=args.role,
            name=args.name,
            actions=refs,
            actor=actor,
            password=None if args.no_password else "generate",
        )
        session.commit()
        print(f"{user.email}: {user.role}" + (f", owns {', '.join(refs)}" if refs else ""))
        if password:
            print(f"password (shown once): {password}")
        return 0
    if args.users_command == "set-password":
        chosen = sys.stdin.readline().rstrip("\n") if args.stdin else None
        try:
            password = set_password(session=session, email=args.email, password=chosen, actor=actor)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        session.commit()
        print(f"{args.email}: password set" + (f" (shown once): {password}" if password else ""))
        return 0
    remove_user(session=session, email=args.email, actor=actor)
    session.commit()
    print(f"{args.email}: removed")
    return 0


def _load(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    options = PlanOptions(
        start=args.plan_start,
        months=args.months,
        mapping=dict(args.map) or None,
        header_row=args.header_row,
        sheet=args.sheet,
        allow_withdraw=args.allow_withdraw,
    )
    try:
        out = load_file(
            args.file,
            session=session,
            actor=actor,
            kind=args.kind,
            as_of=args.as_of,
            plan=options,
            dry_run=args.dry_run,
        )
    except UnreadableFile as exc:
        print(f"{exc.filename}: cannot read: {exc.message}", file=sys.stderr)
        return 2
    if out.result:
        if args.dry_run and out.kind == "plan" and "reading" in out.result.meta:
            for line in describe_reading(out.result):
                print(line)
        if args.dry_run and out.kind == "updates" and out.result.meta.get("tables"):
            for line in describe_update_tables(out.result):
                print(line)
        for line in out.result.issue_lines():
            print(line, file=sys.stderr if out.outcome == "rejected" else sys.stdout)
    if out.outcome == "rejected":
        print(f"{out.filename}: {out.message}", file=sys.stderr)
        codes = {i.code for i in out.result.errors} if out.result else set()
        if codes & {"no_plan_start", "unrecognised_layout"}:
            return 2  # the file is fine: the command needs --plan-start or --map
        return 1
    if out.outcome == "ready":
        from tracker.history import change_counts  # with its charts, for a dry run only

        print(f"{out.filename}: read as {out.kind}; would write: {change_counts(out.changes)} (nothing written)")
        if out.kind == "plan" and out.result:
            for line in describe_actions(out.result):
                print(line)
        if out.kind == "updates" and out.result:
            for line in describe_updates(out.result):
                print(line)
        return 0
    if out.outcome == "duplicate":
        print(f"{out.filename}: {out.message}")
        return 0
    print(f"{out.filename}: loaded as {out.kind} (upload {out.upload_id}): {out.message}")
    return 0


def _round(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    from tracker.mail import MailError
    from tracker.rounds import RoundError, close_round, open_round, reminders, round_status, send_reminders

    try:
        if args.round_command == "open":
            refs = [r.strip() for r in args.actions.split(",") if r.strip()] if args.actions is not None else None
            info = open_round(
                session=session,
                actor=actor,
                name=args.name,
                start=args.start,
                due=args.due,
                meeting=args.meeting,
                refs=refs,
            )
            session.commit()
            status = round_status(session=session, name=info.name)
            print(
                f"opened round '{info.name}': {info.dates}; expects {len(status.actions)} "
                f"action{'s' if len(status.actions) != 1 else ''} ({', '.join(a.ref for a in status.actions)})"
            )
            if status.unled:
                print(f"note: no lead is assigned to {', '.join(status.unled)}: nobody will be reminded of it")
            return 0
        if args.round_command == "close":
            info = close_round(session=session, actor=actor, name=args.name)
            session.commit()
            print(f"closed round '{info.name}': {info.reported} of {info.expected} expected actions reported")
            return 0
        if args.round_command == "status":
            status = round_status(session=session, name=args.name)
            # JSON and CSV for scripts: the state as a code ("reported", "awaiting", "overdue", "missed").
            rows = [
                {**as_row(a, omit=("percent_complete",)), "leads": list(a.leads), "overdue": a.state == "overdue"}
                for a in status.actions
            ]
            if args.format == "json":
                print(json.dumps(rows, indent=2, ensure_ascii=False))
            elif args.format == "csv":
                sys.stdout.write(to_csv([{**r, "leads": " ".join(r["leads"])} for r in rows]))
            else:
                print(f"{status.round.label}: {status.round.dates}")
                print(
                    to_table(
                        [
                            {
                                "ref": a.ref,
                                "state": a.state_text,
                                "leads": ", ".join(a.leads) or "no lead assigned",
                                "last_update": a.last_update,
                                "status": a.status or "",
                            }
                            for a in status.actions
                        ]
                    )
                )
                print(status.summary)
            return 0
        # remind
        if args.dry_run:
            status, planned = reminders(session=session, actor=actor, name=args.name)
            for r in planned:
                if r.reminded_today is None:
                    print(f"{r.to}: {', '.join(r.refs)}")
            for r in planned:
                if r.reminded_today is not None:
                    print(f"{r.to}: reminded today already, not again ({', '.join(r.refs)})", file=sys.stderr)
            if status.unled:
                print(f"note: no lead to remind for {', '.join(status.unled)}", file=sys.stderr)
            print(f"dry run: round '{status.round.name}'; nothing sent", file=sys.stderr)
            return 0
        # The round first (which one, is it open, may this user remind), then the mail server: the first problem
        # to fix is named first.
        reminders(session=session, actor=actor, name=args.name)
        if not get_settings().smtp_url:
            print(
                "error: no mail server is set: set TRACKER_SMTP_URL (smtp://host:port or smtps://user:password@host), "
                "or use --dry-run to see who would be emailed",
                file=sys.stderr,
            )
            return 2
        result = send_reminders(session=session, actor=actor, name=args.name)
    except (RoundError, ConfigError) as exc:  # ConfigError: a malformed TRACKER_SMTP_URL, read only here with --db
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MailError as exc:
        print(f"error: {exc}; no reminder was sent", file=sys.stderr)
        return 1
    for r in result.sent:
        print(f"{r.to}: {', '.join(r.refs)}")
    for r in result.skipped:
        print(f"{r.to}: reminded today already, not again ({', '.join(r.refs)})", file=sys.stderr)
    for r, why in result.failed:
        print(f"error: {r.to}: not sent: {why}", file=sys.stderr)
    if result.unled:
        print(f"note: no lead to remind for {', '.join(result.unled)}", file=sys.stderr)
    print(f"round '{result.round.name}': {len(result.sent)} sent", file=sys.stderr)
    return 1 if result.failed else 0


def _report(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    # Imported here: Typst, pikepdf and the chart export take a second to load, which other commands need not pay.
    from tracker.report import PackNotFound, build_pack, pack_pdf

    out: Path = args.out
    if not out.parent.is_dir():
        print(f"error: --out {out}: the folder {out.parent} does not exist", file=sys.stderr)
        return 2
    if args.pack is not None:
        try:
            name, pdf = pack_pdf(session=session, actor=actor, pack_id=args.pack)
        except (PackNotFound, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        out.write_bytes(pdf)
        print(f"wrote {out}: kept pack {args.pack} ({name}, {len(pdf):,} bytes), as built")
        return 0
    try:
        pack = build_pack(
            session=session,
            actor=actor,
            period_start=args.period_start,
            period_end=args.period_end,
            charts=not args.no_charts,
            since_round=args.since_round,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.write_bytes(pack.pdf)
    print(
        f"wrote {out}: {pack.title}; {pack.pages} pages, {len(pack.pdf):,} bytes, "
        f"{'with charts' if pack.has_charts else 'charts as tables'}; kept as pack {pack.pack_id} "
        f"({pack.seconds:.1f} s)"
    )
    for note in pack.notes:
        print(f"note: {note}")
    return 0


def _self_assessment(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    from tracker.selfassessment import build_self_assessment

    out: Path = args.out
    if not out.parent.is_dir():
        print(f"error: --out {out}: the folder {out.parent} does not exist", file=sys.stderr)
        return 2
    draft = build_self_assessment(session=session, actor=actor, as_of=args.as_of, stage=args.stage)
    out.write_bytes(draft.docx)
    print(
        f"wrote {out}: stage {draft.stage} self-assessment draft as of {draft.as_of.isoformat()}, "
        f"{len(draft.sections)} sections, {len(draft.tables)} tables, {len(draft.docx):,} bytes; "
        f"carried forward: {', '.join(draft.carried_forward) or 'none'}"
    )
    for note in draft.notes:
        print(f"note: {note}")
    return 0


def _show(args: argparse.Namespace, session: Session, actor: Actor) -> int:
    rows: list[dict[str, Any]]
    if args.what == "plans":
        rows = [p.model_dump(exclude={"created_at"}) for p in queries.list_plans(session=session)]
    elif args.what == "users":
        rows = list_users(session=session, actor=actor)
    elif args.what == "rounds":
        from tracker.rounds import list_rounds

        rows = [as_row(r) for r in list_rounds(session=session)]
    elif args.what == "group":
        from tracker.group import list_group

        # Every member held, those who have left included (their `left` date says so).
        rows = [as_row(m) for m in list_group(session=session, include_left=True)]
    elif args.what == "workforce":
        # --as gives what the pages give that user: HESA-rounded figures unless their role may see exact ones.
        rows = [as_row(c) for c in queries.workforce_by_faculty(session=session, actor=actor)]
        if not actor.can("see_exact_figures"):
            print(f"note: {ROUNDING_NOTE}", file=sys.stderr)
    elif args.what == "uploads":
        # A non-administrator: their own uploads. The listing names the file's hash, not whether its bytes were kept.
        uploads = queries.list_uploads(session=session, actor=actor)
        rows = [as_row(u, omit=("duplicate_of", "has_file")) for u in uploads]
    else:
        fn: dict[str, Callable[..., Sequence[Any]]]
        fn = {
            "actions": queries.list_actions,
            "updates": queries.list_updates,
            "evidence": queries.list_evidence,
            "measures": queries.list_measures,
        }
        rows = [as_row(r) for r in fn[args.what](session=session)]
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        if args.what == "actions":
            keep = ("ref", "theme", "pillars", "owners", "status", "percent_complete", "due", "withdrawn")
            rows = [{k: r[k] for k in keep} for r in rows]
        print(to_table(rows))
    return 0
