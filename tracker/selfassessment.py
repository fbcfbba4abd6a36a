"""The Technician Commitment self-assessment, drafted as a Word document from what the tracker holds.

`build_self_assessment` writes the sections of the self-assessment (the seed, `003`, is UCL's of October 2018) with
real Word headings and tables, so the institution edits the draft rather than retyping it: the title block
(organisation, institutional lead, date), the organisation's profile, how it defines its technicians, how many
there are (Table 1, FTE by faculty; Table 2, gender by faculty; HESA-rounded with `..`, the Workforce page's own
rows), the initiatives and progress per pillar (complete and in-progress actions with their evidence and
measures), the reflection on the plan (each action's status, what was achieved, evidence received against
promised, whether it carries forward), the technician voice (the working group and its representation) and the
next action plan in the seed's columns, pre-filled with the actions that carry forward (neither complete nor
withdrawn), with a Ref column so the table loads back as a plan with the same refs.

The stage decides the titles (documented in README.md):

- stage 1, one year after signing: the interim self-assessment. It asks for the initiatives in place before
  becoming a signatory (evidence dated before the plan began) and since, reports the progress so far on the
  current plan, and ends with a 24-month action plan;
- stage 2, at the end of the first plan, and stage 3, each renewal after a 36-month plan: the initiatives since
  the last submission, the reflection on the previous plan, and a 36-month action plan.

Text people supplied is written as it is (python-docx escapes it), less the control characters XML 1.0 cannot
hold. Board members and administrators only (`build_pack`). Nothing is written to the database.

Example:
    >>> from tracker.db import open_engine
    >>> from tracker.auth import Actor
    >>> with Session(open_engine("sqlite://")) as s:
    ...     sa = build_self_assessment(session=s, actor=Actor("b@uni.ac.uk", "board"), as_of=date(2024, 5, 1))
    >>> sa.docx[:2], sa.sections[:2], sa.carried_forward, sa.filename
    (b'PK', ['Profile of the organisation', 'How the organisation defines its technicians'], [], \
'self-assessment-draft_stage-2_2024-05-01.docx')
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlmodel import Session

from tracker import queries
from tracker.auth import Actor, require
from tracker.charts.workforce import pct_text
from tracker.config import get_settings
from tracker.disclosure import SUPPRESSED, shown
from tracker.group import list_group
from tracker.ingest.cells import add_months
from tracker.models import PILLAR_NAMES, PILLARS
from tracker.plans import window_end
from tracker.profile import TEXT_KEYS, get_text
from tracker.records import ActionRow, EvidenceRow, GroupMember, PlanInfo
from tracker.summary import plan_info
from tracker.text import day, listing, plural
from tracker.views.evidence import ActionEvidence, evidence_tally, measure_status
from tracker.views.group import representation
from tracker.views.workforce import workforce_view

STAGES = (1, 2, 3)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The next plan's columns: the seed's (theme, Purpose, Activity, Impact, Who, V, R, C, S), a Ref first so the
# table loads back as a plan whose actions keep their refs.
PLAN_COLUMNS = ("Ref", "Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S")
PLAN_WIDTHS_CM = (1.3, 2.2, 4.2, 5.4, 5.2, 3.4, 0.7, 0.7, 0.7, 0.7)
REFLECTION_COLUMNS = ("Ref", "Action", "Status", "What was achieved", "Evidence received", "Carries forward")
REFLECTION_WIDTHS_CM = (1.2, 5.5, 2.4, 7.0, 6.0, 3.4)
IN_PROGRESS = ("on track", "at risk", "delayed")
PLACEHOLDER = "[To write: {}]"
# Characters XML 1.0 cannot hold (python-docx raises on them): C0 controls but tab, newline and carriage return;
# lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMERIC = re.compile(r"^(-?[\d,]+(\.\d+)?%?|\.\.)$")
_BULLET = re.compile(r"^\s*[•\-\*–·▪◦]\s*")

# The seed's questions, asked under each heading as the form asks them.
QUESTIONS = {
    "profile": "To provide some context, please provide a brief profile of your organisation (up to 250 words):",
    "definition": "Please tell us how your organisation defines its technicians:",
    "numbers": "How many technicians are there in your organisation? Please provide some information on where they "
    "are based and/or how they are structured (in terms of subject/discipline/department):",
    "before": "Please provide details of initiatives/programmes/activities that were already in place for the "
    "technical community within your organisation prior to becoming a signatory of the Technician Commitment:",
    "since": "The Technician Commitment aims to ensure visibility, recognition, career development and "
    "sustainability for technical staff across higher education and research. Please tell us of any initiatives "
    "your organisation has put in place to address these themes since becoming a signatory of the Technician "
    "Commitment:",
    "since_last": "Please tell us of the initiatives your organisation has put in place to address visibility, "
    "recognition, career development and sustainability since your last submission, and how their impact is "
    "evidenced:",
    "reflection": "Please reflect on your previous action plan: what was achieved, how it was evidenced, and what "
    "will carry forward:",
    "progress": "Please tell us how the action plan is progressing: each action's status and what has been "
    "achieved so far:",
    "plan": "Please provide a {months}-month action plan, detailing future plans to ensure your organisation "
    "addresses the themes of the Technician Commitment and details of how impact will be evidenced:",
    "voice": "Please evidence how the \u2018technician voice\u2019 was present in the development and formation of "
    "the institutional action plan:",
    "publish": "Please confirm that your Technician Commitment status and action plan is published on your "
    "organisation\u2019s website and provide the relevant URL here:",
}


@dataclass(frozen=True)
class Stage:
    """What a submission stage asks for: its title, the next plan's length and its section titles."""

    number: int
    title: str
    months: int
    progress_heading: str
    since_heading: str
    before_section: bool  # stage 1 asks what was in place before signing


