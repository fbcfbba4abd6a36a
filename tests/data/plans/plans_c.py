"""Real published Technician Commitment plans, a third batch (helper C): institutions not in plans_a / plans_b.

Each workbook is laid out as the stored copy of the page shows the plan: the title block above the table, the
table's own headings (none is invented; where the page has no column headings the sheet has none either),
pillar cells merged down where the published table spans them, numbers in their own column where the page
prints them apart from the text. The stored copies hold only each page's opening part; a plan is transcribed
as far as its last complete row. CORPUS_C.md beside this file gives the sources and every judgement call.

Expected values were decided from the published text and the Technician Commitment's meaning, before any loader
was run on these workbooks.
"""

from __future__ import annotations

from datetime import date

from tests.data.plans.build import SheetWriter as _Sheet
from tests.data.plans.spec import ExpectedAction, PlanSpec

# --- University of Leicester: the action plan's 10-point summary ----------------------------------------------
# https://le.ac.uk/the-technician-commitment/plan — heading "University of Leicester Technician Commitment Action
# Plan", a paragraph on the Steering Committee, then "10-point summary" over an ordered list 1–10. The whole list
# is in the stored text (it ends "Back to top").

LEICESTER_URL = "https://le.ac.uk/the-technician-commitment/plan"

LEICESTER_ITEMS = (
    "Increase visibility and celebrate the achievements of technicians with the Technician’s Annual Conference "
    "and regular events throughout the year.",
    "Give technicians visibility through acknowledgment in research grants and as authors on papers with a clear "
    "University policy.",
    "Technicians to sit on decision-making committees where appropriate.",
    "Support technicians in gaining recognition through professional registration, also via establishing a "
    "professional fund.",
    "Recognition of technicians through awards (Discovering Excellence Awards) and nomination for internal and "
    "external prizes.",
    "Introduce clear and transparent career pathways for technical staff.",
    "Encourage job shadowing, secondment opportunities, mentoring and coaching both within Leicester and other "
    "Midland’s Universities.",
    "Establish and invest in apprenticeship schemes to ensure succession plans are in place.",
    "Increase opportunities and funding for technician’s professional development.",
    "Create a vibrant technician network at UoL where members can feel part of a valued community.",
)


def build_leicester() -> bytes:
    s = _Sheet()
    s.line("The Technician Commitment", bold=True)
    s.line("University of Leicester Technician Commitment Action Plan", bold=True)
    s.line(
        "We will establish a Steering Committee to oversee activity. It will be chaired by a ULT member, PVC and "
        "Head of the College of Science and Engineering and include technical staff from across the institution."
    )
    s.line()
    h = s.row(["10-point summary"], bold=True)
    s.merge(f"A{h}:B{h}")  # the list's only heading, over its numbers and its text
    for n, text in enumerate(LEICESTER_ITEMS, start=1):
        s.row([f"{n}.", text])
    return s.save([8, 110])


LEICESTER = PlanSpec(
    slug="leicester_10_point",
    institution="University of Leicester",
    source=LEICESTER_URL,
    tests="an ordered list as the plan: numbers '1.'–'10.' in their own unheaded column, the only heading "
    "('10-point summary') merged over the number and text columns; pillar words only inside the text; no "
    "timescales, no owners, no window",
    build=build_leicester,
    start=date(2019, 1, 1),
    months=24,
    cli_args=("--plan-start", "2019-01"),
    actions=tuple(
        ExpectedAction(activity, "", None, ref=str(n))
        for n, activity in enumerate(
            (
                "Increase visibility and celebrate the achievements of technicians",
                "Give technicians visibility through acknowledgment in research grants",
                "Technicians to sit on decision-making committees where appropriate.",
                "Support technicians in gaining recognition through professional registration",
                "Recognition of technicians through awards (Discovering Excellence Awards)",
                "Introduce clear and transparent career pathways for technical staff.",
                "Encourage job shadowing, secondment opportunities, mentoring and coaching",
                "Establish and invest in apprenticeship schemes",
                "Increase opportunities and funding for technician’s professional development.",
                "Create a vibrant technician network at UoL",
            ),
            start=1,
        )
    ),
)


# --- Unidentified university: "Our two year action plan" (copy at iademail.com) --------------------------------
# http://iademail.com/technician-commitment — a copy of a university's Technician Commitment page with the
# university's name replaced by garbled characters. The table has no heading row: each key area's word is in the
# first cell of its first row and spans its rows (the stored text gives rows 2.. only two cells, padded at the
# end, which is how a row-spanning first cell is rendered); then the action's number; then the action.

IADEMAIL_URL = "http://iademail.com/technician-commitment"
GARBLED = "ÐÓ°ÉappÏÂÔØ"  # the copy's stand-in for the university's name, kept as stored

