"""Issue 13, point 5: text people supply is shown literally on every page, in every chart and in the board pack.

A corpus of hostile strings (HTML, a Markdown image and link, LaTeX, Streamlit colour and icon directives, an
emoji shortcode, an RTL override, a very long text) is loaded the ordinary way (`load_file`, `add_user`) into a
copy of the demo database as a plan's texts, a lead's notes, evidence and measures, an HR extract's faculty
and grade names and a user's name; then every page is opened in AppTest and every element Streamlit renders as
Markdown is checked: no corpus mark is left unescaped, and each string's words are still there to read.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.apputil import open_app
from tests.test_access import SPEC_PATHS
from tracker.db import open_engine
from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import PlanOptions, load_file
from tracker.text import literal, plotted, unescape_literal, visible
from tracker.users import add_user

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]

# Each string carries a plain word of its own, so "still readable" can be checked wherever it lands.
CORPUS = {
    "html_img": "<img src=http://evil/x> imgword",
    "script": "<script>alert(1)</script> scriptword",
    "md_image": "![x](http://evil/x.png) imageword",
    "md_link": "[click](javascript:alert(1)) linkword",
    "latex": "$\\frac{1}{0}$ mathword",
    "colour": ":red[alert] colourword",
    "icon": ":material/warning: iconword",
    "rtl": "\u202egnp.exe rtlword",
    "emoji": ":smile: emojiword",
    "long": "longword " + "very long text " * 300,
}
# What must never reach a Markdown body unescaped (each checked as not preceded by a backslash).
MARKS = ["![", "<img", "<script", "](", ":red[", "$\\frac", ":material/", ":smile:", "\u202e"]
EMAIL = "hostile@demo.ac.uk"
REFS = {key: f"H{i}" for i, key in enumerate(CORPUS, start=1)}


def unescaped(body: str, mark: str) -> bool:
    """True when `mark` occurs in `body` with its first character not backslash-escaped (and, for a colon,
    not followed by the word joiner `literal` puts there)."""
    for m in re.finditer(re.escape(mark), body):
        before = body[: m.start()]
        slashes = len(before) - len(before.rstrip("\\"))
        if slashes % 2 == 0:
            return True
    return False


# --- the hostile database -------------------------------------------------------------------------------


def plan_file(make_xlsx: MakeXlsx) -> bytes:
    header = ["Ref", "Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"]
    rows: list[list[Any]] = [
        ["Organisation: Demo University"],
        ["24-month action plan, November 2018 – October 2020"],
        [],
        header,
    ]
    for key, text in CORPUS.items():
        theme = text if key != "long" else "longword theme"
        rows.append([REFS[key], theme, text, text, f"{text} (Evidence: {text})", text, "X", "X", None, None])
    return make_xlsx({"Plan": rows})


def updates_file(make_xlsx: MakeXlsx) -> bytes:
    when = datetime(2019, 6, 30)
    progress: list[list[Any]] = [list(PROGRESS_COLUMNS)]
    evidence: list[list[Any]] = [list(EVIDENCE_COLUMNS)]
    measures: list[list[Any]] = [list(MEASURE_COLUMNS)]
    for key, text in CORPUS.items():
        ref = REFS[key]
        progress.append([ref, when, "Red", 10, text, text])
        evidence.append([ref, when, text, "Document", None, "V", text, None])
        measures.append([ref, text, text[:40], 0, 10, when, 5])
    return make_xlsx({"Progress": progress, "Evidence": evidence, "Measures": measures})


def workforce_file(make_xlsx: MakeXlsx) -> bytes:
    header = ["Staff Number", "Faculty", "Department", "Job Family", "Grade", "Gender", "FTE"]
    rows: list[list[Any]] = [["Technical staff as at 31 July 2019"], header]
    n = 0
    for key, text in CORPUS.items():
        faculty = text if key != "long" else "longword " + "faculty " * 20  # 200 characters at most
        for sex in "FFFMMMFFMMFFMMFFMMFFMMFFM":  # 25 people: percentages are shown, not suppressed
            n += 1
            rows.append([str(n), faculty, "Dept", "Laboratory", text[:60], sex, 1])
    return make_xlsx({"HR": rows})


@pytest.fixture
def hostile_db(db: str, make_xlsx: MakeXlsx) -> Iterator[str]:
    """The demo database with the corpus in every kind of user-supplied text, loaded the ordinary way."""
    with Session(open_engine(db)) as s:
        out = load_file(
            plan_file(make_xlsx), session=s, filename="hostile plan.xlsx", plan=PlanOptions(allow_withdraw=True)
        )
        assert out.outcome == "loaded", out.message
        out = load_file(updates_file(make_xlsx), session=s, filename="hostile updates.xlsx", today=date(2019, 7, 1))
        assert out.outcome == "loaded", out.message
        out = load_file(workforce_file(make_xlsx), session=s, filename="hostile hr.xlsx", kind="workforce")
        assert out.outcome == "loaded", out.message
        add_user(session=s, email=EMAIL, name=CORPUS["md_image"], role="admin")
        s.commit()
    yield db


# --- what the pages render -----------------------------------------------------------------------------

# Proto fields Streamlit renders as Markdown (element bodies, labels, tooltips, metric values and deltas).
MARKDOWN_FIELDS = {"body", "label", "help", "delta", "caption"}
# Elements whose strings are not Markdown: data grids, option lists are not in MARKDOWN_FIELDS; charts are
# checked as plotly text below.
NOT_MARKDOWN = {"arrow_data_frame", "plotly_chart", "vega_lite_chart", "code", "text", "json"}


def _strings(message: Any, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.name in NOT_MARKDOWN:
            continue
        values = list(value) if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for v in values:
                _strings(v, out)
        elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
            out.extend(values)


def rendered(at: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(element type, Markdown source) for every Markdown-rendered string on the page, in order, with each
    st.table cell as its own entry; and the JSON of every plotly figure."""
    markdown: list[tuple[str, str]] = []
    figures: list[str] = []
    last = [""]  # the type of the element before this one

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "caption" and last[0] == "plotly_chart":
            kind = "chart summary"  # pages/common.py's show_chart: st.caption(chart.summary) under the chart
        if proto is not None and kind:
            last[0] = kind
        if proto is not None:
            if kind == "plotly_chart":
                figures.append(proto.spec)
            elif kind == "table":
                frame = node.value
                cells = [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
                markdown.extend(("table", c) for c in cells)
            elif kind not in ("dataframe", "arrow_data_frame"):
                found: list[str] = []
                _strings(proto, found)
                markdown.extend((kind, s) for s in found if s)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return markdown, figures


def violations(markdown: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(kind, mark, body[:200]) for kind, body in markdown for mark in MARKS if unescaped(body, mark)]


def known_elsewhere(kind: str, body: str) -> bool:
    """Strings known to be rendered unescaped somewhere: none now (app.py's sidebar and pages/common.py's chart
    summaries go through `literal` too)."""
    return False


# Where each page shows the corpus: in Markdown (escaped by `literal`) or in a chart (escaped by `plotted`).
SHOWN_ON = {
    "pages/action_plan.py": ("markdown", "imageword"),
    "pages/changes.py": ("markdown", "imgword"),
    "pages/evidence.py": ("chart", "imgword"),
    "pages/workforce.py": ("chart", "imgword"),
}
PAGES = SPEC_PATHS  # every page, as the access tests list them


def open_page(monkeypatch: pytest.MonkeyPatch, url: str, page: str, **params: Any) -> Any:
    return open_app(monkeypatch, url, page=page, as_user=EMAIL, role="admin", **params)


def readable(markdown: list[tuple[str, str]]) -> str:
    return "\n".join(unescape_literal(body) for _, body in markdown)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_corpus_literally(monkeypatch: pytest.MonkeyPatch, hostile_db: str, page: str) -> None:
    params: dict[str, Any] = {}
    if page == "pages/action_plan.py":
        params = {"action": "H3", "as_of": "2019-07-31"}
    elif page == "pages/changes.py":
        params = {"from": "2019-01-01", "to": "2019-12-31"}
    elif page in ("pages/evidence.py", "pages/home.py", "pages/pillars.py"):
        params = {"as_of": "2019-07-31"}
    elif page == "pages/workforce.py":
        params = {"snapshot": "2019-07-31"}
    at = open_page(monkeypatch, hostile_db, page, **params)
    markdown, figures = rendered(at)
    bad = [v for v in violations(markdown) if not known_elsewhere(v[0], v[2])]
    assert not bad, bad
    plotly = [json.dumps(json.loads(spec)) for spec in figures]
    for text in plotly:  # plotly's HTML subset and MathJax: no tag or formula from the corpus survives
        for mark in ("<img", "<script", "$\\\\frac", "\\u202e"):
            assert mark not in text, (page, mark)
    # Not vacuous: where a page shows the corpus, it is there (escaped) to be checked.
    where, word = SHOWN_ON.get(page, ("", ""))
    if where == "markdown":
        assert word in readable(markdown), page
    elif where == "chart":
        assert any("&lt;img src=http://evil/x&gt;" in t and word in t for t in plotly), page


def test_the_corpus_is_still_readable(monkeypatch: pytest.MonkeyPatch, hostile_db: str) -> None:
    """The escapes hide nothing: the action's texts, its measure and the evidence read as written."""
    at = open_page(monkeypatch, hostile_db, "pages/action_plan.py", action="H3", as_of="2019-07-31")
    text = readable(rendered(at)[0])
    assert visible(CORPUS["md_image"]) in text  # purpose, activity, impact, owners, measure name of H3
    for word in ("imageword",):
        assert text.count(word) >= 4
    for key, value in CORPUS.items():  # each action's detail, one at a time
        if key in ("md_image", "long"):
            continue
        at = open_page(monkeypatch, hostile_db, "pages/action_plan.py", action=REFS[key], as_of="2019-07-31")
        assert visible(value) in readable(rendered(at)[0]), key
    at = open_page(monkeypatch, hostile_db, "pages/workforce.py", faculty=CORPUS["colour"], snapshot="2019-07-31")
    assert visible(CORPUS["colour"]) in readable(rendered(at)[0])


def test_no_unescaped_text_anywhere(monkeypatch: pytest.MonkeyPatch, hostile_db: str) -> None:
    for page in ("pages/evidence.py", "pages/workforce.py"):
        markdown, _ = rendered(open_page(monkeypatch, hostile_db, page, as_of="2019-07-31"))
        assert not violations(markdown)


# --- the escape functions themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("text", list(CORPUS.values()))
def test_literal_reads_back_as_written(text: str) -> None:
    shown = literal(text)
    assert not [m for m in MARKS if unescaped(shown, m)]
    assert unescape_literal(shown) == visible(text)


def test_plotted_leaves_no_tag_entity_or_formula() -> None:
    assert plotted(CORPUS["html_img"]) == "&lt;img src=http://evil/x&gt; imgword"
    assert "$" not in plotted(CORPUS["latex"])
    assert plotted("R&D <br>") == "R&amp;D &lt;br&gt;"


def test_invisible_controls() -> None:
    assert visible("\u202egnp.exe") == "⟨U+202E⟩gnp.exe"
    assert visible("a\u2066b\u2069c") == "a⟨U+2066⟩b⟨U+2069⟩c"
    assert visible("zero\u200bwidth\ufeff\x00") == "zerowidth"
    assert visible("👩\u200d🔬") == "👩\u200d🔬"  # a joiner inside an emoji sequence is kept
    flag = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert visible(f"Scotland {flag}") == f"Scotland {flag}"


# --- the board pack ------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_board_pack_prints_the_corpus_literally(hostile_db: str, tmp_path: Path) -> None:
    from tracker.auth import actor_for
    from tracker.report import build_pack

    with Session(open_engine(hostile_db)) as s:
        actor = actor_for(session=s, email=EMAIL)
        assert actor is not None
        pack = build_pack(
            session=s, actor=actor, period_start=date(2019, 1, 1), period_end=date(2019, 7, 31), charts=False
        )
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(pack.pdf)
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for key in ("html_img", "script", "md_image", "md_link", "latex", "colour", "icon", "emoji"):
        assert re.sub(r"\s+", "", CORPUS[key]) in flat, key
    assert "&lt;" not in text and "&amp;" not in text  # escaped once, by the template: never shown as entities