STAGE_INFO = {
    1: Stage(
        1,
        "Interim self-assessment and 24-month action plan",
        24,
        "Progress on the current action plan",
        "Initiatives since becoming a signatory",
        True,
    ),
    2: Stage(
        2,
        "Self-assessment, reflection on the previous action plan and 36-month action plan",
        36,
        "Reflection on the previous action plan",
        "Initiatives and progress since the last submission",
        False,
    ),
    3: Stage(
        3,
        "Renewal self-assessment, reflection on the previous action plan and 36-month action plan",
        36,
        "Reflection on the previous action plan",
        "Initiatives and progress since the last submission",
        False,
    ),
}


@dataclass(frozen=True)
class SelfAssessment:
    """A drafted self-assessment: the .docx bytes, its file name, the stage and date it was drafted for, its
    section headings (Heading 1, in order), its table captions, the refs carried into the next plan, and notes
    on what the draft could not fill in (each a sentence)."""

    docx: bytes
    filename: str
    stage: int
    as_of: date
    organisation: str
    sections: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    carried_forward: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def clean(text: object) -> str:
    """`text` as Word can hold it: the control characters XML 1.0 cannot hold removed, line ends as newlines.

    Example:
        >>> clean("a\\x0bb\\x00c\\r\\nd"), clean(None)
        ('abc\\nd', '')
    """
    if text is None:
        return ""
    return _XML_ILLEGAL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def lines(text: object) -> list[str]:
    """A cell's text as its lines, bullets ("• ") taken off (Word shows each line as a paragraph of its own).

    Example:
        >>> lines("• Workforce planning\\n• Apprentices\\n\\n"), lines("")
        (['Workforce planning', 'Apprentices'], [])
    """
    return [_BULLET.sub("", s).strip() for s in clean(text).split("\n") if s.strip()]


def draft_filename(stage: int, as_of: date) -> str:
    """'self-assessment-draft_stage-2_2020-10-31.docx'.

    Example:
        >>> draft_filename(1, date(2019, 10, 31))
        'self-assessment-draft_stage-1_2019-10-31.docx'
    """
    return f"self-assessment-draft_stage-{stage}_{as_of.isoformat()}.docx"


# --- the stored texts and the technician voice -----------------------------------------------------------------


@dataclass
class Voice:
    """The stored texts, the working group on the draft's date and its representation, as the draft uses them."""

    texts: dict[str, str] = field(default_factory=dict)
    members: list[GroupMember] = field(default_factory=list)
    representation: list[dict[str, object]] = field(default_factory=list)  # the Workforce page's table rows
    attention: list[str] = field(default_factory=list)  # faculties with technicians and no member, in words


