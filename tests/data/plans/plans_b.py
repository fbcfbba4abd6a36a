"""Real published Technician Commitment plans, institutions M–Z (helper B's share of the corpus).

Each workbook is laid out as the institution published it: the title block above the header, the header
with the published column names, section rows where the plan has them, cells transcribed as written (long
cells shortened after their opening words). The stored copies of the source pages hold only each page's
opening part, so every plan here is the part of the published plan that the stored page shows; see
CORPUS_B.md for what was left out and for every judgement made in the expected values.

Expected values were decided from the published text and the Technician Commitment's meaning, before any
loader was run on these workbooks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from tests.data.plans.spec import ExpectedAction, PlanSpec

Row = Sequence[object]


def _workbook(title: str) -> tuple[openpyxl.Workbook, Worksheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    return wb, ws


def _put(ws: Worksheet, row: int, values: Row, *, bold: bool = False) -> None:
    """Write `values` from column A of `row`; None leaves a cell empty."""
    for col, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = ws.cell(row=row, column=col, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True)


def _section(ws: Worksheet, row: int, text: str, width: int) -> None:
    """A section row spanning the table: the text in the first cell, the row merged across (as Excel stores it)."""
    _put(ws, row, [text], bold=True)
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Ulster University -------------------------------------------------------------------------------------
# https://ulster.ac.uk/technician-commitment/action — "The Action Plan": Planned Activity | Internal Area |
# Pillars | Delivery & Success, the last cell holding two labelled parts ("Delivery", "Success Measure").

ULSTER_HEADER = ["Planned Activity", "Internal Area", "Pillars", "Delivery & Success"]
ULSTER_ROWS = [
    [
        "Introduce an annual fund to support external training.",
        "Senior Leadership Team",
        "Career Development",
        "Delivery\nA fund to be put in place and made available.\nSuccess Measure\nProcess for Technician Committee "
        "accessing funds in place; funds acquired and onward sharing of training outcomes within technician "
        "community",
    ],
    [
        "Facilitate a process to encourage HEA Accreditation",
        "Technician Steering Group",
        "Career development",
        "Delivery\nAn agreed plan of technical engagement with HEA including joining technical advisory groups.\n"
        "Success Measure\n15% of technical staff access HEA accredited material including engagement with "
        "strategic advisory groups.",
    ],
]


def build_ulster() -> bytes:
    wb, ws = _workbook("Action Plan")
    _put(ws, 1, ["Ulster University"], bold=True)
    _put(ws, 2, ["The Action Plan"], bold=True)
    _put(ws, 3, ["This Action Plan is created by technicians for technicians."])
    _put(ws, 5, ULSTER_HEADER, bold=True)
    for i, row in enumerate(ULSTER_ROWS, start=6):
        _put(ws, i, row)
    return _save(wb)


# --- Queen's University Belfast ----------------------------------------------------------------------------
# http://vwainnovations.org/sites/technicians/ActionPlan/ (a copy of QUB's /sites/technicians/ActionPlan/
# page): each pillar is a heading with its description, then a table Action | Comments | Progress & Next Steps
# | Responsibility | Start | End, with the months written "May-19".

QUB_HEADER = ["Action", "Comments", "Progress & Next Steps", "Responsibility", "Start", "End"]
QUB_ROWS = [
    [
        "Identify numbers and locations of all technicians across the University",
        "This has been challenging because there has been significant school and Faculty re structuring of the "
        "University in recent years. In addition, there many staff who are not on obvious “technical” grades but "
        "nevertheless are performing technical roles. Likewise, in some schools and directorates we have "
        "technical staff who are performing essential administrative roles albeit on technical grades. In most "
        "cases, the basis for this change in role was a response to cover an essential activity with highly "
        "competent staff.",
        "There has been an initial look at technician numbers, in particular looking at permanent and fixed term "
        "contracts. This was started in MHLS will be investigated by People & Culture at institutional level. It "
        "has been decided that at this time we will only include those staff members who are identified by the "
        "University as being in the Technician category and those with technical job titles",
        "Technical Managers / People & Culture",
        "May-19",
        "Jul-19",
    ],
]


def build_qub() -> bytes:
    wb, ws = _workbook("Action Plan")
    width = len(QUB_HEADER)
    _put(ws, 1, ["Queen’s University Belfast"], bold=True)
    _put(ws, 2, ["National Technician Commitment"], bold=True)
    _put(ws, 3, ["Action Plan"], bold=True)
    _section(ws, 5, "Visibility", width)
    _section(
        ws,
        6,
        "Ensure that all technicians within the organisation are identifiable and that the contribution of "
        "technicians is visible within and beyond the institution",
        width,
    )
    _put(ws, 7, QUB_HEADER, bold=True)
    for i, row in enumerate(QUB_ROWS, start=8):
        _put(ws, i, row)
    return _save(wb)


# --- University of Warwick ---------------------------------------------------------------------------------
# https://warwick.ac.uk/research/technicians/update/ — "Technicians Commitment update Oct 2019": the Year 2
# actions of Warwick's 2-year action plan, a list under the lead-in "In Year 2 of the action plan we have
# committed to:" (used as the one column's header, as a "We commit to:" plan is laid out).

WARWICK_HEADER = "In Year 2 of the action plan we have committed to:"
WARWICK_ITEMS = [
    "Propose that departments incorporate an ‘introduction to technicians and their work’ into department "
    "induction processes",
    "encourage FTC staff to take part in networking events",
    "consider having a Technician Champion in departments to work with technicians in support of the Skill "
    "Directory that has just been launched",
    "have members of the Technician Commitment Steering Group attending HODS forums and department meetings to "
    "promote the Technician Commitment and explain the importance of Fair Attribution, with particular attention "
    "to how Technicians can be acknowledged on grants and papers",
    "Put forward a suggestion that the University considers the introduction of a time input allowance to enable "
    "Technicians to draft their input into scientific publications",
    "Provide data on the breakdown of technician gradings to assess future progress on upgrades and promotions",
    "Run a pilot development programme for technicians, to be funded by Midlands Innovation (MI), which will "
    "inform the future development programme proposed for technicians.",
    "Consider how Technicians might be given access to undertake degree modules to aid their development",
    "Implement a workshadowing/mentoring process and propose a commitment of up to 2 days per year for relevant "
    "workshadowing opportunities.",
    "Revise and update the Technician Commitment brochure",
]


def build_warwick() -> bytes:
    wb, ws = _workbook("Update Oct 2019")
    _put(ws, 1, ["University of Warwick"], bold=True)
    _put(ws, 2, ["Technicians Commitment update Oct 2019"], bold=True)
    _put(ws, 3, ["Update following the Focus Groups held in 2019"])
    _put(ws, 5, [WARWICK_HEADER], bold=True)
    for i, item in enumerate(WARWICK_ITEMS, start=6):
        _put(ws, i, [item])
    return _save(wb)


# --- The University of Sheffield ---------------------------------------------------------------------------
# https://www.sheffield.ac.uk/technicians/commitment/five-actions — "Five actions": the lead-in "We have
# pledged to offer our technicians:" then five numbered headings (the four pillars and Evaluating impact),
# each over one "We will ..." pledge and its supporting paragraphs (kept in the pledge's cell).

SHEFFIELD_HEADER = "We have pledged to offer our technicians:"
SHEFFIELD_BLOCKS = [
    (
        "1. Visibility",
        "We will ensure that all technicians within the organisation can be identified internally and that the "
        "contribution of technicians is visible within and beyond the institution.",
    ),
    (
        "2. Recognition",
        "We will support technicians to gain recognition through professional registration.\n\n"
        "With support from the Institute of Science and Technology (IST), working professionals can achieve the "
        "very best from their work and professional development and be rewarded for it.\n\n"
        "Professional registration can also be achieved through many organisations which support science, "
        "engineering, IT and higher education.",
    ),
    (
        "3. Career development",
        "We will enable career progression opportunities for technicians through the provision of clear, "
        "documented career pathways.\n\n"
        "The National Technician Development Centre is based in Sheffield and will tackle the shortage of "
        "specialist technical skills in the higher education sector. The centre has access to a vital, "
        "means-tested resource known as the TDM Toolkit.\n\n"
        "The Technical Development and Modernisation (TDM) department at the University of Sheffield developed a "
        "resource which assists faculties and departments within our University and other higher education "
        "institutions to identify skills gaps and provide clear pathways.",
    ),
    (
        "4. Sustainability",
        "We will ensure the future sustainability of technical skills across the organisation and that technical "
        "expertise is fully utilised.",
    ),
    (
        "5. Evaluating impact",
        "We will regularly assess the impact of actions taken in support of the commitment to ensure their "
        "effectiveness.\n\n"
        "The National Technician Development Centre team with the support of the IST will work with the "
        "University of Sheffield to evaluate impact through self-assessment",
    ),
]


def build_sheffield() -> bytes:
    wb, ws = _workbook("Five actions")
    _put(ws, 1, ["The University of Sheffield"], bold=True)
    _put(ws, 2, ["Five actions"], bold=True)
    _put(
        ws,
        3,
        [
            "The University of Sheffield is a signatory of the Technician Commitment and pledges to ensure "
            "visibility, recognition, career development, and sustainability for all technical staff working in "
            "higher education and research."
        ],
    )
    _put(ws, 5, [SHEFFIELD_HEADER], bold=True)
    row = 6
    for heading, pledge in SHEFFIELD_BLOCKS:
        _section(ws, row, heading, 1)
        _put(ws, row + 1, [pledge])
        row += 2
    return _save(wb)


# --- the corpus --------------------------------------------------------------------------------------------

PLANS: list[PlanSpec] = [
    PlanSpec(
        slug="ulster_action_plan",
        institution="Ulster University",
        source="https://ulster.ac.uk/technician-commitment/action",
        tests="pillar named in words in a 'Pillars' column ('Career Development' / 'Career development'); owner "
        "column headed 'Internal Area'; labelled two-part 'Delivery & Success' cell; no timescales; no window",
        build=build_ulster,
        start=date(2023, 1, 1),
        months=24,
        cli_args=("--plan-start", "2023-01"),
        actions=(
            ExpectedAction(
                "Introduce an annual fund to support external training.", "C", owners=("Senior Leadership Team",)
            ),
            ExpectedAction(
                "Facilitate a process to encourage HEA Accreditation", "C", owners=("Technician Steering Group",)
            ),
        ),
    ),
    PlanSpec(
        slug="queens_belfast_action_plan",
        institution="Queen’s University Belfast",
        source="http://vwainnovations.org/sites/technicians/ActionPlan/",
        tests="pillar as a merged section row with its description as a second merged row, then the header; "
        "Start/End written 'May-19'/'Jul-19'; owners joined with ' / '",
        build=build_qub,
        start=date(2019, 5, 1),
        months=24,
        cli_args=("--plan-start", "2019-05"),
        actions=(
            ExpectedAction(
                "Identify numbers and locations of all technicians across the University",
                "V",
                due=date(2019, 7, 31),
                owners=("Technical Managers", "People & Culture"),
            ),
        ),
    ),
    PlanSpec(
        slug="warwick_2019_year2",
        institution="University of Warwick",
        source="https://warwick.ac.uk/research/technicians/update/",
        tests="one-column list headed by a lead-in sentence ('In Year 2 of the action plan we have committed "
        "to:'); the timescale (Year 2) stated once in that header; no pillars, no owners; no window in the title",
        build=build_warwick,
        start=date(2018, 11, 1),
        months=24,
        cli_args=("--plan-start", "2018-11"),
        actions=tuple(
            ExpectedAction(item, "", due=date(2020, 10, 31))
            for item in (
                "Propose that departments incorporate an ‘introduction to technicians",
                "encourage FTC staff to take part in networking events",
                "consider having a Technician Champion in departments",
                "have members of the Technician Commitment Steering Group attending HODS forums",
                "Put forward a suggestion that the University considers the introduction of a time",
                "Provide data on the breakdown of technician gradings",
                "Run a pilot development programme for technicians",
                "Consider how Technicians might be given access to undertake degree modules",
                "Implement a workshadowing/mentoring process",
                "Revise and update the Technician Commitment brochure",
            )
        ),
    ),
    PlanSpec(
        slug="sheffield_five_actions",
        institution="The University of Sheffield",
        source="https://www.sheffield.ac.uk/technicians/commitment/five-actions",
        tests="pillars as numbered section headings ('1. Visibility' … '5. Evaluating impact') above one pledge "
        "each; 'Evaluating impact' is not a pillar; multi-paragraph cells; lead-in header 'We have pledged to "
        "offer our technicians:'; no window",
        build=build_sheffield,
        start=date(2017, 6, 1),
        months=24,
        cli_args=("--plan-start", "2017-06"),
        actions=(
            ExpectedAction("We will ensure that all technicians within the organisation can be identified", "V"),
            ExpectedAction("We will support technicians to gain recognition through professional registration", "R"),
            ExpectedAction("We will enable career progression opportunities for technicians", "C"),
            ExpectedAction("We will ensure the future sustainability of technical skills", "S"),
            ExpectedAction("We will regularly assess the impact of actions taken in support of the commitment", ""),
        ),
    ),
]
