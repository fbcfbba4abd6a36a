"""Upload: leads send their progress and evidence; administrators load plans and workforce extracts.

A new file is checked first (a dry run that writes nothing) and the page shows exactly what it would write;
nothing is written until the user confirms, and then in one transaction. Permissions are checked in tracker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, Literal

import streamlit as st

from pages.common import db_session, require_actor, round_notice, view
from tracker.auth import PermissionDenied, require
from tracker.config import get_settings
from tracker.history import (
    KIND_LABELS,
    TABLE_KIND_WORDS,
    change_counts,
    change_rows,
    follow_ups,
    header_guess,
    issue_rows,
    kinds_for,
    log_preview,
    needs_log_step,
    option_hints,
    preview_rows,
    raw_columns,
    template_for,
)
from tracker.ingest.base import LoadResult, UnreadableFile
from tracker.ingest.columns import IGNORE
from tracker.ingest.plan import FIELD_HELP, FIELDS
from tracker.ingest.reader import read_workbook
from tracker.ingest.updates import FIELD_HELP as LOG_FIELD_HELP
from tracker.ingest.updates import FIELDS as LOG_FIELDS
from tracker.ingest.updates import UpdateTable
from tracker.load import LoadOutcome, PlanOptions, UpdateOptions, load_file, plan_preview
from tracker.templates import plan_template, workforce_template
from tracker.text import literal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "docx", "docm"]
AUTO = ""
LINK_PAGES = {
    "action_plan": ("pages/action_plan.py", ":material/checklist:"),
    "evidence": ("pages/evidence.py", ":material/fact_check:"),
    "workforce": ("pages/workforce.py", ":material/groups:"),
}
WRAP_ISSUES = 30  # up to this many issues in a plain table (messages wrap); more in a scrolling grid
ISSUE_CONFIG = {
    "Sheet": st.column_config.TextColumn("Sheet", width="small"),
    "Row": st.column_config.TextColumn("Row", width="small", alignment="right", help="The row as Excel numbers it"),
    "Column": st.column_config.TextColumn("Column", width="small"),
    "Value": st.column_config.TextColumn("Value", width="small"),
    "Problem": st.column_config.TextColumn("Problem", width="large"),
}
# The plan mapping step's state: what the person said about the plan file (PLAN_CHOICE: header_row, sheet,
# mapping, start, months, allow_withdraw, and the file's sha), the first rows of its sheets (PLAN_BOOK), and its
# widgets, all named upload_map_*: sheet, header, start, months, withdraw, and col_<index> per column.
PLAN_CHOICE, PLAN_BOOK, MAP = "upload_plan", "upload_map_book", "upload_map_"
COL = MAP + "col_"
# The log mapping step's state (a lead's own progress or evidence log): LOG_CHOICE holds the file's sha and, once
# the person has changed a column, every shown table's {field: header} ("tables"); widgets are upload_log_*:
# sheet and header (picking a header row when no table was found), and <table>_<column> per column.
LOG_CHOICE, LOG = "upload_log", "upload_log_"
FILE_KEYS = ("upload_check", "upload_store", "upload_confirm", PLAN_CHOICE, LOG_CHOICE)
LOG_CHOICES = [*LOG_FIELDS, IGNORE]
HEAD_ROWS = 200  # rows of each sheet kept for choosing the header row by hand
FIELD_CHOICES = [*FIELDS, IGNORE]
PREVIEW_CONFIG = {
    "Activity": st.column_config.TextColumn("Activity", width="large"),
    "Promised evidence": st.column_config.TextColumn("Promised evidence", width="medium"),
}

actor = require_actor()
st.title("Upload")
try:
    require(actor, "load_updates")
except PermissionDenied as exc:  # the page is not offered to viewers or the board; a direct visit lands here
    st.error(str(exc))
    st.stop()

state = st.session_state
kinds = kinds_for(actor)


md = literal  # text a user chose (a file name, a message quoting it), shown literally: see tracker.text


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(n / 1024, 0.1):.1f} KB"


def issue_table(rows: list[dict[str, str]]) -> None:
    """A few issues as a plain table, so long messages wrap; many in a scrolling grid."""
    if len(rows) <= WRAP_ISSUES:  # st.table renders its cells as Markdown: the values are the file's text
        st.table([{k: md(v) for k, v in r.items()} for r in rows], hide_index=True)
    else:
        st.dataframe(rows, hide_index=True, width="stretch", column_config=ISSUE_CONFIG)


def show_issues(out: LoadOutcome) -> None:
    """Errors (if any) and warnings, each as a table a user can fix the file from."""
    if out.result is None:
        return
    errors = issue_rows(out.result.issues, severity="error")
    warnings = issue_rows(out.result.issues, severity="warning")
    if errors:
        issue_table(errors)
    for hint in option_hints(out.result.issues):
        st.caption(hint)
    if warnings:
        st.warning(
            f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}: worth a look, but they do not stop the "
            "file loading."
        )
        issue_table(warnings)


def show_changes(out: LoadOutcome) -> None:
    if out.changes:
        st.dataframe(
            change_rows(out.kind, out.changes),
            hide_index=True,
            width="stretch",
            column_config={"Details": st.column_config.TextColumn("Details", width="large")},
        )


def check(data: bytes, name: str, *, dry_run: bool, options: dict[str, Any]) -> dict[str, Any]:
    """Run the loader inside a status box that says what is happening; returns what the page shows."""
    doing, shown = ("Checking" if dry_run else "Loading"), md(name)
    steps = [f"Reading {shown} ({size(len(data))})…"]
    with st.status(f"{doing} {shown} ({size(len(data))})…", expanded=True) as box:
        st.write(steps[0])
        if len(data) > 2**20:
            st.write("A large file: reading and checking every row takes a little while.")
        try:
            with db_session() as s:
                out = load_file(data, session=s, actor=actor, dry_run=dry_run, filename=name, **options)
        except (UnreadableFile, PermissionDenied) as exc:
            message = f"{exc.filename} {exc.message}" if isinstance(exc, UnreadableFile) else str(exc)
            box.update(label=f"{shown} was not loaded", state="error", expanded=False)
            return {"error": message, "steps": steps, "label": f"{shown} was not loaded", "state": "error"}
        if out.result is not None:
            errors, warnings = len(out.result.errors), len(out.result.issues) - len(out.result.errors)
            kind = KIND_LABELS.get(out.kind, "unrecognised file").lower()
            steps.append(
                f"Read as {article(kind)} {kind}: {len(out.result.rows):,} good rows, {errors:,} problems, "
                f"{warnings:,} warnings."
            )
            st.write(steps[-1])
        label = {
            "ready": f"Checked {shown}: ready to load",
            "loaded": f"Loaded {shown}",
            "duplicate": f"{shown} was loaded before",
            "rejected": f"Checked {shown}: problems found",
        }.get(out.outcome, shown)
        done: Literal["complete", "error"] = "complete" if out.outcome in ("ready", "loaded", "duplicate") else "error"
        box.update(label=label, state=done, expanded=False)
    return {"outcome": out, "steps": steps, "label": label, "state": done}


def replay_status(result: dict[str, Any]) -> None:
    """The finished status box again on later reruns (the check itself is not repeated)."""
    with st.status(result["label"], state=result["state"], expanded=False):
        for line in result["steps"]:
            st.write(line)


def forget_file() -> None:
    """Drop everything the page holds about the current file (its check, bytes, and the plan mapping step)."""
    for k in [*FILE_KEYS, *(k for k in state if isinstance(k, str) and k.startswith((MAP, LOG)))]:
        state.pop(k, None)


def restart() -> None:
    """Forget the file: a fresh uploader (a new key), so the same file is not loaded twice by accident."""
    state["upload_gen"] = state.get("upload_gen", 0) + 1
    forget_file()


def confirm_clicked(token: str) -> None:
    """A callback, not the button's return value: the click survives any rerun before the page reaches it.
    `token` names the check whose preview was on screen, so only that very check is loaded."""
    state["upload_confirm"] = token


def show_outcome(result: dict[str, Any], *, name: str) -> None:
    """Rejected, duplicate or refused: the same words whether it was the check or the load that said so."""
    if result.get("error"):
        st.error(md(result["error"]))
        return
    out: LoadOutcome = result["outcome"]
    if out.outcome == "duplicate":
        st.info(f"{md(name)} was {out.message}.", icon=":material/content_copy:")
    elif out.outcome == "rejected":
        n = len(out.result.errors) if out.result else 0
        st.error(
            f"{n} problem{'s' if n != 1 else ''}: nothing was written. Fix {'them' if n != 1 else 'it'} in the "
            "file (sheet, row as Excel numbers it, and column below) and upload it again."
        )
        show_issues(out)
        if out.result is not None and "plan" in kinds and any(i.code == "unknown_kind" for i in out.result.issues):
            st.info(
                "If it is an action plan, choose **Action plan** under 'What is the file?' above: the page then "
                "shows its columns for you to map by hand.",
                icon=":material/table_view:",
            )


# --- the plan mapping step ----------------------------------------------------------------------------


def said_about(sha: str, where: str, widgets: str) -> dict[str, Any]:
    """What the person has said about this file in one mapping step so far (kept in state[`where`], its widgets
    named `widgets`*): nothing, for a new file, whose widgets are cleared."""
    choice = state.get(where)
    if choice is None or choice.get("sha") != sha:
        for k in [k for k in state if isinstance(k, str) and k.startswith(widgets)]:
            del state[k]
        choice = state[where] = {"sha": sha}
    return choice  # type: ignore[no-any-return]


def table_pickers(
    book: list[tuple[str, list[list[Any]], int]],
    widgets: str,
    sheet_changed: Callable[[], None],
    header_changed: Callable[[], None],
) -> None:
    """Where a mapping step's table is: the sheet (when there are several) and its header row, widgets named
    `widgets`sheet and `widgets`header."""
    if len(book) > 1:
        st.selectbox("Sheet", [n for n, _, _ in book], key=widgets + "sheet", on_change=sheet_changed)
    rows_in = next((n for name, _, n in book if name == state.get(widgets + "sheet")), HEAD_ROWS)
    st.number_input(
        "Header row",
        min_value=1,
        max_value=max(1, min(rows_in, HEAD_ROWS), int(state.get(widgets + "header") or 1)),
        step=1,
        key=widgets + "header",
        on_change=header_changed,
        help="The row holding the column headers, as Excel numbers it.",
    )


def show_guesses(result: LoadResult) -> None:
    """Every guess the reader made, in an expander (shown by both mapping steps)."""
    if result.notes:
        with st.expander(f"How the file was read: {len(result.notes)} guess{'es' if len(result.notes) != 1 else ''}"):
            issue_table(issue_rows(result.notes, severity="warning", saying="How it was read"))


def field_grid(
    columns: list[tuple[int, str, str]],
    key: Callable[[int], str],
    choices: list[str],
    names: dict[str, str],
    on_change: Callable[..., None],
    args: Callable[[int], tuple[Any, ...]],
    *,
    suffix: str = "",
) -> None:
    """A select per column, four to a row, each beside its letter and header: the field the column is read as."""
    per_row = 4
    for first in range(0, len(columns), per_row):
        cells = st.columns(per_row)
        for cell, (j, letter, label) in zip(cells, columns[first : first + per_row], strict=False):
            shown = label if len(label) <= 60 else label[:59] + "…"
            # The header is the file's text: shown escaped beside the select, never in the select's label
            # (a label's escapes would reach screen readers in its accessible name).
            cell.markdown(f"**{letter}** · {md(shown)}")
            cell.selectbox(
                f"Field for column {letter}{suffix}",
                choices,
                format_func=lambda f: names.get(f, "Ignore (not read)"),
                key=key(j),
                on_change=on_change,
                args=args(j),
                label_visibility="collapsed",
            )


def plan_options(choice: dict[str, Any]) -> PlanOptions:
    mapping = choice.get("mapping")
    return PlanOptions(
        start=choice.get("start"),
        months=choice.get("months"),
        mapping=mapping,
        complete=mapping is not None,  # the step sends every column: the ones not in it are ignored
        header_row=choice.get("header_row"),
        sheet=choice.get("sheet"),
        allow_withdraw=bool(choice.get("allow_withdraw")),
        # A header row the person picked is read afresh, not with the mapping kept for another row's headers.
        use_saved=choice.get("header_row") is None,
    )


def plan_book(data: bytes, name: str, sha: str) -> list[tuple[str, list[list[Any]], int]]:
    """(sheet name, first rows, number of rows) per sheet, read once per file: for the sheet and header row
    choices and, when the reader found no table, the columns of the row the person picks."""
    book = state.get(PLAN_BOOK)
    if book is None or book["sha"] != sha:
        wb = read_workbook(data, filename=name)
        book = {"sha": sha, "sheets": [(sh.name, sh.rows[:HEAD_ROWS], len(sh.rows)) for sh in wb.sheets]}
        state[PLAN_BOOK] = book
    return book["sheets"]  # type: ignore[no-any-return]


def is_plan_step(out: LoadOutcome | None) -> bool:
    """A plan file (chosen or detected), or one whose table could not be found: the mapping step opens."""
    if out is None or out.result is None or out.outcome not in ("ready", "rejected"):
        return False
    return out.kind == "plan"


def plan_columns(out: LoadOutcome, book: list[tuple[str, list[list[Any]], int]]) -> list[tuple[int, str, str]]:
    """The columns the step shows: the reader's, or those of the header row picked when it found no table."""
    reading = out.result.meta.get("reading") if out.result else None
    if reading is not None:
        return [(c.index, c.letter, c.label) for c in reading.columns]
    rows = next((r for n, r, _ in book if n == state.get(MAP + "sheet")), book[0][1] if book else [])
    return raw_columns(rows, int(state.get(MAP + "header") or 1))


