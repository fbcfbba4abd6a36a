"""Action plans in the layouts institutions publish: the seed's table, and each variant PRODUCT.md lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.ingest.base import LoadResult
from tracker.ingest.plan import load_plan
from tracker.ingest.reader import read_workbook

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAN = ROOT / "plan" / "ucl_2018_action_plan.xlsx"
START = date(2018, 11, 1)
END = date(2020, 10, 31)

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]

SEED_HEADER = [None, "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"]
# The seed's table (../shared/seeds/003_…txt, lines 100-110) with its list items as "• " lines.
SEED_ACTIONS = [
    [
        "Understand",
        "Understand the current skills and capabilities of Technicians across UCL.",
        "• Agree scope and definition of Technician Community.\n• Undertake a survey to map skills and capabilities",
        "Alignment of technical capability with requirements of research and education strategies. "
        "(Evidence: Technician Commitment recognised in Research Strategy; "
        "Progress of action plan monitored by Research & Innovation Operations Oversight Board)",
        "VP Research, Deans, Technician Commitment Working Group",
        "X",
        None,
        None,
        "X",
    ],
    [
        "Develop",
        "Fostering greater clarity, cohesion and continuous improvement, "
        "the technical communities of practice will bring together colleagues "
        "working in similar practice areas from across UCL.",
        "• Set up communities of practice related to technical staff\n"
        "• Reviewing our learning and development portfolio",
        "For each COP:\n• Greater understanding of skills and training needs\n"
        "• Increase in provision and sign posting of training courses and workshops and in-house CPD\n"
        "• Greater knowledge and skills sharing\n(Evidence: Report from COP Manager)",
        "Head of Community of Practice, COP leads, Workstream Leads",
        "X",
        None,
        "X",
        "X",
    ],
    [
        "Develop",
        "Technician specific professional career paths/frameworks which clearly document progression opportunities",
        "Working with the National Technician Development Centre, produce structured career pathways for the "
        "major job families in the Technical Communities of Practice.",
        "For each COP: Greater clarity of career progression. (Evidence from Career Pathway Advisory Groups)",
        "COP Sponsor/Head of Career Pathways/COP Leads",
        None,
        "X",
        "X",
        "X",
    ],
    [
        "Develop",
        "Succession planning for key skills",
        "• Workforce planning\n• Opening up earlier career entry points via apprentices\n"
        "• Apprenticeship levy used to develop existing staff\n"
        "• Job shadowing and rotational training programmes",
        "Develop new capabilities required for research and education\n"
        "Increase supply of staff in skill shortage areas "
        "(Evidence: from COP Sponsors; Research & Innovation Operations Oversight Board)",
        "OD/Heads of HR/Technician Commitment Working Group",
        None,
        None,
        "X",
        "X",
    ],
    [
        "Value",
        "Facilitate formal professional recognition and regular continuous professional development",
        "• UCL to gain Science Council Employer Champion award in recognition of the support given "
        "to technical staff to gain professional registration.\n"
        "• A consistent policy that where technicians have contributed "
        "to research outputs and grants, they are named as authors",
        "University level support for technicians gaining professional recognition. "
        "(Evidence: UCL policy to support professional recognition)",
        "OD/ COP Sponsors",
        "X",
        "X",
        "X",
        None,
    ],
    [
        "Value",
        "Celebrate and show case achievements by Technical staff at UCL.",
        "Annual Technician Conference and awards ceremony",
        "Greater engagement and job satisfaction of technician community "
        "(Evidence: staff survey/ COP survey; "
        "Internal award schemes recognise the contribution of technical staff; Nominations to external award "
        "schemes that recognise the contribution of technical staff)",
        "OD/ COP Sponsors/Head of COP",
        "X",
        "X",
        None,
        None,
    ],
]
SEED_REFS = ["U1", "D1", "D2", "D3", "V1", "V2"]
SEED_THEMES = ["Understand", "Develop", "Develop", "Develop", "Value", "Value"]
SEED_PILLARS = ["VS", "VCS", "RCS", "CS", "VRC", "VR"]
SEED_OWNERS = {
    "U1": ["VP Research", "Deans", "Technician Commitment Working Group"],
    "D1": ["Head of Community of Practice", "COP leads", "Workstream Leads"],
    "D2": ["COP Sponsor", "Head of Career Pathways", "COP Leads"],
    "D3": ["OD", "Heads of HR", "Technician Commitment Working Group"],
    "V1": ["OD", "COP Sponsors"],
    "V2": ["OD", "COP Sponsors", "Head of COP"],
}
SEED_EVIDENCE = {
    "U1": [
        "Technician Commitment recognised in Research Strategy",
        "Progress of action plan monitored by Research & Innovation Operations Oversight Board",
    ],
    "D1": ["Report from COP Manager"],
    "D2": ["Career Pathway Advisory Groups"],
    "D3": ["COP Sponsors", "Research & Innovation Operations Oversight Board"],
    "V1": ["UCL policy to support professional recognition"],
    "V2": [
        "staff survey/ COP survey",
        "Internal award schemes recognise the contribution of technical staff",
        "Nominations to external award schemes that recognise the contribution of technical staff",
    ],
}
KEY_AREAS = (
    "Technician Commitment 4 Key areas: V – Visibility; R – Recognition; C – Career Development, S - Sustainability"
)
TITLE_RANGE = [
    ["Technician Commitment"],
    ["Evaluating Impact through Self-Assessment & Future Action Planning"],
    ["Organisation: University College London"],
    ["University College London: 24-month action plan, November 2018 – October 2020"],
    [KEY_AREAS],
    [],
]
TITLE_LABEL = [
    ["Technician Commitment"],
    ["Organisation: University College London"],
    ["Please provide a 24-month action plan, detailing future plans"],
    ["Plan start: November 2018"],
    [KEY_AREAS],
    [],
]


def seed_rows(title: list[list[Any]] = TITLE_RANGE) -> list[list[Any]]:
    """The seed's table as published: title block, header, three actions, page break, header again, three."""
    return [*title, SEED_HEADER, *SEED_ACTIONS[:3], [], SEED_HEADER, *SEED_ACTIONS[3:]]


