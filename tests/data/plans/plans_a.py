"""Real published Technician Commitment action plans, institutions A–L, transcribed into workbooks laid out as
published. Sources, layouts and every judgement behind the expected values: CORPUS_A.md beside this file.

The stored copies of these pages are the start of each page only, so a plan is transcribed as far as its stored
text goes (the last, cut-off action is left out); CORPUS_A.md says where each one stops. Expected values were
decided from the published text and the Technician Commitment's meaning, before any loader was run on them.
"""

from __future__ import annotations

from datetime import date

from tests.data.plans.build import SheetWriter as _Sheet
from tests.data.plans.spec import ExpectedAction, PlanSpec


def _bullets(*items: str) -> str:
    return "\n".join(f"• {item}" for item in items)


# --- Cardiff University, 2020-23 ----------------------------------------------------------------------------

CARDIFF_URL = "https://www.cardiff.ac.uk/documents/2482867-technician-commitment-action-plan-2020-23"


def build_cardiff() -> bytes:
    s = _Sheet()
    s.line("Cardiff University", bold=True)
    s.line("Technician Commitment action plan 2020-23", bold=True)
    s.line(
        "We continue to support the Technician Commitment which aims to ensure visibility, recognition, career "
        "development and sustainability for technicians. Having published the last action plan in 2018, we have "
        "renewed our commitment to undertake a programme of work between 2020 and 2023 in support of the "
        "Commitment which will include:"
    )
    s.line(
        _bullets(
            "the development and implementation of a career path for all technical staff",
            "promotion internally and externally of technical staff achievements and the understanding of the "
            "breadth of technical roles",
            "promotion of professional registration across all disciplines",
            "greater alignment with institutional work underway in the research, education and staff and student "
            "experience.",
        )
    )
    s.line()
    h = s.header(["Planned action/objective", "", "Theme", "Timescale", "Support actions", "Lead"])
    s.merge(f"A{h}:B{h}")  # the published heading spans the action and its objective
    s.row(
        [
            "Develop and agree an action plan for 2020 - 2023",
            "Articulate institutional commitment",
            "Visibility and sustainability",
            "End of November 2020",
            "Consult Technical Staff on Action Plan\n"
            "Communication plan - post agreed Action Plan on our website and and intranet (For Technicians pages)\n"
            "Communicate institution wide (Blas, Technet)",
            "Technician Commitment Working Group",
        ]
    )
    s.row(
        [
            "Provide return based on activity 2018/2020",
            None,
            "Evaluating impact",
            "11 December 2020",
            None,
            "Institutional Lead (CMH)",
        ]
    )
    s.row(
        [
            "Technical roles and technical staff identified",
            None,
            None,
            "End of January 2021",
            "Reporting facility established\nContact structures/mailing lists established",
            "OSD Manager/HR BP Operations",
        ]
    )
    first = s.row(
        [
            "Proposal for Technical staff Career Pathway complete and agreed",
            None,
            "Visibility, development, sustainability",
            "End of January 2021",
            None,
            "HRBP Policy/Career Pathway Sub-Group",
        ]
    )
    last = s.row(
        [
            None,
            None,
            None,
            "End of December 2022",
            _bullets(
                "Established grade structure (1 – Senior Staff)",
                "Job descriptions reviewed and revised",
                "Development structures (skills & experience by career stage) agreed and established",
                "Communication plan",
                "Development provision (training, secondment and mentoring schemes planned and accessible)",
            ),
            None,
        ]
    )
    for col in (1, 2, 3):  # the action, its objective and its theme span both of its timescales
        s.merge_down(col, first, last)
    return s.save([40, 28, 26, 20, 60, 30])