def _voice(session: Session, as_of: date) -> Voice:
    """The institution's stored texts (`tracker.profile`), the working group on `as_of` (`tracker.group`) and its
    representation per faculty (`tracker.views.group`, FTE HESA-rounded whoever drafts it)."""
    texts: dict[str, str] = {k: clean(get_text(session=session, key=k)).strip() for k in TEXT_KEYS}
    rep = representation(session=session, as_of=as_of, rounded=True)
    return Voice(
        texts=texts,
        members=list_group(session=session, as_of=as_of),
        representation=rep.table_rows() if rep.members else [],
        attention=rep.sentences() if rep.members else [],
    )


# --- Word helpers ---------------------------------------------------------------------------------------------


class _Doc:
    """The document being written, with the headings and table captions written so far."""

    def __init__(self) -> None:
        self.doc: Any = Document()
        self.sections: list[str] = []
        self.tables: list[str] = []
        normal = self.doc.styles["Normal"]
        normal.font.name = "Calibri"
        normal.font.size = Pt(11)
        rpr = normal.element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-GB")
        rpr.append(lang)
        self.doc.styles["Table Grid"].font.size = Pt(9.5)
        sec = self.doc.sections[0]
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)  # A4
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(sec, side, Cm(2.0))

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(clean(text), level=level)
        if level == 1:
            self.sections.append(text)

    def para(self, text: str = "", *, style: str | None = None, italic: bool = False, bold: bool = False) -> Any:
        p = self.doc.add_paragraph(style=style)
        if text:
            self.run(p, text, italic=italic, bold=bold)
        return p

    def run(self, p: Any, text: str, *, italic: bool = False, bold: bool = False) -> None:
        """`text` into paragraph `p`, its newlines as line breaks."""
        for i, part in enumerate(clean(text).split("\n")):
            r = p.add_run()
            r.italic = italic or None
            r.bold = bold or None
            if i:
                r.add_break()
            r.add_text(part)

    def question(self, text: str) -> None:
        self.para(text, italic=True)

    def placeholder(self, what: str) -> None:
        self.para(PLACEHOLDER.format(what), italic=True)

    def caption(self, text: str) -> None:
        self.doc.add_paragraph(clean(text), style="Caption")
        self.tables.append(text)

    def table(
        self, columns: list[str], rows: Sequence[Sequence[str | list[str]]], widths: tuple[float, ...] = ()
    ) -> Any:
        """A table with a bold header row repeated on each page; a cell given as a list is one paragraph per
        item."""
        t = self.doc.add_table(rows=1, cols=len(columns))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        hdr = t.rows[0]
        trpr = hdr._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        trpr.append(repeat)
        for c, name in zip(hdr.cells, columns, strict=True):
            c.text = ""
            self.run(c.paragraphs[0], name, bold=True)
        for row in rows:
            added = t.add_row()
            added._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row stays on one page
            cells = added.cells
            for c, value in zip(cells, row, strict=True):
                items = value if isinstance(value, list) else [value]
                first = True
                for item in items or [""]:
                    p = c.paragraphs[0] if first else c.add_paragraph()
                    first = False
                    self.run(p, item)
                    if _NUMERIC.match(item):  # figures line up on the right, as in a spreadsheet
                        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    elif item == "X":  # a pillar mark, centred under its letter
                        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if widths:
            # Word reads each cell's width, LibreOffice the table grid's: both are set.
            t.autofit = False
            for col_, w in zip(t._tbl.tblGrid.gridCol_lst, widths, strict=True):
                col_.w = Cm(w)
            for r in t.rows:
                for c, w in zip(r.cells, widths, strict=True):
                    c.width = Cm(w)
        self.para()  # a gap after the table (Word runs a table into the next one otherwise)
        return t

    def landscape(self) -> None:
        sec = self.doc.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)

    def portrait(self) -> None:
        sec = self.doc.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


# --- the draft --------------------------------------------------------------------------------------------------


def carries_forward(a: ActionRow) -> bool:
    """An action carries into the next plan unless it is complete or withdrawn."""
    return not a.withdrawn and a.status != "complete"


def _status_text(a: ActionRow) -> str:
    if a.withdrawn:
        return "Withdrawn"
    return f"{a.status.capitalize()} ({a.percent_complete}%)"