def sync_plan_widgets(out: LoadOutcome, choice: dict[str, Any], book: list[tuple[str, list[list[Any]], int]]) -> None:
    """After a new check: every widget of the step shows what the file was read with (or, with no table found,
    what the person said so far and the likeliest header row)."""
    meta = out.result.meta if out.result else {}
    for k in [k for k in state if isinstance(k, str) and k.startswith(COL)]:
        del state[k]
    sheet = meta.get("sheet") or choice.get("sheet") or (book[0][0] if book else "")
    state[MAP + "sheet"] = sheet
    rows = next((r for n, r, _ in book if n == sheet), [])
    state[MAP + "header"] = int(meta.get("header_row") or choice.get("header_row") or header_guess(rows))
    reading = meta.get("reading")
    if reading is not None:
        for c in reading.columns:
            state[f"{COL}{c.index}"] = c.field
    else:
        by_label = {label: field for field, label in (choice.get("mapping") or {}).items()}
        for j, _, label in plan_columns(out, book):
            state[f"{COL}{j}"] = by_label.get(label, IGNORE)
    state[MAP + "start"] = meta.get("start_date") or choice.get("start")
    state[MAP + "months"] = int(meta.get("months") or choice.get("months") or 24)
    state[MAP + "withdraw"] = bool(choice.get("allow_withdraw"))