CARDIFF = PlanSpec(
    slug="cardiff_2020_23",
    institution="Cardiff University",
    source=CARDIFF_URL,
    tests="theme in words ('Visibility and sustainability', 'Evaluating impact'), timescales as dated words, "
    "owners column, a heading merged over two columns, an action merged down over a second timescale row "
    "whose support actions are a bullet list",
    build=build_cardiff,
    start=date(2020, 8, 1),
    months=36,
    actions=(
        ExpectedAction(
            "Develop and agree an action plan for 2020 - 2023",
            "VS",
            date(2020, 11, 30),
            owners=("Technician Commitment Working Group",),
        ),
        ExpectedAction(
            "Provide return based on activity 2018/2020", "", date(2020, 12, 11), owners=("Institutional Lead (CMH)",)
        ),
        ExpectedAction(
            "Technical roles and technical staff identified",
            "",
            date(2021, 1, 31),
            owners=("OSD Manager/HR BP Operations",),
        ),
        ExpectedAction(
            "Proposal for Technical staff Career Pathway complete and agreed",
            "VCS",
            date(2022, 12, 31),
            owners=("HRBP Policy/Career Pathway Sub-Group",),
        ),
    ),
)


# --- Cardiff Metropolitan University, 24-month plan ----------------------------------------------------------

CARDIFFMET_URL = "https://cardiffmet.ac.uk/about/equality-and-diversity/technician-commitment"


def build_cardiffmet() -> bytes:
    s = _Sheet()
    s.line("Cardiff Metropolitan University – Technician Commitment", bold=True)
    s.line("Key: V= Visibility; R = Recognition; CD = Career Development; S = Sustainability")
    s.line(
        "This action plan outlines our priorities for the next 24 months. The technician commitment scheme working "
        "group and task groups established will identify lead staff and further definitions of measures of "
        "success as work progresses."
    )
    s.line()
    s.header(["Activity to be explored"])
    for text in (
        "Internal marketing presence including banners, web site, videos. Improve external communications with "
        "the wider University.",
        "Setup Technician Commitment network in Wales",
        "Technician shadowing exchanges with signatory universities in Wales",
        "Skeleton job description",
        "Continue to develop Conference first instance join network, second create our own.",
        "Propose that University Executive review the University policy regarding reimbursement of professional "
        "membership for all professions where membership is identified as being necessary for that role, "
        "specifically to include technical staff’",
        "Consolidate Membership and setup regular lines of communication and meeting points with VCEG, people "
        "services, EDI.",
        "Improve engagement with sustainability initiatives – Identify whether there are any accreditations or "
        "initiatives we can join.",
    ):
        s.row([text])
    return s.save([110])


CARDIFFMET = PlanSpec(
    slug="cardiffmet_24m",
    institution="Cardiff Metropolitan University",
    source=CARDIFFMET_URL,
    tests="header 'Activity to be explored' as the only column, a pillar key line (V/R/CD/S) in the title block "
    "with no pillar columns, 'next 24 months' with no start date (start given on the command line)",
    build=build_cardiffmet,
    start=date(2023, 1, 1),
    months=24,
    cli_args=("--plan-start", "2023-01"),
    actions=(
        ExpectedAction("Internal marketing presence including banners, web site, videos.", ""),
        ExpectedAction("Setup Technician Commitment network in Wales", ""),
        ExpectedAction("Technician shadowing exchanges with signatory universities in Wales", ""),
        ExpectedAction("Skeleton job description", ""),
        ExpectedAction("Continue to develop Conference first instance join network", ""),
        ExpectedAction("Propose that University Executive review the University policy regarding reimbursement", ""),
        ExpectedAction("Consolidate Membership and setup regular lines of communication", ""),
        ExpectedAction("Improve engagement with sustainability initiatives", ""),
    ),
)


# --- Canterbury Christ Church University, 24-month plan ------------------------------------------------------

CCCU_URL = (
    "https://www.canterbury.ac.uk/science-engineering-and-social-sciences/psychology-and-life-sciences/"
    "life-sciences/technician.aspx"
)