def _short(activity: str) -> str:
    """An activity's lines as one sentence: 'Agree scope. Undertake a survey' ('; ' between unpunctuated ones)."""
    out = ""
    for line in lines(activity):
        out += ("" if not out else " " if out[-1] in ".;:!?" else "; ") + line
    return out or "(no activity text)"


def _impact_with_evidence(a: ActionRow) -> str:
    """The impact text with the promised evidence written back as the plan wrote it: '(Evidence: a; b)'."""
    text = clean(a.impact).strip()
    if a.expected_evidence:
        text = (text + "\n" if text else "") + "(Evidence: " + "; ".join(clean(e) for e in a.expected_evidence) + ")"
    return text


def build_self_assessment(
    *, session: Session, actor: Actor, as_of: date | None = None, stage: int = 2
) -> SelfAssessment:
    """Draft the self-assessment for `stage` (1, 2 or 3) from what is held on `as_of` (default today), as a Word
    document. Board members and administrators only (PermissionDenied otherwise); ValueError for another stage.

    Staff figures are HESA-rounded whoever builds it (a document to publish), the Workforce page's own rows.
    """
    require(actor, "build_pack")
    if stage not in STAGES:
        raise ValueError(f"stage must be 1, 2 or 3, not {stage}")
    info = STAGE_INFO[stage]
    as_of = as_of or date.today()
    plan = plan_info(session=session)
    voice = _voice(session, as_of)
    notes: list[str] = []
    organisation = clean(get_settings().institution or (plan.institution if plan else "")).strip()
    lead = voice.texts.get("institutional_lead", "")
    actions = queries.list_actions(session=session, as_of=as_of) if plan else []
    carried = [a for a in actions if carries_forward(a)]

    d = _Doc()
    d.doc.core_properties.title = f"Technician Commitment: {info.title}"
    d.doc.core_properties.subject = "Technician Commitment self-assessment (draft)"
    d.doc.core_properties.author = clean(actor.name or actor.email)
    d.doc.core_properties.language = "en-GB"

    # Title block.
    d.doc.add_heading("Technician Commitment", level=0)
    d.para("Evaluating Impact through Self-Assessment & Future Action Planning", style="Subtitle")
    d.para(f"{info.title} (stage {stage})", bold=True)
    _field(d, "Organisation", organisation, "the organisation's name")
    _field(d, "Name of Institutional Lead", lead, "the institutional lead's name and role")
    if plan:
        _field(d, "Action plan", plan.period, "")
    _field(d, "Date", day(as_of), "")
    d.para(
        f"Draft written by the Technician Commitment Tracker on {day(date.today())} from what it held on "
        f"{day(as_of)}. Staff figures are HESA-rounded (counts and FTE to the nearest 5; {SUPPRESSED} where a "
        "figure is suppressed). Text in [square brackets] is for you to write; everything else is yours to edit.",
        italic=True,
    )
    if not organisation:
        notes.append("No organisation name is set (TRACKER_INSTITUTION, or the plan's): the title block asks for it.")
    if not lead:
        notes.append("No institutional lead is stored: the title block and the sign-off ask for one.")
    d.page_break()

    # Profile and definition.
    d.heading("Profile of the organisation")
    d.question(QUESTIONS["profile"])
    _stored(d, voice, "organisation_profile", "a brief profile of the organisation (up to 250 words)", notes)
    d.heading("How the organisation defines its technicians")
    d.question(QUESTIONS["definition"])
    _stored(d, voice, "technician_definition", "how the organisation defines its technicians", notes)

    _numbers(d, session, as_of, organisation, notes)

    tally = evidence_tally(session=session, as_of=as_of) if plan else None
    evidence = [e for e in queries.list_evidence(session=session) if e.date <= as_of] if plan else []
    measures = queries.list_measures(session=session) if plan else []
    if info.before_section:
        _before(d, plan, evidence)
    _since(d, info, plan, actions, evidence, measures, as_of)

    d.landscape()
    _reflection(d, info, plan, actions, tally, measures, as_of)
    _next_plan(d, info, carried, next_window(stage, plan, as_of))
    d.portrait()
    _technician_voice(d, voice, stage, notes)
    d.heading("Publication and sign-off")
    d.question(QUESTIONS["publish"])
    d.placeholder("the web address where the status and action plan are published")
    p = d.para("Signed: ")
    d.run(p, lead or "[name]")
    d.run(p, " (Technician Commitment Nominated Institutional Lead)")
    d.para("Date: [date of signing]")

    return SelfAssessment(
        docx=d.save(),
        filename=draft_filename(stage, as_of),
        stage=stage,
        as_of=as_of,
        organisation=organisation,
        sections=d.sections,
        tables=d.tables,
        carried_forward=[a.ref for a in carried],
        notes=notes,
    )