def column_changed(j: int, columns: list[tuple[int, str, str]]) -> None:
    """One column's field changed: a field sits on one column only (another column holding it is now
    ignored), and the whole mapping is sent from now on."""
    field = state[f"{COL}{j}"]
    if field != IGNORE:
        for i, _, _ in columns:
            if i != j and state.get(f"{COL}{i}") == field:
                state[f"{COL}{i}"] = IGNORE
    state[PLAN_CHOICE].update(
        mapping={state[f"{COL}{i}"]: label for i, _, label in columns if state.get(f"{COL}{i}", IGNORE) != IGNORE},
        header_row=int(state[MAP + "header"]),
        sheet=state.get(MAP + "sheet"),
    )


def header_changed() -> None:
    """Another header row: its columns are guessed afresh."""
    state[PLAN_CHOICE].update(header_row=int(state[MAP + "header"]), mapping=None, sheet=state.get(MAP + "sheet"))


def sheet_changed() -> None:
    state[PLAN_CHOICE].update(sheet=state[MAP + "sheet"], header_row=None, mapping=None)


def start_changed() -> None:
    start = state[MAP + "start"]
    state[PLAN_CHOICE]["start"] = start.replace(day=1) if start else None  # a plan starts on the 1st


def months_changed() -> None:
    state[PLAN_CHOICE]["months"] = int(state[MAP + "months"])