def build_cccu() -> bytes:
    s = _Sheet()
    s.line("Technicians at CCCU", bold=True)
    s.line(
        "We are a developing community of Technical staff dedicated to enabling high quality teaching and research "
        "across many disciplines. We are the founding members of the Kent Technician Network and we have joined "
        "the Technician Commitment. We will be implementing the below action plan over the next 24 months."
    )
    s.line()
    s.header(["", "", "How impact will be evidenced (projected dates)"])  # the first two headings are unlabelled
    s.row(
        [
            "Formation of technician development steering group",
            "Technician development steering group will ensure that development plans for Technicians across the "
            "university are developed with all stakeholders input and integrated within the wider organisation "
            "development plan.",
            "Terms of reference will be available (August 2022). Minutes of meetings will be available (From "
            "September 2022).",
        ]
    )
    s.row(
        [
            "Continued development of externally facing Technician webpage (including definition)",
            "Website due to launch before next academic year. The action is to continue the development of this "
            "webpage.",
            "Webpage created (September 2022)",
        ]
    )
    s.row(
        [
            "Development of social media, informal communication presence.",
            "This objective has been carried forward. There has been some uptake of social media etc. In this "
            "action plan we will form a working group to help keep social media presence going and maintain "
            "content.",
            "Evidence will be available of external platforms (Facebook, Twitter etc) (From Oct 2022).",
        ]
    )
    s.line()  # the published table has a gap between these blocks
    s.row(
        [
            "Communicate the opportunity to become professionally registered to technical staff (Science Council, "
            "Engineering Council, BCS). Work towards Science Council Employer Champion award",
            "This will also be part of the remit for the working group and will form the foundation of this work. "
            "They will work together to develop guidance and support for professional registration for CCCU staff. "
            "They will plan workshops every 3 months to help staff to focus on professional registration and "
            "progress applications.",
            "Number of staff registered. Projection of 3 by Aug 2022, 6 by Aug 2023.",
        ]
    )
    return s.save([50, 70, 50])


CCCU = PlanSpec(
    slug="cccu_24m",
    institution="Canterbury Christ Church University",
    source=CCCU_URL,
    tests="unlabelled action and rationale columns, dates only inside the evidence prose ('(August 2022)', "
    "'(From Oct 2022)', 'by Aug 2023'), a blank row between blocks, 'next 24 months' with no start date",
    build=build_cccu,
    start=date(2022, 6, 1),
    months=24,
    cli_args=("--plan-start", "2022-06"),
    actions=(
        ExpectedAction("Formation of technician development steering group", "", date(2022, 8, 31)),
        ExpectedAction("Continued development of externally facing Technician webpage", "", date(2022, 9, 30)),
        ExpectedAction("Development of social media, informal communication presence.", ""),
        ExpectedAction(
            "Communicate the opportunity to become professionally registered to technical staff", "", date(2023, 8, 31)
        ),
    ),
)


# --- University of Derby --------------------------------------------------------------------------------------

DERBY_URL = "https://www.derby.ac.uk/services/technical-services/our-technician-commitment/"


def build_derby() -> bytes:
    s = _Sheet()
    s.line("University of Derby", bold=True)
    s.line("Technician Commitment – Our action plan", bold=True)
    s.line(
        "We seek to maintain and ensure a commitment to four key areas we've identified as being integral to "
        "supporting our technicians. These include making sure technical staff are visible, recognised, have "
        "opportunities for career development, and are able to work in a sustainable fashion."
    )
    s.line()
    s.header(["We commit to:"])
    s.section("Visibility")
    for text in (
        "Inclusion of Technical representation on the University’s deliberative committees",
        "Showcasing the contribution Technicians make to the University through internal and external "
        "communication channels including Technician staff profiles on the University website",
        "Featuring Technicians in University marketing materials and highlighting the applied and practical "
        "dimensions of taught provision, research activity and industrial engagement",
        "Extending the Science Technician Work Experience Week to a University-wide Technician Work Experience "
        "Week for Year 10 and Year 12 pupils across Derby and Derbyshire",
        "Reinstating the annual Technicians’ Conference from 2021",
        "Further developing the collaboration between academic and technical staff in curriculum developments and "
        "research planning to strengthen student experience and research quality",
    ):
        s.row([text])
    return s.save([110])


