"""Generate the demo data set: UCL's published 2018 action plan plus synthetic HR extracts and lead updates.

Run from the project root:

    .venv/bin/python data/demo/make_demo.py

Writes:
    plan/ucl_2018_action_plan.xlsx          the seed's 24-month action plan table, laid out as published
    data/demo/hr_technicians_2018-07-31.xlsx  one row per person, title block, header on row 3, F/M
    data/demo/hr_technicians_2019-07-31.xlsx  one row per person, "As at" date column, Female/Male/Other/Not known
    data/demo/hr_technicians_2020-07-31.xlsx  aggregated rows: faculty x grade x sex, headcount and FTE
    data/demo/hr_technicians_2021-07-31.xlsx  one row per person, date as UK text "31/07/2021", columns reordered
    data/demo/updates_YYYY-MM.xlsx           eight reporting rounds on the update template (Progress/Evidence/Measures)
    data/demo/working_group.xlsx             the seed's working-group table as published: lead-in sentence, Name | Title
                                             | Faculty, ten members (faculties as written: MAPS, "Brian Sciences", ...)

Only openpyxl and the standard library; no network. A fixed random seed and a fixed document timestamp
(plus normalised zip entry times) make every file byte-identical from run to run.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

SEED = 20181031
FIXED_TIME = datetime(2018, 10, 31, 9, 0, 0)
ZIP_TIME = (2018, 10, 31, 9, 0, 0)

DEMO_DIR = Path(__file__).resolve().parent
ROOT = DEMO_DIR.parent.parent
PLAN_DIR = ROOT / "plan"

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTRE_TOP = Alignment(horizontal="center", vertical="top")
UK_DATE = "DD/MM/YYYY"


# --------------------------------------------------------------------------------------------------
# Saving: deterministic bytes
# --------------------------------------------------------------------------------------------------

def save(wb: Workbook, path: Path) -> None:
    """Save `wb` to `path` with fixed document properties and zip timestamps, so reruns give identical bytes."""
    wb.properties.creator = "Technician Commitment Tracker demo generator"
    wb.properties.lastModifiedBy = None
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME  # openpyxl overwrites this on save; fixed again below
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def style_header(ws, row: int, ncols: int) -> None:
    for c in range(1, ncols + 1):
        cell = ws.cell(row=row, column=c)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def set_widths(ws, widths: dict[str, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


# --------------------------------------------------------------------------------------------------
# 1. The action plan, as published (seed lines 99-109)
# --------------------------------------------------------------------------------------------------

def bullets(*items: str) -> str:
    return "\n".join(f"• {i}" for i in items)


PLAN_HEADER = [None, "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"]

PLAN_ROWS = [
    # theme, purpose, activity, impact, who, pillars
    (
        "Understand",
        "Understand the current skills and capabilities of Technicians across UCL.",
        bullets(
            "Agree scope and definition of Technician Community.",
            "Undertake a survey to map skills and capabilities",
        ),
        "Alignment of technical capability with requirements of research and education strategies. "
        "(Evidence: Technician Commitment recognised in Research Strategy; Progress of action plan monitored "
        "by Research & Innovation Operations Oversight Board)",
        "VP Research, Deans, Technician Commitment Working Group",
        "VS",
    ),
    (
        "Develop",
        "Fostering greater clarity, cohesion and continuous improvement, the technical communities of practice "
        "will bring together colleagues working in similar practice areas from across UCL.",
        bullets(
            "Set up communities of practice related to technical staff",
            "Reviewing our learning and development portfolio",
        ),
        "For each COP:\n"
        + bullets(
            "Greater understanding of skills and training needs",
            "Increase in provision and sign posting of training courses and workshops and in-house CPD",
            "Greater knowledge and skills sharing",
        )
        + "\n(Evidence: Report from COP Manager)",
        "Head of Community of Practice, COP leads, Workstream Leads",
        "VCS",
    ),
    (
        "Develop",
        "Technician specific professional career paths/frameworks which clearly document progression opportunities",
        "Working with the National Technician Development Centre, produce structured career pathways for the "
        "major job families in the Technical Communities of Practice.",
        "For each COP: Greater clarity of career progression. (Evidence from Career Pathway Advisory Groups)",
        "COP Sponsor/Head of Career Pathways/COP Leads",
        "RCS",
    ),
    None,  # the header row repeated, as after the page break in the published document
    (
        "Develop",
        "Succession planning for key skills",
        bullets(
            "Workforce planning",
            "Opening up earlier career entry points via apprentices",
            "Apprenticeship levy used to develop existing staff",
            "Job shadowing and rotational training programmes",
        ),
        "Develop new capabilities required for research and education\n"
        "Increase supply of staff in skill shortage areas "
        "(Evidence: from COP Sponsors; Research & Innovation Operations Oversight Board)",
        "OD/Heads of HR/Technician Commitment Working Group",
        "CS",
    ),
    (
        "Value",
        "Facilitate formal professional recognition and regular continuous professional development",
        bullets(
            "UCL to gain Science Council Employer Champion award in recognition of the support given to technical "
            "staff to gain professional registration.",
            "A consistent policy that where technicians have contributed to research outputs and grants, they are "
            "named as authors",
        ),
        "University level support for technicians gaining professional recognition. "
        "(Evidence: UCL policy to support professional recognition)",
        "OD/ COP Sponsors",
        "VRC",
    ),
    (
        "Value",
        "Celebrate and show case achievements by Technical staff at UCL.",
        "Annual Technician Conference and awards ceremony",
        "Greater engagement and job satisfaction of technician community (Evidence: staff survey/ COP survey; "
        "Internal award schemes recognise the contribution of technical staff; Nominations to external award "
        "schemes that recognise the contribution of technical staff)",
        "OD/ COP Sponsors/Head of COP",
        "VR",
    ),
]


def make_plan(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    title = [
        "Technician Commitment",
        "University College London: 24-month action plan, November 2018 – October 2020",
        "Organisation: University College London",
        "Date: 31 October 2018",
        "Technician Commitment 4 Key areas: V – Visibility; R – Recognition; C – Career Development, "
        "S - Sustainability",
    ]
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text)
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"].font = Font(bold=True, size=12)
    ws["A5"].font = Font(italic=True)
    row = len(title) + 2  # one blank row after the title block

    def header(r: int) -> None:
        for c, v in enumerate(PLAN_HEADER, start=1):
            ws.cell(row=r, column=c, value=v)
        style_header(ws, r, len(PLAN_HEADER))
        for c in range(6, 10):
            ws.cell(row=r, column=c).alignment = Alignment(horizontal="center", vertical="center")

    header(row)
    first_header = row
    row += 1
    for item in PLAN_ROWS:
        if item is None:
            header(row)
            row += 1
            continue
        theme, purpose, activity, impact, who, pillars = item
        values = [theme, purpose, activity, impact, who] + ["X" if p in pillars else None for p in "VRCS"]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=row, column=c, value=v)
            cell.border = BOX
            cell.alignment = CENTRE_TOP if c >= 6 else WRAP_TOP
        ws.cell(row=row, column=1).font = BOLD
        row += 1

    set_widths(ws, {"A": 14, "B": 34, "C": 48, "D": 52, "E": 26, "F": 5, "G": 5, "H": 5, "I": 5})
    ws.freeze_panes = ws.cell(row=first_header + 1, column=1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    save(wb, path)


# --------------------------------------------------------------------------------------------------
# 2. HR workforce extracts (synthetic)
# --------------------------------------------------------------------------------------------------

# 2018 FTE per faculty: totals 1045 as in the seed's Table 1 (its per-faculty figures were not published
# in the text we hold, so this split is invented), plus the probability that a technician is male.
FACULTIES: dict[str, tuple[int, float]] = {
    "Arts & Humanities": (22, 0.50),
    "Bartlett (Built Environment)": (45, 0.56),
    "Brain Sciences": (185, 0.40),
    "Engineering Sciences": (150, 0.82),
    "IOE (Education)": (25, 0.46),
    "Laws": (6, 0.50),
    "Life Sciences": (210, 0.38),
    "Mathematical & Physical Sciences": (145, 0.81),
    "Medical Sciences": (175, 0.35),
    "Population Health Sciences": (62, 0.33),
    "Social & Historical Sciences": (20, 0.50),
}

DEPARTMENTS: dict[str, list[tuple[str, int]]] = {
    "Arts & Humanities": [
        ("Slade School of Fine Art", 5),
        ("Information Studies", 2),
        ("School of European Languages, Culture & Society", 2),
    ],
    "Bartlett (Built Environment)": [
        ("Bartlett School of Architecture", 5),
        ("Bartlett School of Environment, Energy & Resources", 2),
        ("Centre for Advanced Spatial Analysis", 1),
    ],
    "Brain Sciences": [
        ("Institute of Neurology", 5),
        ("Institute of Ophthalmology", 3),
        ("Ear Institute", 1),
        ("Psychology & Language Sciences", 2),
    ],
    "Engineering Sciences": [
        ("Mechanical Engineering", 3),
        ("Chemical Engineering", 3),
        ("Electronic & Electrical Engineering", 2),
        ("Civil, Environmental & Geomatic Engineering", 2),
    ],
    "IOE (Education)": [
        ("Culture, Communication & Media", 2),
        ("Psychology & Human Development", 1),
        ("Learning & Leadership", 1),
    ],
    "Laws": [("Faculty of Laws", 3), ("Centre for Ethics & Law", 1)],
    "Life Sciences": [
        ("Cell & Developmental Biology", 3),
        ("Genetics, Evolution & Environment", 2),
        ("Structural & Molecular Biology", 2),
        ("School of Pharmacy", 3),
    ],
    "Mathematical & Physical Sciences": [
        ("Chemistry", 4),
        ("Physics & Astronomy", 4),
        ("Earth Sciences", 1),
        ("Mullard Space Science Laboratory", 2),
    ],
    "Medical Sciences": [
        ("Division of Medicine", 3),
        ("Division of Infection & Immunity", 3),
        ("Cancer Institute", 3),
        ("Eastman Dental Institute", 1),
    ],
    "Population Health Sciences": [
        ("Great Ormond Street Institute of Child Health", 4),
        ("Institute for Women's Health", 1),
        ("Institute of Epidemiology & Health Care", 1),
    ],
    "Social & Historical Sciences": [
        ("Institute of Archaeology", 3),
        ("Geography", 2),
        ("Anthropology", 1),
    ],
}

JOB_FAMILIES: dict[str, list[tuple[str, int]]] = {
    "Arts & Humanities": [("Workshop", 4), ("Imaging", 3), ("IT", 3)],
    "Bartlett (Built Environment)": [("Workshop", 5), ("IT", 2), ("Laboratory", 2), ("Imaging", 1)],
    "Brain Sciences": [("Laboratory", 10), ("Imaging", 4), ("Animal", 3), ("IT", 2), ("Workshop", 1)],
    "Engineering Sciences": [("Engineering", 7), ("Laboratory", 5), ("Workshop", 4), ("IT", 2), ("Teaching lab", 2)],
    "IOE (Education)": [("IT", 5), ("Workshop", 3), ("Teaching lab", 2)],
    "Laws": [("IT", 1)],
    "Life Sciences": [("Laboratory", 11), ("Teaching lab", 3), ("Animal", 2), ("Imaging", 2), ("IT", 1), ("Workshop", 1)],
    "Mathematical & Physical Sciences": [
        ("Laboratory", 7), ("Workshop", 4), ("Engineering", 3), ("IT", 3), ("Teaching lab", 2), ("Imaging", 1),
    ],
    "Medical Sciences": [("Laboratory", 11), ("Animal", 3), ("Imaging", 3), ("IT", 2), ("Teaching lab", 1)],
    "Population Health Sciences": [("Laboratory", 6), ("IT", 3), ("Imaging", 1)],
    "Social & Historical Sciences": [("Laboratory", 4), ("Imaging", 3), ("IT", 3)],
}

GRADE_WEIGHTS = [(5, 22), (6, 32), (7, 26), (8, 14), (9, 6)]
JOINER_GRADE_WEIGHTS = [(5, 40), (6, 32), (7, 18), (8, 8), (9, 2)]

# yearly FTE growth per faculty is drawn around these means
GROWTH = {2019: (0.022, 0.012), 2020: (0.018, 0.012), 2021: (0.006, 0.015)}
LEAVER_RATE = 0.085
PROMOTION_RATE = 0.04


@dataclass(frozen=True)
class Person:
    staff_no: int
    faculty: str
    department: str
    job_family: str
    grade: int
    sex: str  # F, M, O (other), U (not known)
    fte10: int  # FTE in tenths


def pick(rng: random.Random, weighted: list[tuple[object, int]]):
    items, weights = zip(*weighted)
    return rng.choices(items, weights=weights, k=1)[0]


def draw_sex(rng: random.Random, p_male: float, grade: int) -> str:
    r = rng.random()
    if r < 0.004:
        return "O"
    if r < 0.012:
        return "U"
    # a gradient seen in most institutions: the senior grades are more male than the faculty as a whole
    p = min(0.95, max(0.05, p_male + {5: -0.05, 6: -0.02, 7: 0.0, 8: 0.06, 9: 0.12}[grade]))
    return "M" if rng.random() < p else "F"


def draw_fte10(rng: random.Random, sex: str) -> int:
    full = 0.80 if sex == "F" else 0.90
    if rng.random() < full:
        return 10
    return pick(rng, [(8, 4), (6, 2), (5, 3)])


class StaffNumbers:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[int] = set()
        self.next_new = 18_700_000

    def existing(self) -> int:
        while True:
            n = self.rng.randint(10_000_000, 18_600_000)
            if n not in self.used:
                self.used.add(n)
                return n

    def new(self) -> int:
        self.next_new += self.rng.randint(3, 400)
        self.used.add(self.next_new)
        return self.next_new


def new_person(rng: random.Random, numbers: StaffNumbers, faculty: str, joiner: bool, p_male: float) -> Person:
    grade = pick(rng, JOINER_GRADE_WEIGHTS if joiner else GRADE_WEIGHTS)
    sex = draw_sex(rng, p_male, grade)
    return Person(
        staff_no=numbers.new() if joiner else numbers.existing(),
        faculty=faculty,
        department=pick(rng, DEPARTMENTS[faculty]),
        job_family=pick(rng, JOB_FAMILIES[faculty]),
        grade=grade,
        sex=sex,
        fte10=draw_fte10(rng, sex),
    )


def fill_to(rng, numbers, people: list[Person], faculty: str, target10: int, joiner: bool, p_male: float) -> None:
    """Add people to `faculty` until its FTE (in tenths) reaches `target10` exactly."""
    have = sum(p.fte10 for p in people)
    while have < target10:
        p = new_person(rng, numbers, faculty, joiner, p_male)
        remaining = target10 - have
        if p.fte10 > remaining:
            if remaining >= 2:
                p = replace(p, fte10=remaining)
            else:  # 0.1 FTE left: give it to someone part-time rather than invent a 0.1 FTE post
                for i, q in enumerate(people):
                    if q.fte10 < 10:
                        people[i] = replace(q, fte10=q.fte10 + remaining)
                        break
                else:
                    people[-1] = replace(people[-1], fte10=people[-1].fte10 - 4)
                    p = replace(p, fte10=remaining + 4)
                    people.append(p)
                have = target10
                break
        people.append(p)
        have += p.fte10


def build_workforce() -> dict[int, list[Person]]:
    rng = random.Random(SEED)
    numbers = StaffNumbers(rng)
    years: dict[int, list[Person]] = {}

    staff: list[Person] = []
    targets: dict[str, int] = {}
    for faculty, (fte, p_male) in FACULTIES.items():
        people: list[Person] = []
        fill_to(rng, numbers, people, faculty, fte * 10, joiner=False, p_male=p_male)
        staff.extend(people)
        targets[faculty] = fte * 10
    years[2018] = staff

    for year in (2019, 2020, 2021):
        mean, sd = GROWTH[year]
        nxt: list[Person] = []
        for faculty, (_, p_male) in FACULTIES.items():
            people = []
            for p in (q for q in staff if q.faculty == faculty):
                leave = LEAVER_RATE + (0.03 if p.grade == 5 else 0.0)
                if rng.random() < leave:
                    continue
                if p.grade < 9 and rng.random() < PROMOTION_RATE:
                    p = replace(p, grade=p.grade + 1)
                if rng.random() < 0.02:
                    p = replace(p, fte10=draw_fte10(rng, p.sex))
                people.append(p)
            targets[faculty] = max(10, round(targets[faculty] * (1 + rng.gauss(mean, sd))))
            # recruitment nudges the STEM imbalance a little, year on year
            joiner_p = p_male - 0.04 * (year - 2018) if p_male > 0.7 else p_male
            have = sum(p.fte10 for p in people)
            if have > targets[faculty]:
                targets[faculty] = have
            fill_to(rng, numbers, people, faculty, targets[faculty], joiner=True, p_male=joiner_p)
            nxt.extend(people)
        years[year] = nxt
        staff = nxt
    return years


SEX_WORDS = {"F": "Female", "M": "Male", "O": "Other", "U": "Not known"}


def make_hr_2018(people: list[Person], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Technical staff"
    ws["A1"] = "UCL technical staff as at 31 July 2018"
    ws["A1"].font = Font(bold=True, size=12)
    header = ["Staff Number", "Faculty", "Department", "Job Family", "Grade", "Gender", "FTE"]
    ws.append([])
    ws.append(header)
    style_header(ws, 3, len(header))
    unknown_blank = True
    for p in sorted(people, key=lambda q: (q.faculty, q.staff_no)):
        if p.sex in ("F", "M"):
            g = p.sex
        else:  # the 2018 HR system held F/M only; anything else came out blank or "Not known"
            g = None if unknown_blank else "Not known"
            unknown_blank = not unknown_blank
        ws.append([f"{p.staff_no:08d}", p.faculty, p.department, p.job_family, f"Grade {p.grade}", g, p.fte10 / 10])
    set_widths(ws, {"A": 14, "B": 32, "C": 44, "D": 14, "E": 10, "F": 10, "G": 7})
    ws.freeze_panes = "A4"
    save(wb, path)


def make_hr_2019(people: list[Person], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Extract"
    header = ["As at", "Staff Number", "Faculty", "Department", "Job Family", "Grade", "Sex", "FTE"]
    ws.append(header)
    style_header(ws, 1, len(header))
    as_at = date(2019, 7, 31)
    for p in sorted(people, key=lambda q: q.staff_no):
        ws.append([as_at, p.staff_no, p.faculty, p.department, p.job_family, f"Grade {p.grade}",
                   SEX_WORDS[p.sex], p.fte10 / 10])
        ws.cell(row=ws.max_row, column=1).number_format = UK_DATE
    set_widths(ws, {"A": 12, "B": 14, "C": 32, "D": 44, "E": 14, "F": 10, "G": 10, "H": 7})
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:H{ws.max_row}"
    save(wb, path)


def make_hr_2020(people: list[Person], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    header = ["As at", "Faculty", "Grade", "Sex", "Headcount", "FTE"]
    ws.append(header)
    style_header(ws, 1, len(header))
    as_at = date(2020, 7, 31)
    agg: dict[tuple[str, int, str], list[int]] = {}
    for p in people:
        a = agg.setdefault((p.faculty, p.grade, p.sex), [0, 0])
        a[0] += 1
        a[1] += p.fte10
    order = {"F": 0, "M": 1, "O": 2, "U": 3}
    for (faculty, grade, sex), (hc, fte10) in sorted(agg.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]])):
        ws.append([as_at, faculty, f"Grade {grade}", SEX_WORDS[sex], hc, fte10 / 10])
        ws.cell(row=ws.max_row, column=1).number_format = UK_DATE
        ws.cell(row=ws.max_row, column=6).number_format = "0.0"
    set_widths(ws, {"A": 12, "B": 32, "C": 10, "D": 10, "E": 11, "F": 8})
    ws.freeze_panes = "A2"
    save(wb, path)


def make_hr_2021(people: list[Person], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Technicians"
    header = ["Staff Number", "Snapshot Date", "Faculty", "Department", "Job Family", "Grade", "Gender", "FTE"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for p in sorted(people, key=lambda q: (q.faculty, q.department, q.staff_no)):
        gender = {"F": "F", "M": "M", "O": "Other", "U": "Not known"}[p.sex]
        ws.append([p.staff_no, "31/07/2021", p.faculty, p.department, p.job_family, f"Grade {p.grade}",
                   gender, p.fte10 / 10])
    set_widths(ws, {"A": 14, "B": 14, "C": 32, "D": 44, "E": 14, "F": 10, "G": 10, "H": 7})
    ws.freeze_panes = "A2"
    save(wb, path)


# --------------------------------------------------------------------------------------------------
# 3. Progress and evidence updates on the product's template (synthetic, following the seed's facts)
# --------------------------------------------------------------------------------------------------

LEADS = {
    "U1": "skills.lead@demo.ac.uk",
    "D1": "cop.lead@demo.ac.uk",
    "D2": "careers.lead@demo.ac.uk",
    "D3": "apprentices.lead@demo.ac.uk",
    "V1": "recognition.lead@demo.ac.uk",
    "V2": "events.lead@demo.ac.uk",
}

MEASURES = {
    # ref: (measure, unit, baseline, target)
    "U1": ("Skills survey response rate", "%", 0, 50),
    "D1": ("Communities of practice launched", "communities", 0, 6),
    "D3": ("Apprentices started", "people", 0, 20),
    "V1": ("Technicians professionally registered", "people", 41, 150),
    "V2": ("Award nominations", "nominations", 0, 30),
}

SP = "https://sharepoint.demo.ac.uk/sites/technician-commitment"

# round -> (progress rows, evidence rows, measure values)
# progress: (ref, day, status, percent, note)
# evidence: (ref, date, description, kind, link, pillars)
# measures: (ref, as of, value)
ROUNDS: dict[str, dict[str, list[tuple]]] = {
    "2019-01": {
        "progress": [
            ("U1", 14, "On track", 15, "Scope and definition of the technician community agreed by the Working "
             "Group (technical staff in faculties, Estates and Information Services). Skills survey being drafted."),
            ("D1", 15, "On track", 10, "Working Group recommended groupings for technical communities of practice; "
             "Head of Community of Practice confirmed."),
            ("D2", 16, "Not started", 0, "Waits on the COP groupings; first meeting with the National Technician "
             "Development Centre booked for February."),
            ("D3", 17, "On track", 20, "Seven apprentice technicians started September 2018 (Engineering, "
             "Laboratory and Animal technician programmes). Next intake planned for September 2019."),
            ("V1", 18, "On track", 10, "Collecting baseline of professionally registered technicians; Science "
             "Council Employer Champion criteria reviewed."),
            ("V2", 21, "Not started", 0, "Conference planning starts in the spring."),
        ],
        "evidence": [
            ("D1", date(2018, 10, 17), "HEaTED London and South East network event hosted at UCL: over 75 UCL "
             "technical managers attended to hear about the Technician Commitment and UCL's plans for technical "
             "communities of practice.", "event", f"{SP}/events/heated-2018", "V, C"),
            ("D3", date(2018, 9, 28), "Seven apprentice technicians started September 2018 under three new "
             "apprenticeship programmes (Engineering, Laboratory, Animal).", "metric", None, "C, S"),
        ],
        "measures": [
            ("D3", date(2018, 9, 30), 7),
            ("V1", date(2018, 12, 31), 41),
            ("D1", date(2019, 1, 15), 0),
        ],
    },
    "2019-04": {
        "progress": [
            ("U1", 8, "On track", 45, "Skills and capabilities survey open 1-30 April; 388 responses so far."),
            ("D1", 10, "On track", 30, "First two communities of practice launched: Laboratory Technicians; "
             "Engineering & Workshop."),
            ("D2", 11, "On track", 10, "Scoping with the National Technician Development Centre; Career Pathway "
             "Advisory Groups being formed."),
            ("D3", 12, "On track", 30, "Workforce planning template issued to faculties; five existing staff "
             "enrolled on levy-funded Level 3/4 programmes."),
            ("V1", 15, "At risk", 15, "Employer Champion application needs evidence of registration support in "
             "every faculty; only 4 of 11 faculties have named a registration champion so far."),
            ("V2", 16, "On track", 20, "First annual Technician Conference set for 4 July 2019; venue booked."),
        ],
        "evidence": [
            ("U1", date(2019, 3, 20), "Revised UCL Research Strategy names the Technician Commitment.", "policy",
             f"{SP}/documents/research-strategy-2019.pdf", "V, S"),
            ("D1", date(2019, 3, 27), "Launch events for the Laboratory Technicians and Engineering & Workshop "
             "communities of practice.", "event", None, "V, C"),
        ],
        "measures": [
            ("D1", date(2019, 4, 10), 2),
            ("V1", date(2019, 3, 31), 46),
            ("U1", date(2019, 4, 8), 37),
        ],
    },
    "2019-07": {
        "progress": [
            ("U1", 9, "On track", 75, "Survey closed with 612 responses (58%); analysis under way."),
            ("D1", 10, "On track", 50, "Four communities of practice launched (adds IT & Research Computing; "
             "Imaging & Microscopy)."),
            ("D2", 11, "On track", 20, "Career Pathway Advisory Groups formed for the Laboratory and Engineering "
             "job families."),
            ("D3", 12, "On track", 45, "Second intake recruited: six apprentices start September 2019."),
            ("V1", 15, "At risk", 25, "Registrations rising slowly (55); Employer Champion application deferred "
             "to January 2020 to build the evidence."),
            ("V2", 16, "On track", 50, "First annual Technician Conference and awards held 4 July 2019: 230 "
             "attendees, 9 internal awards presented."),
        ],
        "evidence": [
            ("V2", date(2019, 7, 4), "First UCL Technician Conference and awards ceremony: 230 attendees, 9 "
             "internal awards.", "event", f"{SP}/events/conference-2019", "V, R"),
            ("U1", date(2019, 6, 28), "Technician skills and capabilities survey closed: 612 responses (58% "
             "response rate).", "survey", f"{SP}/survey/skills-2019", "V"),
        ],
        "measures": [
            ("U1", date(2019, 6, 28), 58),
            ("D1", date(2019, 7, 10), 4),
            ("V1", date(2019, 6, 30), 55),
            ("V2", date(2019, 7, 4), 14),
        ],
    },
    "2019-10": {
        "progress": [
            ("U1", 7, "Complete", 100, "Skills map report presented to the Research & Innovation Operations "
             "Oversight Board, October 2019."),
            ("D1", 8, "On track", 65, "Five communities of practice running; learning and development portfolio "
             "review completed."),
            ("D2", 9, "On track", 35, "Draft pathway for the Laboratory job family out for consultation."),
            ("D3", 10, "On track", 55, "Thirteen apprentices started to date (7 in 2018, 6 in 2019)."),
            ("V1", 14, "At risk", 35, "Application drafted, but evidence of CPD support is still missing from "
             "three faculties; submission planned for January 2020."),
            ("V2", 15, "On track", 60, "Two nominations made to external award schemes for technical staff."),
        ],
        "evidence": [
            ("U1", date(2019, 10, 3), "Technician skills and capabilities mapping report to the Research & "
             "Innovation Operations Oversight Board.", "document", f"{SP}/documents/skills-map-2019.pdf", "V, S"),
        ],
        "measures": [
            ("D1", date(2019, 10, 8), 5),
            ("D3", date(2019, 9, 30), 13),
            ("V1", date(2019, 9, 30), 63),
            ("V2", date(2019, 10, 15), 16),
        ],
    },
    "2020-01": {
        "progress": [
            ("D1", 13, "On track", 80, "Six communities of practice launched; COP Manager's first annual report "
             "issued."),
            ("D2", 14, "On track", 50, "Laboratory pathway agreed; Engineering and IT pathways being drafted."),
            ("D3", 15, "On track", 60, "Job shadowing pilot running in Life Sciences and Engineering Sciences."),
            ("V1", 16, "On track", 55, "Science Council Employer Champion application submitted, January 2020."),
            ("V2", 17, "On track", 65, "Planning for the 2020 conference (June) under way."),
        ],
        "evidence": [
            ("D1", date(2020, 1, 10), "Community of Practice Manager's annual report 2019.", "document",
             f"{SP}/documents/cop-report-2019.pdf", "V, C"),
            ("V1", date(2020, 1, 16), "Science Council Employer Champion application submitted.", "document",
             None, "R"),
        ],
        "measures": [
            ("D1", date(2020, 1, 13), 6),
            ("V1", date(2019, 12, 31), 71),
        ],
    },
    "2020-04": {
        "progress": [
            ("D1", 20, "On track", 82, "Communities of practice meeting online during the COVID-19 campus "
             "closure."),
            ("D2", 21, "Delayed", 55, "Career Pathway Advisory Group consultations paused: COVID-19 campus "
             "closure from 23 March 2020. Restart expected in the autumn."),
            ("D3", 22, "At risk", 62, "Training providers have suspended off-the-job training under COVID-19 "
             "restrictions; the September 2020 intake may be smaller."),
            ("V1", 23, "On track", 70, "Science Council assessment completed remotely; outcome expected in the "
             "summer."),
            ("V2", 24, "Suspended", 65, "2020 Technician Conference (June 2020) cancelled because of the COVID-19 "
             "pandemic."),
        ],
        "evidence": [],
        "measures": [
            ("V1", date(2020, 3, 31), 78),
        ],
    },
    "2020-07": {
        "progress": [
            ("D1", 13, "On track", 88, "Workstream leads in place for all six communities."),
            ("D2", 14, "Delayed", 58, "Consultations resumed online in July; Engineering and IT pathways now due "
             "December 2020."),
            ("D3", 15, "On track", 72, "September 2020 intake confirmed: five apprentices."),
            ("V1", 16, "Complete", 100, "UCL gained Science Council Employer Champion status, July 2020."),
            ("V2", 17, "Suspended", 65, "Conference remains suspended; internal awards to run online in October."),
        ],
        "evidence": [
            ("V1", date(2020, 7, 8), "UCL awarded Science Council Employer Champion status in recognition of its "
             "support for technicians gaining professional registration.", "award",
             f"{SP}/news/employer-champion-2020", "R"),
        ],
        "measures": [
            ("V1", date(2020, 6, 30), 92),
        ],
    },
    "2020-10": {
        "progress": [
            ("D1", 12, "Complete", 100, "Six communities of practice established with leads and workstreams; now "
             "business as usual."),
            ("D2", 13, "Delayed", 75, "Laboratory and Engineering pathways published; IT and Workshop pathways "
             "carried into the next action plan."),
            ("D3", 14, "On track", 85, "Eighteen apprentices started across three intakes (7, 6 and 5)."),
            ("V2", 16, "On track", 80, "Online technician awards held 15 October 2020; 2021 conference being "
             "planned."),
        ],
        "evidence": [
            ("V2", date(2020, 10, 15), "Online technician awards ceremony: 11 awards, 310 viewers.", "event",
             f"{SP}/events/awards-2020", "V, R"),
            ("D2", date(2020, 10, 5), "Career pathways for the Laboratory and Engineering job families published.",
             "document", f"{SP}/documents/career-pathways-2020.pdf", "C"),
        ],
        "measures": [
            ("D3", date(2020, 9, 30), 18),
            ("V1", date(2020, 9, 30), 96),
            ("V2", date(2020, 10, 15), 26),
        ],
    },
}


def make_updates(round_key: str, content: dict[str, list[tuple]], path: Path) -> None:
    year, month = (int(x) for x in round_key.split("-"))
    wb = Workbook()

    ws = wb.active
    ws.title = "Progress"
    header = ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for ref, day, status, pct, note in content["progress"]:
        ws.append([ref, date(year, month, day), status, pct, note, LEADS[ref]])
        ws.cell(row=ws.max_row, column=2).number_format = UK_DATE
        ws.cell(row=ws.max_row, column=5).alignment = WRAP_TOP
    set_widths(ws, {"A": 6, "B": 12, "C": 12, "D": 10, "E": 70, "F": 30})
    ws.freeze_panes = "A2"

    ws = wb.create_sheet("Evidence")
    header = ["Ref", "Date", "Description", "Kind", "Link", "Pillars", "Added by", "Supersedes ID"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for ref, d, desc, kind, link, pillars in content["evidence"]:
        ws.append([ref, d, desc, kind, link, pillars, LEADS[ref], None])
        ws.cell(row=ws.max_row, column=2).number_format = UK_DATE
        ws.cell(row=ws.max_row, column=3).alignment = WRAP_TOP
    set_widths(ws, {"A": 6, "B": 12, "C": 60, "D": 10, "E": 50, "F": 8, "G": 30, "H": 12})
    ws.freeze_panes = "A2"

    ws = wb.create_sheet("Measures")
    header = ["Ref", "Measure", "Unit", "Baseline", "Target", "As of", "Value"]
    ws.append(header)
    style_header(ws, 1, len(header))
    for ref, d, value in content["measures"]:
        name, unit, baseline, target = MEASURES[ref]
        ws.append([ref, name, unit, baseline, target, d, value])
        ws.cell(row=ws.max_row, column=6).number_format = UK_DATE
    set_widths(ws, {"A": 6, "B": 38, "C": 12, "D": 10, "E": 10, "F": 12, "G": 10})
    ws.freeze_panes = "A2"

    save(wb, path)


def check_rounds() -> None:
    """Guard the story against slips: notes where required, percent never falls, dates inside the round."""
    allowed = {"Not started", "On track", "At risk", "Delayed", "Complete", "Suspended"}
    last: dict[str, int] = {}
    for key, content in ROUNDS.items():
        year, month = (int(x) for x in key.split("-"))
        for ref, day, status, pct, note in content["progress"]:
            assert status in allowed, (key, ref, status)
            assert note or status not in ("At risk", "Delayed"), (key, ref)
            assert pct >= last.get(ref, 0), (key, ref, pct)
            assert 0 <= pct <= 100 and (status != "Complete" or pct == 100)
            date(year, month, day)
            last[ref] = pct
        for ev in content["evidence"]:
            assert ev[3] in {"document", "event", "survey", "policy", "award", "metric", "other"}, ev


# --------------------------------------------------------------------------------------------------
# 4. The working group, as the seed publishes it (seed lines 111-124)
# --------------------------------------------------------------------------------------------------

GROUP_LEAD_IN = (
    "This interim self-assessment and 24-month action plan has been produced in consultation with the following "
    "members of the Technician Commitment Working Group:"
)
# Faculties exactly as the seed writes them: "MAPS" for Mathematical & Physical Sciences, "Engineering Science"
# for Engineering Sciences, and its typo "Brian Sciences".
GROUP = [
    ("John Bowles", "Head of Laboratories", "MAPS"),
    ("Dr Dimitra Stamogiannou", "Departmental Administrator", "MAPS"),
    ("Dr Roger Woodliffe", "Computer Services Manager", "MAPS"),
    ("Dr Steve Bunting", "Institute Manager", "Brain Sciences"),
    ("Dr Jacques Gianino", "Manager", "Brian Sciences"),
    ("Peter Kelly", "Departmental Superintendent", "Engineering Science"),
    ("Ian Seaton", "Technical Resources Manager", "Engineering Science"),
    ("Isabel Goncalves", "Departmental Laboratory Manager", "Life Sciences"),
    ("Dr Lisa Sanderson", "Teaching Laboratory Manager", "Life Sciences"),
    ("Prupti Malde", "Unit Manager Cruciform Teaching Facilities", "Life Sciences"),
]


def make_working_group(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Working group"
    ws["A1"] = GROUP_LEAD_IN
    ws.append([])
    header = ["Name", "Title", "Faculty"]
    ws.append(header)
    style_header(ws, 3, len(header))
    for row in GROUP:
        ws.append(list(row))
    set_widths(ws, {"A": 28, "B": 44, "C": 24})
    save(wb, path)


# --------------------------------------------------------------------------------------------------

def main() -> list[Path]:
    written: list[Path] = []

    p = PLAN_DIR / "ucl_2018_action_plan.xlsx"
    make_plan(p)
    written.append(p)

    years = build_workforce()
    makers = {2018: make_hr_2018, 2019: make_hr_2019, 2020: make_hr_2020, 2021: make_hr_2021}
    for year, people in years.items():
        p = DEMO_DIR / f"hr_technicians_{year}-07-31.xlsx"
        makers[year](people, p)
        written.append(p)

    check_rounds()
    for key, content in ROUNDS.items():
        p = DEMO_DIR / f"updates_{key}.xlsx"
        make_updates(key, content, p)
        written.append(p)

    p = DEMO_DIR / "working_group.xlsx"
    make_working_group(p)
    written.append(p)
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(ROOT))