def withdraw_changed() -> None:
    state[PLAN_CHOICE]["allow_withdraw"] = bool(state[MAP + "withdraw"])


def top_start_changed() -> None:
    """The Plan start above the file is the latest word on the start."""
    choice = state.get(PLAN_CHOICE)
    if choice is not None:
        choice.pop("start", None)


def day(d: date | None) -> str:
    return f"{d.day} {d:%B %Y}" if d else ""


def plan_step(out: LoadOutcome, choice: dict[str, Any], book: list[tuple[str, list[list[Any]], int]]) -> None:
    """Where the table is, what each column is, the plan's window; then the actions as they will be stored and
    every problem, warning and guess. Each change checks the file again with what was chosen."""
    assert out.result is not None
    result, meta = out.result, out.result.meta
    reading = meta.get("reading")
    codes = {i.code for i in result.issues}
    if reading is not None:
        line = f"Read from sheet **{md(str(meta['sheet']))}**, header row **{meta['header_row']}**"
        if meta.get("mapping_from"):
            line += f", with the columns as {md(str(meta['mapping_from']))} mapped them for these headers"
        st.markdown(line + ". Change any column's field and the preview below follows.")
    else:
        st.warning(
            "The plan's table was not found. Say which row holds the column headers and what each column is: "
            "the preview below follows as you choose (an Activity column and at least one other are needed).",
            icon=":material/table_view:",
        )
    if meta.get("start_date"):
        st.markdown(
            f"Plan: **{day(meta['start_date'])} – {day(meta['end_date'])}** ({meta['months']} months"
            + (f"; start {md(str(meta['start_from']))}" if meta.get("start_from") else "")
            + ")."
        )

    with st.container(horizontal=True):
        table_pickers(book, MAP, sheet_changed, header_changed)
        st.date_input(
            "Plan start",
            format="DD/MM/YYYY",
            key=MAP + "start",
            on_change=start_changed,
            help="The month the plan starts (any day of it).",
        )
        months = sorted({24, 36, int(state.get(MAP + "months") or 24)})
        st.selectbox(
            "Plan length",
            months,
            format_func=lambda m: f"{m} months",
            key=MAP + "months",
            on_change=months_changed,
        )

    columns = plan_columns(out, book)
    guesses = {c.index: c.field for c in reading.columns} if reading is not None else {}
    st.markdown("**What each column holds**")
    for j, _, _ in columns:
        state.setdefault(f"{COL}{j}", guesses.get(j, IGNORE))
    field_grid(columns, lambda j: f"{COL}{j}", FIELD_CHOICES, FIELDS, column_changed, lambda j: (j, columns))
    if not columns:
        st.write("That row has no columns: choose another header row.")
    with st.expander("What the fields mean"):
        st.table(
            [{"Field": FIELDS.get(f, "Ignore (not read)"), "Means": FIELD_HELP.get(f, "")} for f in FIELD_CHOICES],
            hide_index=True,
        )

    errors = result.errors
    if errors:
        n = len(errors)
        st.error(
            f"{n} problem{'s' if n != 1 else ''}: nothing can be loaded yet. Fix {'them' if n != 1 else 'it'} "
            "here (sheet, header row, columns, start, length) or in the file and upload it again."
        )
    show_issues(out)
    if "mass_withdrawal" in codes or choice.get("allow_withdraw"):
        st.checkbox(
            "Withdraw these actions: I mean to replace the plan",
            key=MAP + "withdraw",
            on_change=withdraw_changed,
            help="Withdrawn actions are kept with their history, never deleted.",
        )

    actions = preview_rows(plan_preview(result))
    if actions:
        n = len(actions)
        st.markdown(
            f"**The {n} action{'s' if n != 1 else ''} as {'they' if n != 1 else 'it'} will be stored**"
            if out.outcome == "ready"
            else f"**The {n} action{'s' if n != 1 else ''} read so far** (stored once the problems are fixed)"
        )
        st.dataframe(actions, hide_index=True, width="stretch", column_config=PREVIEW_CONFIG)
    show_guesses(result)