def plan_of(make_xlsx: MakeXlsx, rows: list[list[Any]], **kw: Any) -> LoadResult:
    kw.setdefault("plan_start", START)
    return load_plan(read_workbook(make_xlsx({"Action plan": rows}), filename="plan.xlsx"), **kw)


def codes(result: LoadResult) -> list[tuple[str, int | None, str | None]]:
    return [(i.code, i.row, i.column) for i in result.issues]


# --- the seed's table as published -----


@pytest.mark.parametrize("title", [TITLE_RANGE, TITLE_LABEL], ids=["range-in-title", "plan-start-label"])
def test_seed_table_as_published(make_xlsx: MakeXlsx, title: list[list[Any]]) -> None:
    r = load_plan(read_workbook(make_xlsx({"Action plan": seed_rows(title)}), filename="ucl.xlsx"))
    assert r.valid, r.issue_lines()
    assert r.issues == []
    assert [a.ref for a in r.rows] == SEED_REFS
    assert [a.theme for a in r.rows] == SEED_THEMES
    assert [a.pillars for a in r.rows] == SEED_PILLARS
    assert {a.ref: a.owners for a in r.rows} == SEED_OWNERS
    assert {a.ref: a.expected_evidence for a in r.rows} == SEED_EVIDENCE
    assert r.meta["institution"] == "University College London"
    assert r.meta["start_date"] == START
    assert r.meta["months"] == 24
    assert r.meta["end_date"] == END
    assert r.meta["header_row"] == len(title) + 1
    assert r.meta["refs_assigned"] is True
    assert all((a.start, a.due) == (START, END) for a in r.rows)


def test_seed_table_cell_text(make_xlsx: MakeXlsx) -> None:
    r = plan_of(make_xlsx, seed_rows())
    by_ref = {a.ref: a for a in r.rows}
    u1 = by_ref["U1"]
    assert u1.purpose == "Understand the current skills and capabilities of Technicians across UCL."
    assert u1.activity == (
        "• Agree scope and definition of Technician Community.\n• Undertake a survey to map skills and capabilities"
    )
    # The promised evidence is cut out of the impact text.
    assert u1.impact == "Alignment of technical capability with requirements of research and education strategies."
    assert by_ref["D2"].impact == "For each COP: Greater clarity of career progression."
    assert by_ref["D3"].activity.count("\n• ") == 3
    assert by_ref["V2"].activity == "Annual Technician Conference and awards ceremony"