def _field(d: _Doc, label: str, value: str, missing: str) -> None:
    p = d.para()
    d.run(p, f"{label}: ", bold=True)
    if value:
        d.run(p, value)
    else:
        d.run(p, PLACEHOLDER.format(missing), italic=True)


def _stored(d: _Doc, voice: Voice, key: str, what: str, notes: list[str]) -> None:
    text = voice.texts.get(key, "")
    if not text:
        d.placeholder(what)
        notes.append(f"No {key.replace('_', ' ')} is stored: its section holds a placeholder.")
        return
    for paragraph in re.split(r"\n\s*\n", text):
        d.para(paragraph.strip())


def _numbers(d: _Doc, session: Session, as_of: date, organisation: str, notes: list[str]) -> None:
    d.heading("How many technicians there are")
    d.question(QUESTIONS["numbers"])
    wf = workforce_view(session=session, as_of=as_of, rounded=True)
    if wf.snapshot is None:
        d.para("No HR workforce extract is loaded yet.")
        d.placeholder("the number of technicians and where they are based")
        notes.append("No HR workforce extract is loaded: Tables 1 and 2 are left out.")
        return
    total = wf.table1[-1] if wf.table1 else None
    d.para(
        f"From the HR snapshot of {day(wf.snapshot)}: {shown(wf.fte)} FTE technical staff, headcount "
        f"{shown(wf.headcount)}, in {plural(len(wf.table1) - 1, 'faculty', 'faculties')}. Figures are HESA-rounded: "
        f"counts and FTE to the nearest 5 (under 2.5 shows as 0), totals from the exact total, percentages from exact "
        f"figures and suppressed ({SUPPRESSED}) where fewer than 22.5 people."
    )
    who = f" {organisation}" if organisation else ""
    d.caption(f"Table 1 – Technical staff FTE{who} total {shown(total.fte) if total else SUPPRESSED}")
    d.table(
        ["Faculty", "FTE", "Headcount"],
        [[clean(r.faculty), shown(r.fte), shown(r.headcount)] for r in wf.table1],
        (8.0, 3.0, 3.0),
    )
    rows = wf.gender_by_faculty
    sexes = list(rows[0].by_sex) if rows else ["Female", "Male"]
    d.caption("Table 2 – Gender")
    d.table(
        ["Faculty", *sexes, "Headcount", "% female", "% male"],
        [
            [
                clean(r.name),
                *[shown(r.by_sex[s]) for s in sexes],
                shown(r.headcount),
                pct_text(r.pct_female),
                pct_text(r.pct_male),
            ]
            for r in rows
        ],
        (3.4, *[8.0 / len(sexes)] * len(sexes), 2.2, 1.7, 1.7),
    )
    if wf.flags:
        d.para(
            f"Faculties where one sex is at least {100 * wf.threshold:.0f}% of technical headcount: "
            + listing([f"{clean(f.faculty)} ({f.text})" for f in wf.flags], limit=12)
            + "."
        )
    d.placeholder("what these figures say, and what the plan does about any imbalance")


def _item(e: EvidenceRow) -> str:
    text = f"{day(e.date)} ({e.kind}): {clean(e.description)}"
    return text + (f" {clean(e.link)}" if e.link else "")


def _before(d: _Doc, plan: PlanInfo | None, evidence: list[EvidenceRow]) -> None:
    d.heading("Initiatives in place before becoming a signatory")
    d.question(QUESTIONS["before"])
    early = [e for e in evidence if plan is not None and e.date < plan.start]
    if not early:
        d.placeholder("what was already in place for the technical community")
        return
    d.para(f"Evidence recorded from before the plan began ({day(plan.start) if plan else ''}):")
    for e in early:
        d.para(f"{e.ref}: {_item(e)}", style="List Bullet")
    d.placeholder("anything else already in place")