# --- the log mapping step ------------------------------------------------------------------------------


def log_options(choice: dict[str, Any]) -> UpdateOptions:
    tables = choice.get("tables")
    return UpdateOptions(tables=tables, use_saved=tables is None)


def log_key(k: int, j: int) -> str:
    return f"{LOG}{k}_{j}"


def log_tables(out: LoadOutcome) -> list[UpdateTable]:
    return list(out.result.meta.get("tables", [])) if out.result else []


def log_layout(
    out: LoadOutcome, book: list[tuple[str, list[list[Any]], int]]
) -> list[tuple[str, list[tuple[int, str, str]]]]:
    """(table key, [(column, letter, label)]) per table the step shows: the tables read, or, when none was found,
    the columns of the header row the person picks."""
    tables = log_tables(out)
    if tables:
        return [(t.key, [(c.index, c.letter, c.label) for c in t.reading.columns]) for t in tables]
    sheet = state.get(LOG + "sheet") or (book[0][0] if book else "")
    rows = next((r for n, r, _ in book if n == sheet), [])
    row = int(state.get(LOG + "header") or header_guess(rows))
    return [(f"{sheet}!{row}", raw_columns(rows, row))]


def sync_log_widgets(out: LoadOutcome, choice: dict[str, Any], book: list[tuple[str, list[list[Any]], int]]) -> None:
    """After a new check: every column's field shows what the file was read with."""
    keep = {k: state[k] for k in (LOG + "sheet", LOG + "header") if k in state}
    for k in [k for k in state if isinstance(k, str) and k.startswith(LOG)]:
        del state[k]
    state.update(keep)
    if not log_tables(out):
        sheet = state.setdefault(LOG + "sheet", book[0][0] if book else "")
        rows = next((r for n, r, _ in book if n == sheet), [])
        state.setdefault(LOG + "header", header_guess(rows))
        said = next(iter((choice.get("tables") or {}).values()), {})
        by_label = {label: field for field, label in said.items()}
        for j, _, label in log_layout(out, book)[0][1]:
            state[log_key(0, j)] = by_label.get(label, IGNORE)
        return
    for k, t in enumerate(log_tables(out)):
        for c in t.reading.columns:
            state[log_key(k, c.index)] = c.field
    state[LOG + "synced"] = True