DERBY = PlanSpec(
    slug="derby",
    institution="University of Derby",
    source=DERBY_URL,
    tests="'We commit to:' lists under a pillar heading kept as a section row then one action per row, one "
    "column only, no timescales, no window at all (start on the command line, length the Commitment's default)",
    build=build_derby,
    start=date(2021, 1, 1),
    months=24,
    cli_args=("--plan-start", "2021-01"),
    actions=(
        ExpectedAction("Inclusion of Technical representation on the University’s deliberative committees", "V"),
        ExpectedAction("Showcasing the contribution Technicians make to the University", "V"),
        ExpectedAction("Featuring Technicians in University marketing materials", "V"),
        ExpectedAction("Extending the Science Technician Work Experience Week", "V"),
        ExpectedAction("Reinstating the annual Technicians’ Conference from 2021", "V"),
        ExpectedAction("Further developing the collaboration between academic and technical staff", "V"),
    ),
)


# --- The Francis Crick Institute, 2018-2020 -------------------------------------------------------------------

CRICK_URL = "https://www.crick.ac.uk/careers-and-study/scientific-staff/technician-commitment-action-plan-2018-2020"


def build_crick() -> bytes:
    s = _Sheet()
    s.line("The Francis Crick Institute", bold=True)
    s.line("Technician Commitment action plan 2018-2020", bold=True)
    s.line("We are committed to the following work in the four key areas of the commitment.")
    s.line()
    s.header(["Action", "Detail"])
    s.section(
        "Visibility – Ensure that all technicians within the organisation are identifiable and that the "
        "contribution of technicians is visible within and beyond the institution."
    )
    s.row(
        [
            "Exhibition – Making it Happen (March 2019-February 2020)",
            "From early 2019, the Crick public exhibition space will be occupied for a year by an exhibition called "
            "‘Making it Happen’, a title based on the Gatsby motto ‘Technician’s make it happen’. The exhibition "
            "will be open to the public four days per week.\n"
            "Created in collaboration with technicians from all areas of the Crick, including engineering, core "
            "facilities, STPs and research groups, this exhibition is designed to give visibility to those working "
            "behind the scenes of Crick research. … An exit survey will be used to monitor initial impact.",
        ]
    )
    s.row(
        [
            "Athena Swan including technician-related data and actions",
            "An application for an Athena Swan institute award will be submitted in April 2019. The analysis of "
            "staff data and results from staff surveys, will identify gender related issues …",
        ]
    )
    return s.save([50, 100])


CRICK = PlanSpec(
    slug="crick_2018_2020",
    institution="The Francis Crick Institute",
    source=CRICK_URL,
    tests="a pillar heading with its definition as a section row, headed paragraphs as actions, timescales only "
    "in the action title ('(March 2019-February 2020)') or the detail prose ('submitted in April 2019')",
    build=build_crick,
    start=date(2018, 1, 1),
    months=36,
    actions=(
        ExpectedAction("Exhibition – Making it Happen", "V", date(2020, 2, 29)),
        ExpectedAction("Athena Swan including technician-related data and actions", "V", date(2019, 4, 30)),
    ),
)


# --- John Innes Centre, 2021-2023 -------------------------------------------------------------------------------

JIC_2021_URL = (
    "https://www.jic.ac.uk/training-careers/equality-diversity-inclusion/technician-commitment/action-plan-2021-2023/"
)