def _since(
    d: _Doc,
    info: Stage,
    plan: PlanInfo | None,
    actions: list[ActionRow],
    evidence: list[EvidenceRow],
    measures: list[Any],
    as_of: date,
) -> None:
    d.heading(info.since_heading)
    d.question(QUESTIONS["since"] if info.before_section else QUESTIONS["since_last"])
    if plan is None:
        d.para("No action plan is loaded yet.")
        d.placeholder("the initiatives put in place")
        return
    live = [a for a in actions if not a.withdrawn]
    done = [a for a in live if a.status == "complete"]
    going = [a for a in live if a.status in IN_PROGRESS]
    in_plan = [e for e in evidence if e.date >= plan.start]
    d.para(
        f"From {day(plan.start)} to {day(as_of)}: {plural(len(done), 'action')} complete and {len(going)} in progress "
        f"of the {plural(len(live), 'action')} in the plan; {plural(len(in_plan), 'evidence item')} received. By "
        "pillar, each action complete or in progress with its evidence and measures (an action serving several "
        "pillars is under each):"
    )
    by_ref: dict[str, list[Any]] = {}
    for m in measures:
        by_ref.setdefault(m.ref, []).append(m)
    for p in PILLARS:
        d.heading(PILLAR_NAMES[p], level=2)
        serving = [a for a in done + going if p in a.pillars]
        serving.sort(key=lambda a: actions.index(a))
        if not serving:
            d.para(f"No action serving {PILLAR_NAMES[p].lower()} is complete or in progress.", italic=True)
            continue
        for a in serving:
            para = d.para(style="List Bullet")
            d.run(para, f"{a.ref} ", bold=True)
            d.run(para, f"{_short(a.activity)} — {_status_text(a).lower()}.")
            items = [e for e in in_plan if e.ref == a.ref and p in (e.pillars or a.pillars)]
            for e in items:
                d.para(_item(e), style="List Bullet 2")
            for m in by_ref.get(a.ref, []):
                st = measure_status(m, as_of)
                if st is not None:
                    d.para(f"Measure: {clean(m.name)}: {st.text}, {day(st.as_of)}", style="List Bullet 2")
            if not items:
                d.para(f"No evidence for {PILLAR_NAMES[p].lower()} recorded yet.", style="List Bullet 2")


def _reflection(
    d: _Doc,
    info: Stage,
    plan: PlanInfo | None,
    actions: list[ActionRow],
    tally: Any,
    measures: list[Any],
    as_of: date,
) -> None:
    d.heading(info.progress_heading)
    d.question(QUESTIONS["progress"] if info.before_section else QUESTIONS["reflection"])
    if plan is None or not actions:
        d.para("No action plan is loaded yet.")
        return
    per: dict[str, ActionEvidence] = {a.ref: a for a in (tally.actions if tally else [])}
    carried = [a.ref for a in actions if carries_forward(a)]
    d.para(
        f"The {plan.period}, as it stood on {day(as_of)}: "
        + (
            f"{listing(carried, limit=12)} {'carries' if len(carried) == 1 else 'carry'} forward into the "
            f"{info.months}-month action plan below."
            if carried
            else "every action is complete or withdrawn; nothing carries forward."
        )
    )
    rows: list[list[str | list[str]]] = []
    for a in actions:
        achieved = [clean(a.latest_note)] if a.latest_note.strip() else []
        for m in measures:
            if m.ref == a.ref and (st := measure_status(m, as_of)) is not None:
                achieved.append(f"{clean(m.name)}: {st.text}")
        ev = per.get(a.ref)
        if ev is None:
            received: list[str] = ["–"]
        else:
            received = [f"{ev.against} promised"] + [f"Promised: {clean(x)}" for x in ev.promised]
            if ev.before_plan:
                received.append(f"(and {ev.before_plan} dated before the plan began)")
        if a.withdrawn:
            forward = "No: withdrawn"
        elif a.status == "complete":
            forward = "No: complete"
        else:
            forward = f"Yes: {100 - a.percent_complete}% of the work remains"
        rows.append([a.ref, lines(a.activity) or [""], _status_text(a), achieved or ["–"], received, forward])
    d.caption(f"{info.progress_heading}: each action as it stood on {day(as_of)}")
    d.table(list(REFLECTION_COLUMNS), rows, REFLECTION_WIDTHS_CM)