def log_column_changed(k: int, j: int, layout: list[tuple[str, list[tuple[int, str, str]]]]) -> None:
    """One column's field changed: a field sits on one column of a table only, and every shown table's mapping
    is sent from now on."""
    field = state[log_key(k, j)]
    if field != IGNORE:
        for i, _, _ in layout[k][1]:
            if i != j and state.get(log_key(k, i)) == field:
                state[log_key(k, i)] = IGNORE
    state[LOG_CHOICE]["tables"] = {
        key: {state[log_key(m, i)]: label for i, _, label in cols if state.get(log_key(m, i), IGNORE) != IGNORE}
        for m, (key, cols) in enumerate(layout)
    }


def log_header_changed() -> None:
    """Another sheet or header row picked (no table was found): its columns start unmapped."""
    state[LOG_CHOICE].pop("tables", None)
    for k in [k for k in state if isinstance(k, str) and k.startswith(LOG) and k[len(LOG) :][:1].isdigit()]:
        del state[k]


def log_step(out: LoadOutcome, book: list[tuple[str, list[list[Any]], int]]) -> None:
    """Each table found (or the header row picked), what each column was read as, then the updates and evidence
    as they will be stored and every problem, warning and guess. Each change checks the file again."""
    assert out.result is not None
    result = out.result
    tables = log_tables(out)
    layout = log_layout(out, book)
    if tables:
        st.markdown(
            "Your file is not laid out as the update template, so its columns were read by what they say and hold. "
            "Check each guess below; change any column's field and the preview follows. What you confirm is "
            "remembered for your next file with the same headers."
        )
    else:
        st.warning(
            "No progress or evidence table was found. Say which row holds the column headers and what each column "
            "is: a table needs a Ref and a Date column, and a Status or Percent complete (progress) or a "
            "Description (evidence).",
            icon=":material/table_view:",
        )
        with st.container(horizontal=True):
            table_pickers(book, LOG, log_header_changed, log_header_changed)
    for k, (_key, columns) in enumerate(layout):
        if tables:
            t = tables[k]
            line = f"**Sheet {md(t.sheet)}, header row {t.header_row}**: read as {TABLE_KIND_WORDS[t.kind]}"
            if t.mapped_by:
                line += f", with the columns as {md(t.mapped_by)} mapped them for these headers"
            st.markdown(line + ".")
        for j, _, _ in columns:
            state.setdefault(log_key(k, j), IGNORE)
        field_grid(
            columns,
            lambda j, k=k: log_key(k, j),
            LOG_CHOICES,
            LOG_FIELDS,
            log_column_changed,
            lambda j, k=k: (k, j, layout),
            suffix=f" of table {k + 1}" if len(layout) > 1 else "",
        )
        if not columns:
            st.write("That row has no columns: choose another header row.")
    with st.expander("What the fields mean"):
        st.table(
            [
                {"Field": LOG_FIELDS.get(f, "Ignore (not read)"), "Means": LOG_FIELD_HELP.get(f, "")}
                for f in LOG_CHOICES
            ],
            hide_index=True,
        )
    errors = result.errors
    if errors:
        n = len(errors)
        st.error(
            f"{n} problem{'s' if n != 1 else ''}: nothing can be loaded yet. Fix {'them' if n != 1 else 'it'} "
            "here (the columns) or in the file and upload it again."
        )
    show_issues(out)
    progress, evidence = log_preview(result)
    stored = out.outcome == "ready"
    for rows, what in ((progress, "progress update"), (evidence, "evidence item")):
        if rows:
            n = len(rows)
            st.markdown(
                f"**The {n} {what}{'s' if n != 1 else ''} as {'they' if n != 1 else 'it'} will be stored**"
                if stored
                else f"**The {n} {what}{'s' if n != 1 else ''} read so far** (stored once the problems are fixed)"
            )
            st.dataframe(rows, hide_index=True, width="stretch", column_config=LOG_PREVIEW_CONFIG)
    show_guesses(result)