def build_jic_2021() -> bytes:
    s = _Sheet()
    s.line("John Innes Centre", bold=True)
    s.line("Action Plan 2021-2023", bold=True)
    s.line("This action plan will run for three years from 1 January 2021 until 31 December 2023")
    s.line(
        "Timescales have been added to objectives and where these is achieved in Year 1 further objectives will be set."
    )
    s.line()
    s.header(["Action", "Timescale"])
    s.section("1 – Promote professional identity amongst our research and support staff")
    s.row(
        [
            "Professional registration awareness and uptake – Appoint registration champion (Y1), mentor at least "
            "three staff through the process (Y2) and communicate benefits of registration (Y1-3)",
            "Y1, Y2, Y1-3",
        ]
    )
    s.row(
        [
            "Empowering staff to take opportunities available – Regularly feature initiatives in the newsletter, at "
            "least one blog and review training courses available with the new training manager (Y1-3)",
            "Y1-3",
        ]
    )
    s.row(
        [
            "Coaching and mentoring uptake – Biennial review of the pool (Y2), advertise in the newsletter "
            "(Yr1-3), host at least one seminar or workshop around mentoring (Y1-3)",
            "Y2, Yr1-3, Y1-3",
        ]
    )
    s.row(
        [
            "CPD awareness – Ensure completion of appraisals remains above 95% and liaise with training manager to "
            "ensure all technicians can access appropriate training. Report on uptake (Y1-3)",
            "Y1-3",
        ]
    )
    s.section(
        "2 – Continue to increase the awareness of the technical roles at the institute and how these play a "
        "crucial role in the success of the science"
    )
    s.row(
        [
            "Ensure research and support staff are included in external communication strategy – Continue to "
            "ensure news and press releases focus on a wide range of staff and technician contribution is visible "
            "(Y1-3)",
            "Y1-3",
        ]
    )
    return s.save([110, 18])


JIC_2021 = PlanSpec(
    slug="jic_2021_2023",
    institution="John Innes Centre",
    source=JIC_2021_URL,
    tests="numbered objective headings ('2 – Continue to increase…') as section rows that are not pillars, plan "
    "years as timescales ('Y1-3', 'Yr1-3', lists 'Y2, Yr1-3, Y1-3'), window stated in a sentence",
    build=build_jic_2021,
    start=date(2021, 1, 1),
    months=36,
    actions=(
        ExpectedAction("Professional registration awareness and uptake", "", date(2023, 12, 31)),
        ExpectedAction("Empowering staff to take opportunities available", "", date(2023, 12, 31)),
        ExpectedAction("Coaching and mentoring uptake", "", date(2023, 12, 31)),
        ExpectedAction("CPD awareness", "", date(2023, 12, 31)),
        ExpectedAction(
            "Ensure research and support staff are included in external communication strategy", "", date(2023, 12, 31)
        ),
    ),
)


# --- John Innes Centre, 2018-2020 -------------------------------------------------------------------------------

JIC_2018_URL = (
    "https://www.jic.ac.uk/training-careers/equality-diversity-inclusion/technician-commitment/action-plan-2018-2020/"
)


def build_jic_2018() -> bytes:
    s = _Sheet()
    s.line("John Innes Centre", bold=True)
    s.line("Action plan 2018-2020", bold=True)
    s.line(
        "The points below are all areas which could be better communicated or improved and these will be addressed "
        "over the next Technician Commitment reporting period (31 June 2018 – 31 June 2020)."
    )
    s.line()
    s.header(["Action", "Detail"])
    s.row(
        [
            "1 – Increase awareness and uptake of the mentoring service by Research Support Staff (RSS)",
            "Currently over half the mentors at the John Innes Centre are Research Support Staff (RSS) but it is "
            "unclear how much the mentoring scheme is used.\n"
            "We will implement a 12-month review of the scheme to gain information on how the mentoring scheme is "
            "being used. We will also increase awareness of it through different forums",
        ]
    )
    s.row(
        [
            "2 – Continue to raise awareness of the Exceptional Performance Awards and Special Bonus",
            "The number of applications to both schemes will be monitored and the numbers of applications and "
            "successes from RSS will be reported at the next Technician Commitment assessment.",
        ]
    )
    s.row(
        [
            "3 – Update career pathways document for RSS",
            "When completed this updated document will be included on the website and published on the RSSV "
            "intranet page.",
        ]
    )
    s.row(
        [
            "4 – Continue to champion Professional Registration",
            "Staff wishing to undertake Professional Registration will be supported through mentoring and payment "
            "of the initial registration costs.\n"
            "We will continue to raise awareness of Science Council Professional Registration opportunities.",
        ]
    )
    return s.save([80, 100])