IADEMAIL_VISIBILITY = (
    "Create an online web presence",
    "Create an inhouse technical staff directory/database",
    "Provide a biennial technical staff “away” day",
    "Identify all staff performing technical roles who are not in the Technical job family",
    "Set up Faculty email lists and a whole institution list of technicians",
    "Encourage Technician representation on School and Faculty meetings",
    f"To align the University of {GARBLED} Technician Commitment group to the new People Board created by the "
    "updated University Strategy",
    "Develop University awards specifically for technical staff",
)
IADEMAIL_RECOGNITION = (
    "Source funding and promote funding for technicians to apply for professional recognition",
    "Develop a clear code of practice for acknowledgment of technician contributions to publications",
    "Continue membership of HEaTED (Higher Education and Technician’s Educational Development)",
    "Enable technical staff to be able to access internal/external research & enterprise funding opportunities",
)


def build_iademail() -> bytes:
    s = _Sheet()
    s.line("About us", bold=True)
    s.line(
        f"{GARBLED} is proud to have joined the a university and research institution initiative, led by a "
        "steering group of sector bodies, supported by the Science Council and the Gatsby Foundation."
    )
    s.line(
        "As signatories of the Technician Commitment we pledge action to tackle the key challenges affecting our "
        "technical staff, those with technical roles ranging across teaching, research, facilities, media and IT, "
        "across the whole university."
    )
    s.line(
        "We are committed to supporting our staff providing skilled technical and/or scientific support to "
        "research, education and enterprise across the four faculties of the university, technicians, scientific "
        "officers and professional demonstrators."
    )
    s.line(
        "The Technician Commitment includes four key areas, visibility, recognition, career development and "
        "sustainability for technicians. These are all targeted in our action plan for the next two years."
    )
    s.line("Our two year action plan", bold=True)
    # No heading row: the table starts at once with its first key area.
    for area, items in (("VISIBILITY", IADEMAIL_VISIBILITY), ("RECOGNITION", IADEMAIL_RECOGNITION)):
        first = s.r
        for n, text in enumerate(items, start=1):
            s.row([area if n == 1 else None, f"{n}.", text])
        s.merge_down(1, first, s.r - 1)  # the key area spans its rows (value in the top cell only)
    return s.save([16, 6, 100])


IADEMAIL = PlanSpec(
    slug="unidentified_two_year",
    institution=f"Unidentified UK university (name garbled as “{GARBLED}” in the copy)",
    source=IADEMAIL_URL,
    tests="no heading row at all (the table starts right under the caption 'Our two year action plan'); key-area "
    "words in capitals ('VISIBILITY', 'RECOGNITION') merged down over their actions; numbers '1.' in their own "
    "column restarting in each key area; 'next two years' with no start",
    build=build_iademail,
    start=date(2019, 1, 1),
    months=24,
    cli_args=("--plan-start", "2019-01"),
    actions=(
        *(
            ExpectedAction(activity, "V", None, ref=f"V{n}")
            for n, activity in enumerate(
                (
                    "Create an online web presence",
                    "Create an inhouse technical staff directory/database",
                    "Provide a biennial technical staff “away” day",
                    "Identify all staff performing technical roles who are not in the Technical job family",
                    "Set up Faculty email lists and a whole institution list of technicians",
                    "Encourage Technician representation on School and Faculty meetings",
                    "To align the University of",
                    "Develop University awards specifically for technical staff",
                ),
                start=1,
            )
        ),
        *(
            ExpectedAction(activity, "R", None, ref=f"R{n}")
            for n, activity in enumerate(
                (
                    "Source funding and promote funding for technicians to apply for professional recognition",
                    "Develop a clear code of practice for acknowledgment of technician contributions",
                    "Continue membership of HEaTED",
                    "Enable technical staff to be able to access internal/external research & enterprise funding",
                ),
                start=1,
            )
        ),
    ),
)


# --- University of Oxford: the Technicians programme of work -------------------------------------------------
# https://pod.web.ox.ac.uk/supporting-technicians-at-oxford — "Technicians programme: what is planned?": a lead-in
# sentence ("… initially funded for two years …, includes:") over six bullets, one with a date in brackets.

OXFORD_URL = "https://pod.web.ox.ac.uk/supporting-technicians-at-oxford"
OXFORD_HEADER = (
    "The Technicians programme of work at Oxford, initially funded for two years by Research England (the "
    "enhancing research culture fund), includes:"
)
OXFORD_ITEMS = (
    "A survey of technicians’ skills and responsibilities (launched in Autumn 2023);",
    "New communities of practice for technicians, to promote knowledge sharing and career development amongst "
    "colleagues in the same specialist areas;",
    "Appointment of technician champions from different parts of the University, to represent technicians and "
    "communicate their needs;",
    "Definition of career pathways for technicians, providing greater clarity on how to progress between technical "
    "roles;",
    "A wide-ranging action plan, to be developed through consultation with technical staff, and in alignment with "
    "the Researcher Concordat Action Plan.",
    "Events to bring together technicians from across the University, for networking, training and career "
    "development opportunities.",
)