LOG_PREVIEW_CONFIG = {
    "Note": st.column_config.TextColumn("Note", width="large"),
    "Evidence": st.column_config.TextColumn("Evidence", width="large"),
    "Link": st.column_config.TextColumn("Link", width="medium"),
}


# --- 1. the template --------------------------------------------------------------------------------

st.subheader("1. Download the update template")
round_notice(actor, key="upload")
template_name, template = view(template_for, actor=actor)
if actor.can("load_plan"):
    hint = "Pre-filled with every action in the plan: delete the rows you are not updating."
elif actor.owns:
    hint = f"Pre-filled with your actions ({md(', '.join(sorted(actor.owns)))}): one row per update."
else:
    hint = "You do not own any actions yet: an administrator assigns them (Admin page)."
with st.container(horizontal=True):
    st.download_button(
        "Download the update template",
        template,
        file_name=template_name,
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="dl_updates_template",
    )
    if "plan" in kinds:
        st.download_button(
            "Plan template",
            plan_template,
            file_name="plan_template.xlsx",
            mime=XLSX,
            on_click="ignore",
            icon=":material/download:",
        )
    if "workforce" in kinds:
        st.download_button(
            "Workforce template",
            workforce_template,
            file_name="workforce_template.xlsx",
            mime=XLSX,
            on_click="ignore",
            icon=":material/download:",
        )
st.caption(f"{hint} Progress, evidence and measures each have their own sheet; the README sheet explains every column.")

# --- 2. the file --------------------------------------------------------------------------------------

st.subheader("2. Upload the filled-in file")
gen = state.get("upload_gen", 0)
limit = get_settings().max_upload_bytes
with st.container(horizontal=True):
    kind = st.selectbox(
        "What is the file?",
        [AUTO, *kinds],
        format_func=lambda k: KIND_LABELS.get(k, "Detect automatically"),
        key="upload_kind",
        help="Left on Detect automatically, the tracker tells from the columns.",
    )
    plan_start: date | None = None
    as_at: date | None = None
    if kind == "plan" or (kind == AUTO and "plan" in kinds):
        plan_start = st.date_input(
            "Plan start (action plans only)",
            value=None,
            format="DD/MM/YYYY",
            key="upload_plan_start",
            on_change=top_start_changed,
            help="The month the plan starts; blank: read from the plan's title block.",
        )
    if kind == "workforce" or (kind == AUTO and "workforce" in kinds):
        as_at = st.date_input(
            "As at (workforce extracts only)",
            value=None,
            format="DD/MM/YYYY",
            key="upload_as_of",
            help="The date the HR extract describes; blank: the date in the file.",
        )