JIC_2018 = PlanSpec(
    slug="jic_2018_2020",
    institution="John Innes Centre",
    source=JIC_2018_URL,
    tests="action numbers inside the action text ('1 – Increase…'), no timescales, a window given only as a "
    "reporting period in prose with an impossible day ('31 June 2018 – 31 June 2020')",
    build=build_jic_2018,
    start=date(2018, 7, 1),
    months=24,
    actions=(
        ExpectedAction("Increase awareness and uptake of the mentoring service", "", ref="1"),
        ExpectedAction("Continue to raise awareness of the Exceptional Performance Awards", "", ref="2"),
        ExpectedAction("Update career pathways document for RSS", "", ref="3"),
        ExpectedAction("Continue to champion Professional Registration", "", ref="4"),
    ),
)


# --- Lancaster University, 3 year plan ---------------------------------------------------------------------------

LANCASTER_URL = "https://www.lancaster.ac.uk/lancaster-technicians/technicians-commitment"


def build_lancaster() -> bytes:
    s = _Sheet()
    s.line("Lancaster University – Technician Commitment", bold=True)
    s.line("3 year action plan", bold=True)
    s.line()
    s.header(["Year", "Goal"])
    first = s.row(
        [
            "Year 1",
            "Present a Technician’s Commitment paper to the Faculty Research Committees to raise these two issues "
            "with faculty research committee chairs and make committees aware of ‘Technical Commitment’.",
        ]
    )
    for text in (
        "Map university wide committee structure",
        "New webpage to be developed and case studies of technician’s careers present.",
        "All LU technicians to be notified by email of relevant conferences and their attendance recorded.",
        "A workshop on apprentice schemes to be programmed into a forthcoming Technical Forum.",
        "FST to pilot technical representation regarding committees.",
    ):
        s.row([None, text])
    last = s.row([None, "Bimonthly group meetings established"])
    s.merge_down(1, first, last)
    s.row(
        [
            "Year 2",
            "Ensure that University Senior management is aware of the contributions that the technical workforce makes",
        ]
    )
    return s.save([10, 110])


LANCASTER = PlanSpec(
    slug="lancaster_3yr",
    institution="Lancaster University",
    source=LANCASTER_URL,
    tests="the plan year as the timescale ('Year 1', 'Year 2') merged down over its goals, header 'Goal', "
    "'3 year action plan' with no start date",
    build=build_lancaster,
    start=date(2019, 5, 1),
    months=36,
    cli_args=("--plan-start", "2019-05"),
    actions=(
        ExpectedAction("Present a Technician’s Commitment paper", "", date(2020, 4, 30)),
        ExpectedAction("Map university wide committee structure", "", date(2020, 4, 30)),
        ExpectedAction("New webpage to be developed", "", date(2020, 4, 30)),
        ExpectedAction("All LU technicians to be notified by email of relevant conferences", "", date(2020, 4, 30)),
        ExpectedAction("A workshop on apprentice schemes", "", date(2020, 4, 30)),
        ExpectedAction("FST to pilot technical representation regarding committees.", "", date(2020, 4, 30)),
        ExpectedAction("Bimonthly group meetings established", "", date(2020, 4, 30)),
        ExpectedAction("Ensure that University Senior management is aware", "", date(2021, 4, 30)),
    ),
)


PLANS: list[PlanSpec] = [CARDIFF, CARDIFFMET, CCCU, DERBY, CRICK, JIC_2021, JIC_2018, LANCASTER]