def test_seed_error_row_numbers_count_the_repeated_header(make_xlsx: MakeXlsx) -> None:
    rows = seed_rows()
    d3 = len(TITLE_RANGE) + 1 + 3 + 2 + 1  # title, header, 3 actions, page break + header, then D3
    assert rows[d3 - 1][1] == "Succession planning for key skills"
    rows[d3 - 1] = ["Develop", None, None, "impact only", "OD", None, None, "X", None]
    r = plan_of(make_xlsx, rows)
    assert not r.valid
    assert codes(r) == [("required", 13, "Activity")]
    assert r.issues[0].sheet == "Action plan"
    assert r.issue_lines() == [
        "plan.xlsx:Action plan:13:Activity: Activity is empty: every action needs an activity or purpose"
    ]


def test_demo_plan_file_loads_as_the_seed() -> None:
    r = load_plan(read_workbook(DEMO_PLAN))
    assert r.valid, r.issue_lines()
    assert [a.ref for a in r.rows] == SEED_REFS
    assert [a.pillars for a in r.rows] == SEED_PILLARS
    assert [a.theme for a in r.rows] == SEED_THEMES
    assert {a.ref: a.owners for a in r.rows} == SEED_OWNERS
    assert {a.ref: a.expected_evidence for a in r.rows} == SEED_EVIDENCE
    assert (r.meta["institution"], r.meta["start_date"], r.meta["months"]) == (
        "University College London",
        START,
        24,
    )
    assert r.meta["header_row"] == 7


def test_plan_start_argument_beats_the_title(make_xlsx: MakeXlsx) -> None:
    r = plan_of(make_xlsx, seed_rows(), plan_start=date(2019, 1, 1))
    assert r.meta["start_date"] == date(2019, 1, 1)
    assert r.meta["end_date"] == date(2020, 12, 31)
    assert r.rows[0].due == date(2020, 12, 31)


def test_no_plan_start_anywhere_is_asked_for() -> None:
    wb = read_workbook(b"Activity,Who\nRun a survey,HR\n", filename="p.csv")
    r = load_plan(wb)
    assert not r.valid
    assert [(i.code, i.severity) for i in r.issues] == [("no_plan_start", "error")]
    assert "--plan-start" in r.issues[0].message


def test_no_plan_start_but_a_date_in_the_plan() -> None:
    wb = read_workbook(b"Activity,Who,Due\nRun a survey,HR,Mar 2021\nAwards,OD,Y2\n", filename="p.csv")
    r = load_plan(wb)
    assert r.valid, r.issue_lines()
    assert r.meta["start_date"] == date(2021, 3, 1)
    assert [a.due for a in r.rows] == [date(2021, 3, 31), date(2023, 2, 28)]
    assert any("earliest date" in n.message for n in r.notes)


# --- themes -----

THEME_LAYOUTS = {
    "theme-column-carried-down": [
        ["Theme", "Activity", "Who"],
        ["Understand", "Skills survey", "HR"],
        ["Develop", "Communities of practice", "HR"],
        [None, "Career pathways", "HR"],
        [None, "Apprenticeships", "OD"],
        ["Value", "Annual conference", "OD"],
    ],
    "theme-as-section-rows": [
        ["Activity", "Who", "Impact"],
        ["Understand"],
        ["Skills survey", "HR", "Skills mapped"],
        [],
        ["Develop"],
        ["Communities of practice", "HR", "Better CPD"],
        ["Career pathways", "HR", "Clarity"],
        ["Apprenticeships", "OD", "Supply"],
        ["Value"],
        ["Annual conference", "OD", "Engagement"],
    ],
    "numbered-section-rows": [
        ["Activity", "Who", "Impact"],
        ["Theme 1: Understand"],
        ["Skills survey", "HR", "Skills mapped"],
        ["Theme 2: Develop"],
        ["Communities of practice", "HR", "Better CPD"],
        ["Career pathways", "HR", "Clarity"],
        ["Apprenticeships", "OD", "Supply"],
        ["Theme 3: Value"],
        ["Annual conference", "OD", "Engagement"],
    ],
    "unheaded-theme-column": [
        [None, "Purpose", "Activity", "Who"],
        ["Understand", "Know our skills", "Skills survey", "HR"],
        ["Develop", "Share practice", "Communities of practice", "HR"],
        [None, "Progression", "Career pathways", "HR"],
        [None, "Succession", "Apprenticeships", "OD"],
        ["Value", "Celebrate", "Annual conference", "OD"],
    ],
}