file = st.file_uploader(
    "Spreadsheet, or a plan in a Word table (.xlsx, .xlsb, .xls, .ods, .csv or .docx)",
    type=TYPES,
    key="upload_file" if gen == 0 else f"upload_file_{gen}",
    max_upload_size=-(-limit // 2**20),
    help="Nothing is written until you have seen what the file changes and confirmed.",
)

if file is None:
    forget_file()
    done = state.get("upload_done")
    if done:
        result, name = done["result"], done["name"]
        out = result.get("outcome")
        if out is not None and out.outcome == "loaded":
            moves = [
                f"{md(r['Action'])} {r['From']} → {r['To']}"
                for r in change_rows(out.kind, out.changes)
                if r["Change"] == "Status change"
            ]
            st.success(
                f"Loaded {md(name)} (upload {out.upload_id}): {change_counts(out.changes)}."
                + (f" Status: {'; '.join(moves[:10])}." if moves else ""),
                icon=":material/check_circle:",
            )
            for link in follow_ups(out.kind, out.changes):
                path, icon = LINK_PAGES[link.page]
                st.page_link(path, label=md(link.label), icon=icon, query_params=link.params or None)
            st.page_link("pages/uploads.py", label="See your uploads", icon=":material/upload_file:")
            with st.expander("What was written"):
                show_changes(out)
                show_issues(out)
        else:
            show_outcome(result, name=name)
    st.stop()

# A new file: the last load's message belongs to the last file.
state.pop("upload_done", None)
data = file.getvalue()
sha = hashlib.sha256(data).hexdigest()
state["upload_store"] = {sha: (file.name, data)}  # one file at a time; survives reruns until confirmed
choice = said_about(sha, PLAN_CHOICE, MAP)  # what the person said about it as a plan (nothing yet for a new file)
plan = plan_options(choice)
said = said_about(sha, LOG_CHOICE, LOG)  # what they said about its columns as a log of their own
updates = log_options(said)
# A plan starts on the first of its month, whichever day was picked.
options: dict[str, Any] = {
    "kind": kind or None,
    "plan_start": plan_start and plan_start.replace(day=1),
    "as_of": as_at,
    "plan": plan,
    "updates": updates,
    # The first check of a file is recorded (a refused file leaves its trace); re-checks while the person corrects
    # the mapping are not, or each change would leave one.
    "record": set(choice) <= {"sha"} and set(said) <= {"sha"},
}
key = (sha, file.name, kind, plan_start, as_at, plan, updates)
result = state.get("upload_check")
fresh = result is None or result["key"] != key
if result is None or fresh:
    # Checked once per file and options: a rejected check is recorded as an upload, so not on every rerun.
    token = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    result = {"key": key, "token": token, **check(data, file.name, dry_run=True, options=options)}
    state["upload_check"] = result
else:
    replay_status(result)

out = result.get("outcome")
ready = out is not None and out.outcome == "ready"
if ready and state.pop("upload_confirm", None) == result["token"]:
    name, stored = state["upload_store"][sha]  # the very bytes the preview was made from
    if out is not None and out.kind == "plan" and out.result is not None and out.result.meta.get("columns"):
        # The mapping on screen, confirmed: kept for the next file with the same header row. It reads the file
        # exactly as the preview did.
        confirmed = replace(
            plan,
            mapping=out.result.meta["columns"],
            complete=True,
            header_row=out.result.meta["header_row"],
            sheet=out.result.meta["sheet"],
        )
        options = {**options, "plan": confirmed}
    if out is not None and needs_log_step(out.result):
        # The columns on screen, confirmed: kept for this person's next log with the same headers.
        options = {**options, "updates": UpdateOptions(tables={t.key: t.columns() for t in log_tables(out)})}
    loaded = check(stored, name, dry_run=False, options=options)  # and the very options
    restart()
    state["upload_done"] = {"result": loaded, "name": name}
    st.rerun()

mapping = is_plan_step(out)
log = not mapping and out is not None and out.outcome in ("ready", "rejected") and needs_log_step(out.result)
if mapping:
    assert out is not None
    book = plan_book(data, file.name, sha)
    if fresh or MAP + "header" not in state:  # a new check, or the step's widgets were not drawn last run
        sync_plan_widgets(out, choice, book)
    st.subheader("3. Check how the plan was read")
    plan_step(out, choice, book)
elif log:
    assert out is not None
    book = plan_book(data, file.name, sha)
    if fresh or not any(isinstance(k, str) and k.startswith(LOG) for k in state):
        sync_log_widgets(out, said, book)
    st.subheader("3. Check how your file was read")
    log_step(out, book)
elif not ready:
    show_outcome(result, name=file.name)
if out is None or not ready:
    st.stop()

# --- 3. (4. for a plan) the preview and the confirmation --------------------------------------------------

st.subheader(f"{4 if mapping or log else 3}. Check what will change, then confirm")
what = KIND_LABELS.get(out.kind, out.kind).lower()
if out.changes:
    st.markdown(
        f"**{md(file.name)}** is {article(what)} {what}. Loading it will write: **{change_counts(out.changes)}**."
    )
else:
    st.markdown(f"**{md(file.name)}** is {article(what)} {what}. It changes nothing that is held now.")
st.caption("Nothing has been written yet.")
show_changes(out)
if not (mapping or log):  # a plan's or a log's problems and warnings are shown with how it was read
    show_issues(out)
with st.container(horizontal=True):
    st.button(
        "Confirm and load",
        type="primary",
        key=f"confirm_{sha[:16]}",
        icon=":material/publish:",
        on_click=confirm_clicked,
        args=(result["token"],),
    )
    st.button("Cancel", key=f"cancel_{sha[:16]}", on_click=restart)