def build_oxford() -> bytes:
    s = _Sheet()
    s.line("Supporting Technicians at Oxford", bold=True)
    s.line(
        "As a signatory to the Technician Commitment, the University is keen to increase the visibility of "
        "technicians, ensure they are better recognised for the valuable work they do, and support them with "
        "professional development and career progression. The Vice-Chancellor is sponsoring a major programme of "
        "work, led by People and Organisational Development, to better support the career development of all "
        "technical staff, including those involved in lab-based research and teaching, IT and AV work, building and "
        "facilities services, and those who work in technical roles in libraries and museums."
    )
    s.line("Technicians programme: what is planned?", bold=True)
    s.row([OXFORD_HEADER], bold=True)  # the lead-in is the list's only heading
    for item in OXFORD_ITEMS:
        s.row([item])
    return s.save([120])


OXFORD = PlanSpec(
    slug="oxford_programme_2yr",
    institution="University of Oxford",
    source=OXFORD_URL,
    tests="a one-column bullet list under a lead-in sentence used as the header, which also carries the length "
    "('initially funded for two years'); the only timescale is a season in brackets inside one item ('(launched "
    "in Autumn 2023)'); no pillars, no owners, no start",
    build=build_oxford,
    start=date(2023, 8, 1),
    months=24,
    cli_args=("--plan-start", "2023-08"),
    actions=(
        ExpectedAction("A survey of technicians’ skills and responsibilities", "", date(2023, 11, 30)),
        ExpectedAction("New communities of practice for technicians", ""),
        ExpectedAction("Appointment of technician champions from different parts of the University", ""),
        ExpectedAction("Definition of career pathways for technicians", ""),
        ExpectedAction("A wide-ranging action plan, to be developed through consultation with technical staff", ""),
        ExpectedAction("Events to bring together technicians from across the University", ""),
    ),
)


# --- Babraham Institute: the four pledged key areas ----------------------------------------------------------
# https://www.babraham.ac.uk/work-and-study/technician-commitment — "In making this commitment, we pledged to work
# towards the Commitment’s four key areas of:" then an ordered list 1–4, each item "<Key area> - to <pledge>".

BABRAHAM_URL = "https://www.babraham.ac.uk/work-and-study/technician-commitment"
BABRAHAM_HEADER = "In making this commitment, we pledged to work towards the Commitment’s four key areas of:"
BABRAHAM_ITEMS = (
    "Visibility - to ensure that the Institute’s technical specialists are visible, valued and that their "
    "contributions to the Institute is visible within the Institute and also externally.",
    "Recognition - to support our technical specialists to gain recognition through professional registration and "
    "award schemes.",
    "Career development - to establish and highlight clear career pathways for career advancement and skills "
    "development.",
    "Sustainability - to allow the Institute to utilise and benefit from the full range of skills and expertise "
    "held by our technical community and to develop plans to ensure the future sustainability of these "
    "capabilities.",
)


def build_babraham() -> bytes:
    s = _Sheet()
    s.line("Technician Commitment", bold=True)
    s.line("The Institute became a signatory of the Technician Commitment in December 2019")
    s.line()
    h = s.row([BABRAHAM_HEADER], bold=True)
    s.merge(f"A{h}:B{h}")  # the lead-in heads the numbered list (numbers and text)
    for n, text in enumerate(BABRAHAM_ITEMS, start=1):
        s.row([f"{n}.", text])
    # The page goes on after the list (a download link, a paragraph on the self-assessment); the table stops here.
    return s.save([8, 110])


BABRAHAM = PlanSpec(
    slug="babraham_pledge",
    institution="Babraham Institute",
    source=BABRAHAM_URL,
    tests="the pillar word at the start of each action's own text ('Visibility - to ensure …', 'Career "
    "development - to …'), numbered '1.'–'4.' in their own column under a merged lead-in heading; a signing "
    "date (December 2019) in the title block but no stated plan start or length",
    build=build_babraham,
    start=date(2020, 12, 1),
    months=24,
    cli_args=("--plan-start", "2020-12"),
    actions=(
        ExpectedAction("Visibility - to ensure that the Institute’s technical specialists are visible", "V", ref="1"),
        ExpectedAction("Recognition - to support our technical specialists to gain recognition", "R", ref="2"),
        ExpectedAction("Career development - to establish and highlight clear career pathways", "C", ref="3"),
        ExpectedAction("Sustainability - to allow the Institute to utilise and benefit", "S", ref="4"),
    ),
)


PLANS: list[PlanSpec] = [LEICESTER, IADEMAIL, OXFORD, BABRAHAM]