def next_window(stage: int, plan: PlanInfo | None, as_of: date) -> tuple[date, date]:
    """The next plan's first and last day: it starts on the first of the month after `as_of` and, at stages 2
    and 3, not before the current plan has ended; it runs the stage's length (24 months at stage 1, else 36).

    Example:
        >>> p = PlanInfo(1, "UCL", "Plan", date(2018, 11, 1), date(2020, 10, 31), 24)
        >>> next_window(2, p, date(2020, 10, 31)), next_window(2, p, date(2020, 3, 15))
        ((datetime.date(2020, 11, 1), datetime.date(2023, 10, 31)), (datetime.date(2020, 11, 1), datetime.date(2023, \
10, 31)))
        >>> next_window(1, p, date(2019, 10, 31))
        (datetime.date(2019, 11, 1), datetime.date(2021, 10, 31))
    """
    after = as_of if stage == 1 or plan is None else max(as_of, plan.end)
    start = add_months(after.replace(day=1), 1)
    return start, window_end(start, STAGE_INFO[stage].months)


def _next_plan(d: _Doc, info: Stage, carried: list[ActionRow], window: tuple[date, date]) -> None:
    d.heading(f"{info.months}-month action plan")
    d.question(QUESTIONS["plan"].format(months=info.months))
    d.para(
        (
            f"Pre-filled with the {plural(len(carried), 'action')} that carry forward (neither complete nor "
            "withdrawn), as the plan wrote them: revise them, add new rows, and give each its timescale."
            if carried
            else "No action carries forward: add a row for each action of the new plan."
        ),
    )
    d.para(
        "Technician Commitment 4 Key areas: V – Visibility; R – Recognition; C – Career Development, S - Sustainability"
    )
    d.caption(f"{info.months}-month action plan, {window[0]:%B %Y} – {window[1]:%B %Y}")
    d.table(
        list(PLAN_COLUMNS),
        [
            [
                a.ref,
                clean(a.theme),
                clean(a.purpose),
                lines(a.activity) or [""],
                lines(_impact_with_evidence(a)) or [""],
                ", ".join(clean(o) for o in a.owners),
                *["X" if p in a.pillars else "" for p in PILLARS],
            ]
            for a in carried
        ],
        PLAN_WIDTHS_CM,
    )


def _technician_voice(d: _Doc, voice: Voice, stage: int, notes: list[str]) -> None:
    d.heading("The technician voice")
    d.question(QUESTIONS["voice"])
    what = "This interim self-assessment and action plan" if stage == 1 else "This self-assessment and action plan"
    if not voice.members:
        d.placeholder("who was consulted: the working group's members, and how technicians took part")
        notes.append("No working-group member is recorded: the technician voice section holds a placeholder.")
        return
    d.para(
        f"{what} has been produced in consultation with the following members of the Technician Commitment "
        "Working Group:"
    )
    d.caption("Technician Commitment Working Group")
    d.table(
        ["Name", "Title", "Faculty", "Technician"],
        [[m.name, m.job_title, m.faculty, "Yes" if m.technician else "No"] for m in voice.members],
        (4.6, 5.4, 4.4, 2.4),
    )
    technicians = sum(m.technician for m in voice.members)
    verb = "is a technician" if technicians == 1 else "are technicians"
    d.para(f"{plural(len(voice.members), 'member')}, of whom {technicians} {verb}.")
    if voice.representation:
        columns = list(voice.representation[0])
        d.caption("Representation: the working group's members by faculty beside the faculty's technician FTE")
        d.table(
            columns,
            [[_cell(r[c]) for c in columns] for r in voice.representation],
            (3.5, 2.6, 1.9, 2.2, 4.5, 2.3) if len(columns) == 6 else (),
        )
    if voice.attention:
        d.para("What needs attention:")
    for sentence in voice.attention:
        d.para(sentence, style="List Bullet")
    d.placeholder("how else technicians shaped the plan (events, surveys, networks)")


def _cell(v: object) -> str:
    """A representation cell as text: figures with thousands separators."""
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, (int, float)):
        return shown(v)
    return clean(v)