@pytest.mark.parametrize("rows", THEME_LAYOUTS.values(), ids=THEME_LAYOUTS.keys())
def test_theme_layouts(make_xlsx: MakeXlsx, rows: list[list[Any]]) -> None:
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert [(a.ref, a.theme, a.activity) for a in r.rows] == [
        ("U1", "Understand", "Skills survey"),
        ("D1", "Develop", "Communities of practice"),
        ("D2", "Develop", "Career pathways"),
        ("D3", "Develop", "Apprenticeships"),
        ("V1", "Value", "Annual conference"),
    ]
    assert [a.owners for a in r.rows] == [["HR"], ["HR"], ["HR"], ["OD"], ["OD"]]


def test_themes_sharing_an_initial_get_distinct_prefixes(make_xlsx: MakeXlsx) -> None:
    rows = [["Theme", "Activity"], ["Develop", "a"], ["Deliver", "b"], ["Deliver", "c"], ["Develop", "d"]]
    r = plan_of(make_xlsx, rows)
    assert [(a.ref, a.theme) for a in r.rows] == [
        ("D1", "Develop"),
        ("De1", "Deliver"),
        ("De2", "Deliver"),
        ("D2", "Develop"),
    ]


# --- pillars -----


@pytest.mark.parametrize("mark", ["X", "x", "✓", "✔", "Y", "Yes", "yes", "TRUE", 1])
def test_pillar_ticks(make_xlsx: MakeXlsx, mark: Any) -> None:
    rows = [
        ["Theme", "Activity", "Who", "V", "R", "C", "S"],
        ["Value", "Awards", "OD", None, mark, None, mark],
        ["Value", "Conference", "OD", mark, None, None, None],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid
    assert [i.code for i in r.issues] == []
    assert [(a.ref, a.pillars) for a in r.rows] == [("V1", "RS"), ("V2", "V")]


@pytest.mark.parametrize("blank", ["No", "n", "-", "N/A", 0])
def test_pillar_non_ticks_are_not_counted(make_xlsx: MakeXlsx, blank: Any) -> None:
    rows = [["Activity", "V", "R", "C", "S"], ["Awards", "X", blank, blank, "X"]]
    r = plan_of(make_xlsx, rows)
    assert r.rows[0].pillars == "VS"
    assert r.issues == []


def test_unusual_tick_counts_with_a_warning(make_xlsx: MakeXlsx) -> None:
    rows = [[], ["Activity", "V", "R", "C", "S"], ["Awards", "maybe", None, "X", None]]
    r = plan_of(make_xlsx, rows)
    assert r.valid
    assert r.rows[0].pillars == "VC"
    assert [(i.code, i.row, i.column, i.value, i.severity) for i in r.issues] == [
        ("unusual_mark", 3, "V", "maybe", "warning")
    ]


@pytest.mark.parametrize("c_header", ["C", "CD", "Career Development", "Career"])
def test_career_development_column_names(make_xlsx: MakeXlsx, c_header: str) -> None:
    rows = [
        ["Planned action", "Lead", "Visibility", "Recognition", c_header, "Sustainability"],
        ["Career pathways", "HR", None, None, "✓", "✓"],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.meta["columns"]["pC"] == c_header
    assert r.rows[0].pillars == "CS"


@pytest.mark.parametrize("header", ["Pillar", "Pillars", "Pillar(s)", "TC pillars", "Key area"])
def test_single_pillar_column_with_words(make_xlsx: MakeXlsx, header: str) -> None:
    rows = [
        ["Ref", "Activity", "Who", header],
        ["1.1", "Career pathways", "HR", "Career Development"],
        ["1.2", "Open days", "Comms", "Visibility and sustainability"],
        ["1.3", "Awards", "OD", "V, R"],
        ["1.4", "Registration", "OD", "Recognition / CD"],
        ["1.5", "Unassigned", "OD", None],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert r.meta["columns"]["pillars"] == header
    assert [(a.ref, a.pillars) for a in r.rows] == [
        ("1.1", "C"),
        ("1.2", "VS"),
        ("1.3", "VR"),
        ("1.4", "RC"),
        ("1.5", ""),
    ]


@pytest.mark.parametrize(
    "sections",
    [
        ("Visibility", "Career Development", "Sustainability"),
        ("Pillar 1: Visibility", "Pillar 3: Career development", "Pillar 4: Sustainability"),
        ("VISIBILITY", "CAREER DEVELOPMENT", "SUSTAINABILITY"),
    ],
    ids=["words", "numbered", "upper-case"],
)
def test_pillar_section_rows_without_tick_columns(make_xlsx: MakeXlsx, sections: tuple[str, str, str]) -> None:
    v, c, s = sections
    rows = [
        ["Action", "Lead", "Success measure", "Due"],
        [v],
        ["Technician web pages", "Comms", "Page views", "Jun 2019"],
        ["Technician profiles", "Comms", "20 profiles", "Dec 2019"],
        [c],
        ["Career pathways", "HR", "Published", "Oct 2020"],
        [s],
        ["Apprenticeships", "HR/Faculties", "7 started", "Sep 2019"],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert [(a.ref, a.pillars) for a in r.rows] == [("V1", "V"), ("V2", "V"), ("C1", "C"), ("S1", "S")]
    assert [a.theme.lower() for a in r.rows] == [
        "visibility",
        "visibility",
        "career development",
        "sustainability",
    ]
    assert [a.due for a in r.rows] == [
        date(2019, 6, 30),
        date(2019, 12, 31),
        date(2020, 10, 31),
        date(2019, 9, 30),
    ]
    assert r.rows[3].owners == ["HR", "Faculties"]
    assert r.rows[0].impact == "Page views"


def test_ticks_beat_the_pillar_section(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Activity", "Who", "V", "R", "C", "S"],
        ["Visibility"],
        ["Profiles", "Comms", None, "X", None, None],
        ["Web pages", "Comms", None, None, None, None],
    ]
    r = plan_of(make_xlsx, rows)
    assert [(a.ref, a.pillars) for a in r.rows] == [("V1", "R"), ("V2", "V")]


# --- column names -----


@pytest.mark.parametrize("activity", ["Action", "Activity", "Planned Activity", "Planned action", "Actions"])
@pytest.mark.parametrize("owner", ["Who", "Lead", "Owner", "Responsibility", "Owner(s)"])
def test_activity_and_owner_column_names(make_xlsx: MakeXlsx, activity: str, owner: str) -> None:
    rows = [
        ["Theme", activity, owner],
        ["Develop", "Set up communities of practice", "HR; Deans and COP leads"],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert r.meta["columns"]["activity"] == activity
    assert r.meta["columns"]["owner"] == owner
    assert r.rows[0].activity == "Set up communities of practice"
    assert r.rows[0].owners == ["HR", "Deans", "COP leads"]


@pytest.mark.parametrize("impact", ["Impact", "Success measure", "Delivery & Success", "Expected outcomes"])
def test_impact_column_names(make_xlsx: MakeXlsx, impact: str) -> None:
    rows = [["Activity", "Who", impact], ["Annual awards", "OD", "More nominations (Evidence: award list)"]]
    r = plan_of(make_xlsx, rows)
    assert r.meta["columns"]["impact"] == impact
    assert r.rows[0].impact == "More nominations"
    assert r.rows[0].expected_evidence == ["award list"]


@pytest.mark.parametrize(
    ("cell", "impact", "evidence"),
    [
        (
            "Clarity (Evidence from Career Pathway Advisory Groups)",
            "Clarity",
            ["Career Pathway Advisory Groups"],
        ),
        (
            "Supply (Evidence: from COP Sponsors; Oversight Board)",
            "Supply",
            ["COP Sponsors", "Oversight Board"],
        ),
        ("Skills mapped (Evidence - survey report)", "Skills mapped", ["survey report"]),
        (
            "Better CPD (Evidence: survey (2019); report). More sharing.",
            "Better CPD. More sharing.",
            ["survey (2019)", "report"],
        ),
        (
            "Awards (Evidence: list) and talks (Evidence: programme)",
            "Awards and talks",
            ["list", "programme"],
        ),
        ("More CPD\n(Evidence:\n• COP report\n• Training log)", "More CPD", ["COP report", "Training log"]),
        ("Engagement (evidence: staff survey", "Engagement", ["staff survey"]),
        ("No promise of evidence", "No promise of evidence", []),
    ],
    ids=["from", "colon-from", "dash", "mid-text", "two-brackets", "bullets", "unclosed", "none"],
)
def test_evidence_in_impact_text(make_xlsx: MakeXlsx, cell: str, impact: str, evidence: list[str]) -> None:
    r = plan_of(make_xlsx, [["Activity", "Impact"], ["Survey", cell]])
    assert (r.rows[0].impact, r.rows[0].expected_evidence) == (impact, evidence)


def test_impact_and_success_measure_both_kept(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Activity", "Impact", "Success measures", "Evidence"],
        ["Apprentices", "Supply of skills", "7 started by Sep 2019", "Intake list; HR report"],
    ]
    r = plan_of(make_xlsx, rows)
    a = r.rows[0]
    assert (a.impact, a.success_measures) == ("Supply of skills", "7 started by Sep 2019")
    assert a.expected_evidence == ["Intake list", "HR report"]


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ("OD/ COP Sponsors/Head of COP", ["OD", "COP Sponsors", "Head of COP"]),
        (
            "VP Research, Deans, Technician Commitment Working Group",
            ["VP Research", "Deans", "Technician Commitment Working Group"],
        ),
        ("HR and Estates", ["HR", "Estates"]),
        ("HR; Faculty managers", ["HR", "Faculty managers"]),
        ("• HR\n• Deans", ["HR", "Deans"]),
        ("HR, HR and Deans", ["HR", "Deans"]),
    ],
)
def test_owners_split(make_xlsx: MakeXlsx, owners: str, expected: list[str]) -> None:
    r = plan_of(make_xlsx, [["Activity", "Who"], ["Survey", owners]])
    assert r.rows[0].owners == expected


def test_own_ref_column_is_kept(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Ref", "Theme", "Action", "Who"],
        ["1.1", "Understand", "Skills survey", "HR"],
        ["2.3", "Develop", "Communities of practice", "HR"],
        [7, "Develop", "Apprentices", "HR"],
    ]
    r = plan_of(make_xlsx, rows)
    assert [(a.ref, a.theme) for a in r.rows] == [("1.1", "Understand"), ("2.3", "Develop"), ("7", "Develop")]
    assert r.meta["refs_assigned"] is False


# --- dates -----


@pytest.mark.parametrize(
    ("header", "value", "start", "due"),
    [
        ("Due", datetime(2019, 5, 31), START, date(2019, 5, 31)),
        ("Due", "May-19", START, date(2019, 5, 31)),
        ("Due", "Dec 2019", START, date(2019, 12, 31)),
        ("Due", "31/10/2019", START, date(2019, 10, 31)),
        ("Due", "Y1", START, date(2019, 10, 31)),
        ("End", "Sept 2020", START, date(2020, 9, 30)),
        ("Start", "31/10/2018", date(2018, 10, 31), END),
        ("Start", datetime(2019, 2, 1), date(2019, 2, 1), END),
        ("Start", "May-19", date(2019, 5, 1), END),
        ("Start", "Y2", date(2019, 11, 1), END),
        ("Timescale", "Y1", START, date(2019, 10, 31)),
        ("Timescale", "Y2", date(2019, 11, 1), END),
        ("Timescale", "Y1-Y2", START, END),
        ("Timescale", "Jan 2019 – Dec 2019", date(2019, 1, 1), date(2019, 12, 31)),
        ("Timescale", "May-19 - Dec-19", date(2019, 5, 1), date(2019, 12, 31)),
        ("Timescale", "Dec 2019", date(2019, 12, 1), date(2019, 12, 31)),
        ("Timescale", "Ongoing", START, END),
        ("Timescale", datetime(2019, 7, 31), START, date(2019, 7, 31)),
        ("Timescale", None, START, END),
    ],
)
def test_date_forms(make_xlsx: MakeXlsx, header: str, value: Any, start: date, due: date) -> None:
    rows = [["Activity", "Who", header], ["Skills survey", "HR", value]]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert (r.rows[0].start, r.rows[0].due) == (start, due)


def test_start_and_end_columns_together(make_xlsx: MakeXlsx) -> None:
    rows = [["Activity", "Start", "End"], ["Survey", "Jan 2019", "31/03/2019"], ["Report", None, "Q3 2019"]]
    r = plan_of(make_xlsx, rows)
    assert [(a.start, a.due) for a in r.rows] == [
        (date(2019, 1, 1), date(2019, 3, 31)),
        (START, date(2019, 9, 30)),
    ]


def test_header_on_row_12_after_a_long_title_block(make_xlsx: MakeXlsx) -> None:
    title = [
        ["Technician Commitment action plan 2019-2022"],
        ["Organisation: University of Somewhere"],
        ["36-month plan"],
        ["Plan start: 01/01/2019"],
    ]
    notes = [[f"Note {i}: the plan was agreed by the working group"] for i in range(7)]
    rows = [
        *title,
        *notes,
        ["Ref", "Planned Activity", "Lead", "Timescale", "V", "R", "C", "S"],
        ["A1", "Survey", "HR", "Y3", "X", None, None, None],
    ]
    assert len(title) + len(notes) + 1 == 12
    r = plan_of(make_xlsx, rows, plan_start=None)
    assert r.valid, r.issue_lines()
    assert r.meta["header_row"] == 12
    assert (r.meta["institution"], r.meta["start_date"], r.meta["months"]) == (
        "University of Somewhere",
        date(2019, 1, 1),
        36,
    )
    assert (r.rows[0].ref, r.rows[0].start, r.rows[0].due) == ("A1", date(2021, 1, 1), date(2021, 12, 31))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_csv_plans(encoding: str) -> None:
    text = (
        "Theme,Activity,Who,Timescale,V,R,C,S\n"
        'Développer,"• Café de technicien\n• Zoë\'s workshop – phase 1",Zoë/HR,31/10/2019,X,,,Yes\n'
        ",Second action,HR and Estates,Dec 2019,,x,,\n"
    )
    data = text.encode(encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    r = load_plan(read_workbook(data, filename="plan.csv"), plan_start=START)
    assert r.valid, r.issue_lines()
    assert r.meta["columns"]["theme"] == "Theme"  # no BOM stuck to the first header
    assert [(a.ref, a.theme, a.pillars, a.owners, a.due) for a in r.rows] == [
        ("D1", "Développer", "VS", ["Zoë", "HR"], date(2019, 10, 31)),
        ("D2", "Développer", "R", ["HR", "Estates"], date(2019, 12, 31)),
    ]
    assert r.rows[0].activity == "• Café de technicien\n• Zoë's workshop – phase 1"


# --- errors -----


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["Develop", "p", "a", "HR", "soonish", None], ("unread_timescale", 3, "Start", "soonish")),
        (["Develop", "p", "a", "HR", None, "31/02/2019"], ("unread_timescale", 3, "Due date", "31/02/2019")),
        (["Develop", "p", "a", "HR", None, "Dec 2030"], ("due_after_window", 3, "Due date", "2030-12-31")),
        (["Develop", "p", "a", "HR", "01/01/2012", None], ("start_before_window", 3, "Start", "2012-01-01")),
        (
            ["Develop", "p", "a", "HR", "Sep 2020", "Jan 2019"],
            ("due_before_start", 3, "Due date", "2019-01-31"),
        ),
    ],
    ids=["bad-date", "impossible-date", "due-far-after", "start-far-before", "due-before-start"],
)
def test_dates_a_published_plan_cannot_change_are_warnings(
    make_xlsx: MakeXlsx, row: list[Any], expected: tuple[Any, ...]
) -> None:
    """An administrator cannot rewrite a published plan: a date it cannot read, or one outside the window, is
    a warning naming the cell (the plan's own window is used), never a refusal."""
    rows = [
        ["Theme", "Purpose", "Activity", "Who", "Start", "Due date"],
        ["Understand", "Know skills", "Survey", "HR", None, None],
        row,
        ["Value", "Celebrate", "Conference", "OD", None, None],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert [(i.code, i.row, i.column, i.value, i.severity) for i in r.issues] == [(*expected, "warning")]
    assert r.issues[0].sheet == "Action plan"
    assert len(r.rows) == 3


def test_a_row_with_no_activity_continues_the_action_above(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Theme", "Purpose", "Activity", "Who", "Start", "Due date"],
        ["Understand", "Know skills", "Survey", "HR", None, "Dec 2019"],
        [None, None, None, "Deans", None, "Mar 2020"],
        ["Value", "Celebrate", "Conference", "OD", None, None],
    ]
    r = plan_of(make_xlsx, rows)
    assert r.valid, r.issue_lines()
    assert [(a.ref, a.owners, a.due) for a in r.rows] == [
        ("U1", ["HR", "Deans"], date(2020, 3, 31)),
        ("V1", ["OD"], END),
    ]
    assert [(n.row, "part of the action on row 2" in n.message) for n in r.notes if n.row] == [(3, True)]


def test_every_bad_row_is_reported(make_xlsx: MakeXlsx) -> None:
    rows = [
        ["Plan start: November 2018"],
        [],
        ["Ref", "Purpose", "Activity", "Who", "Due"],
        ["D1", "Share practice", "COPs", "HR", "Dec 2019"],
        ["D1", "Share more", "More COPs", "HR", "Dec 2019"],
        ["D2", None, None, "HR", "Dec 2019"],
        ["Ref", "Purpose", "Activity", "Who", "Due"],
        ["D3", "p", "a", "HR", "whenever"],
        ["D4", "p", "a", "HR", "2031"],
    ]
    r = load_plan(read_workbook(make_xlsx({"Plan": rows}), filename="p.xlsx"))
    assert [(i.code, i.row, i.column, i.value) for i in r.errors] == [
        ("required", 6, "Activity", None),
        ("duplicate", 5, "Ref", "D1"),
    ]
    assert [(i.code, i.row) for i in r.issues if i.severity == "warning"] == [
        ("unread_timescale", 8),
        ("due_after_window", 9),
    ]
    assert "rows 4 and 5" in r.errors[1].message
    assert r.issue_lines()[0].startswith("p.xlsx:Plan:6:Activity: ")


def test_duplicate_assigned_refs_cannot_happen_but_own_refs_can(make_xlsx: MakeXlsx) -> None:
    rows = [["Ref", "Theme", "Activity"], [None, "Develop", "a"], ["D1", "Develop", "b"]]
    r = plan_of(make_xlsx, rows)
    assert [(i.code, i.row, i.column, i.value) for i in r.issues] == [("duplicate", 3, "Ref", "D1")]


def test_header_without_actions(make_xlsx: MakeXlsx) -> None:
    r = plan_of(make_xlsx, [["Activity", "Who", "Impact"], [], []])
    assert [(i.code, i.row) for i in r.issues] == [("no_actions", None)]
    assert not r.valid


UNKNOWN_LAYOUT = [
    ["Our commitments"],
    ["What we will do", "Person", "Finish by"],
    ["Run a skills survey", "HR / Deans", "Y1"],
    ["Hold a conference", "OD", "Dec 2019"],
]
NO_MEANING = [["Our commitments"], ["Col 1", "Col 2"], ["1", "2"], ["3", "4"]]


def test_columns_read_by_meaning(make_xlsx: MakeXlsx) -> None:
    r = plan_of(make_xlsx, UNKNOWN_LAYOUT)
    assert r.valid, r.issue_lines()
    assert r.meta["columns"] == {"activity": "What we will do", "owner": "Person", "due": "Finish by"}
    assert [(a.activity, a.owners, a.due) for a in r.rows] == [
        ("Run a skills survey", ["HR", "Deans"], date(2019, 10, 31)),
        ("Hold a conference", ["OD"], date(2019, 12, 31)),
    ]


def test_unrecognised_layout(make_xlsx: MakeXlsx) -> None:
    r = plan_of(make_xlsx, NO_MEANING)
    assert r.valid is False
    assert r.rows == []
    assert [(i.code, i.sheet, i.row, i.column) for i in r.issues] == [
        ("unrecognised_layout", "Action plan", None, None)
    ]
    assert "Col 1, Col 2" in r.issues[0].message  # the headers it saw, for the mapping step
    assert "activity" in r.issues[0].message and "owner" in r.issues[0].message  # the fields to map to


def test_mapping_makes_an_unrecognised_layout_load(make_xlsx: MakeXlsx) -> None:
    mapping = {"activity": "What we will do", "owner": "Person", "timescale": "Finish by"}
    r = plan_of(make_xlsx, UNKNOWN_LAYOUT, mapping=mapping)
    assert r.valid, r.issue_lines()
    assert r.meta["header_row"] == 2
    assert r.meta["columns"] == {"activity": "What we will do", "owner": "Person", "timescale": "Finish by"}
    assert [(a.ref, a.activity, a.owners, a.start, a.due) for a in r.rows] == [
        ("A1", "Run a skills survey", ["HR", "Deans"], START, date(2019, 10, 31)),
        ("A2", "Hold a conference", ["OD"], date(2019, 12, 1), date(2019, 12, 31)),
    ]


def test_mapping_overrides_a_recognised_column(make_xlsx: MakeXlsx) -> None:
    rows = [["Activity", "Notes", "Who"], ["Survey", "Really the owner", "ignored"]]
    r = plan_of(make_xlsx, rows, mapping={"owner": "Notes"})
    assert r.meta["columns"]["owner"] == "Notes"
    assert r.rows[0].owners == ["Really the owner"]


def test_plan_sheet_is_found_among_others(make_xlsx: MakeXlsx) -> None:
    data = make_xlsx(
        {
            "Cover": [["Technician Commitment"], ["Organisation: Uni of Elsewhere"]],
            "Action plan": [
                ["Action", "Who", "V", "R", "C", "S"],
                ["Profiles", "Comms", "X", None, None, None],
            ],
        }
    )
    r = load_plan(read_workbook(data, filename="p.xlsx"), plan_start=START)
    assert r.meta["sheet"] == "Action plan"
    assert [(a.ref, a.pillars) for a in r.rows] == [("A1", "V")]
