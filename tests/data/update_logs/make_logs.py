"""Write the update-log corpus: leads' own progress and evidence-of-impact logs, in the layouts people keep.

Run with the project's interpreter from anywhere:  .venv/bin/python tests/data/update_logs/make_logs.py
It writes every .xlsx/.csv next to itself and expected.json.  The expected values are written out by hand
next to each row below (decided before any loader ran); nothing here calls the product.

Each layout follows a published source (the `source` of its entry): the column headings, their order, title
rows, keys and cell wording are taken from it and filled with the demo plan's actions (U1, D1, D2, D3, V1, V2).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
D = dt.date

# The demo plan's pillars, used when a row names none.
PILLARS = {"U1": "VS", "D1": "VCS", "D2": "RCS", "D3": "CS", "V1": "VRC", "V2": "VR"}

ENTRIES: list[dict] = []


class Link:
    """A cell showing `text` that is an Excel hyperlink to `url`."""

    def __init__(self, text: str, url: str) -> None:
        self.text, self.url = text, url


class Pct:
    """A fraction stored as a number formatted as a percentage (0.4 shown as 40%)."""

    def __init__(self, value: float) -> None:
        self.value = value


def put(ws: Worksheet, row: int, col: int, value: object) -> None:
    c = ws.cell(row=row, column=col)
    if isinstance(value, Link):
        c.value = value.text
        c.hyperlink = value.url
        c.style = "Hyperlink"
    elif isinstance(value, Pct):
        c.value = value.value
        c.number_format = "0%"
    elif isinstance(value, dt.date):
        c.value = value
        c.number_format = "DD/MM/YYYY"
    elif value is not None and value != "":
        c.value = value
    if isinstance(value, str) and "\n" in value:
        c.alignment = Alignment(wrap_text=True, vertical="top")


def table(ws: Worksheet, top: int, header: list, rows: list[list]) -> None:
    for j, h in enumerate(header, start=1):
        if h is not None:
            put(ws, top, j, h)
            ws.cell(row=top, column=j).font = Font(bold=True)
    for i, r in enumerate(rows, start=top + 1):
        for j, v in enumerate(r, start=1):
            put(ws, i, j, v)


def prog(ref: str, as_of: str, status: str, percent: int | None, note: str) -> dict:
    return {"ref": ref, "as_of": as_of, "status": status, "percent": percent, "note": note}


def ev(ref: str, date: str, description: str, kind: str, link: str, pillars: str | None = None) -> dict:
    return {
        "ref": ref,
        "date": date,
        "description": description,
        "kind": kind,
        "link": link,
        "pillars": pillars or PILLARS[ref],
    }


def entry(
    file: str, layout: str, source: list[str], lead: str | None, progress: list, evidence: list, warnings: list[str]
) -> None:
    ENTRIES.append(
        {
            "file": file,
            "layout": layout,
            "source": source,
            "lead": lead,
            "progress": progress,
            "evidence": evidence,
            "warnings": warnings,
        }
    )


# --------------------------------------------------------------------------------------------------------------
# 1. Evidence log: a merged title row and a merged instruction row above
#    Action ref | Date | Evidence of impact | Type | Pillar(s) | Where it is kept
#    (Durham's 'Evaluating Impact' theme; Sheffield's 'Evidencing impact … Where to keep evidence').
def evidence_log_title_rows() -> None:
    name = "evidence_log_title_rows.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Evidence log"
    ws["A1"] = "Technician Commitment – Evidence of Impact Log 2019-20"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws["A2"] = (
        "Add one row per piece of evidence, against the action plan ref. Pillars: Visibility, Recognition, "
        "Career Development, Sustainability. Keep the evidence itself where the last column says."
    )
    ws.merge_cells("A2:F2")
    header = ["Action ref", "Date", "Evidence of impact", "Type", "Pillar(s)", "Where it is kept"]
    census = "Technician census completed:\n412 technical staff identified across 5 faculties"
    rows = [
        [
            "U1",
            D(2019, 1, 15),
            census,
            "KPI",
            "Visibility; Sustainability",
            "TC SharePoint > Census > Census_2019.xlsx",
        ],
        [
            "V1",
            D(2019, 3, 27),
            "Technician showcase held in the Great Hall, 140 attendees",
            "Event",
            "Visibility",
            "https://intranet.demo.ac.uk/technicians/showcase-2019",
        ],
        [
            "D1",
            D(2019, 6, 12),
            "Report of the technical community of practice launch",
            "Report",
            None,
            "TC SharePoint > Reports",
        ],
        [
            "D3",
            D(2019, 10, 2),
            "Apprentice technician scheme approved by University Executive Board",
            "Paper",
            "Career Development & Sustainability",
            "UEB papers, October 2019, item 7",
        ],
        [
            "V2",
            D(2020, 2, 20),
            "Two technicians shortlisted for THE Outstanding Technician of the Year",
            "Award",
            "Recognition",
            "https://www.demo.ac.uk/news/2020/technician-awards-shortlist",
        ],
        [
            "D2",
            D(2020, 7, 8),
            "Professional registration workshop run online (RSciTech/RSci), 23 attended",
            "Workshop",
            "Recognition, Career Development",
            "TC SharePoint > Registration > Workshop July 2020",
        ],
    ]
    table(ws, 3, header, rows)
    wb.save(HERE / name)
    entry(
        name,
        "one sheet 'Evidence log': merged title row, merged instruction row, then 'Action ref | Date | Evidence of "
        "impact | Type | Pillar(s) | Where it is kept'; real date cells; pillars as words (one blank); locations "
        "as text paths or web addresses; one description with a line break inside",
        [
            "https://www.dur.ac.uk/technician.commitment/actionplan/impact/",
            "https://www.sheffield.ac.uk/rs/impact/evidencing_impact",
        ],
        None,
        [],
        [
            ev("U1", "2019-01-15", census, "metric", "TC SharePoint > Census > Census_2019.xlsx", "VS"),
            ev(
                "V1",
                "2019-03-27",
                "Technician showcase held in the Great Hall, 140 attendees",
                "event",
                "https://intranet.demo.ac.uk/technicians/showcase-2019",
                "V",
            ),
            ev(
                "D1",
                "2019-06-12",
                "Report of the technical community of practice launch",
                "document",
                "TC SharePoint > Reports",
            ),
            ev(
                "D3",
                "2019-10-02",
                "Apprentice technician scheme approved by University Executive Board",
                "document",
                "UEB papers, October 2019, item 7",
                "CS",
            ),
            ev(
                "V2",
                "2020-02-20",
                "Two technicians shortlisted for THE Outstanding Technician of the Year",
                "award",
                "https://www.demo.ac.uk/news/2020/technician-awards-shortlist",
                "R",
            ),
            ev(
                "D2",
                "2020-07-08",
                "Professional registration workshop run online (RSciTech/RSci), 23 attended",
                "event",
                "TC SharePoint > Registration > Workshop July 2020",
                "RC",
            ),
        ],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 2. Progress and evidence on two sheets, neither with the template's headings.  The RAG sheet follows the
#    OPF monthly work-package status page (each lead sets one RAG a month, RAG meanings given above the table);
#    percentages stored as fractions formatted as %.
def two_sheets() -> None:
    name = "progress_and_evidence_two_sheets.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "RAG updates"
    ws["A1"] = "Monthly RAG update – Technician Commitment action plan"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = (
        "Green - All is well; Amber - Some concerns; advice potentially needed; Red - Major concerns; "
        "work has stopped; Blue - Complete"
    )
    header = ["Ref", "Update date", "RAG", "% done", "Comment"]
    rows = [
        ["U1", D(2019, 2, 28), "Green", Pct(0.25), "Census circulated to all heads of department"],
        ["V1", D(2019, 2, 28), "Amber", Pct(0.1), "Venue for the showcase not yet confirmed"],
        ["D1", D(2019, 5, 31), "Green", Pct(0.5), "Community of practice terms of reference drafted"],
        ["D2", D(2019, 5, 31), "Red", Pct(0), "Registration fees budget not agreed; escalated to steering group"],
        ["U1", D(2019, 8, 30), "Blue", None, "Census complete, results to September steering group"],
        ["D3", D(2019, 8, 30), "Green", Pct(0.3), "Apprenticeship options paper drafted"],
    ]
    table(ws, 3, header, rows)
    ws2 = wb.create_sheet("Impact evidence")
    header2 = ["Ref", "Date", "What happened", "Type", "Pillars", "Link"]
    rows2 = [
        [
            "U1",
            D(2019, 9, 12),
            "Census results presented to steering group",
            "Minutes",
            "V",
            "https://demo.sharepoint.com/sites/TC/Minutes/2019-09-12.docx",
        ],
        [
            "D2",
            D(2019, 11, 14),
            "Registration fee scheme agreed by HR Committee",
            "Policy",
            "Recognition",
            "https://staff.demo.ac.uk/hr/policies/professional-registration-fees",
        ],
        ["V1", D(2020, 3, 4), "Showcase feedback forms: 92% rated good or excellent", "Feedback", "V, R", None],
    ]
    table(ws2, 1, header2, rows2)
    wb.save(HERE / name)
    entry(
        name,
        "two sheets: 'RAG updates' (title row, RAG key row, then 'Ref | Update date | RAG | % done | Comment', RAG "
        "as Green/Amber/Red/Blue, % as fractions formatted 0%, one blank %) and 'Impact evidence' ('Ref | Date | "
        "What happened | Type | Pillars | Link', pillars as a letter, a word and 'V, R', one blank link)",
        [
            "http://wiki.opf-labs.org/pages/viewpagesrc.action?pageId=24412253",
            "https://researchersupport.leeds.ac.uk/the-concordat/governance/concordat-implementation-plan/",
        ],
        None,
        [
            prog("U1", "2019-02-28", "on track", 25, "Census circulated to all heads of department"),
            prog("V1", "2019-02-28", "at risk", 10, "Venue for the showcase not yet confirmed"),
            prog("D1", "2019-05-31", "on track", 50, "Community of practice terms of reference drafted"),
            prog("D2", "2019-05-31", "delayed", 0, "Registration fees budget not agreed; escalated to steering group"),
            prog("U1", "2019-08-30", "complete", 100, "Census complete, results to September steering group"),
            prog("D3", "2019-08-30", "on track", 30, "Apprenticeship options paper drafted"),
        ],
        [
            ev(
                "U1",
                "2019-09-12",
                "Census results presented to steering group",
                "document",
                "https://demo.sharepoint.com/sites/TC/Minutes/2019-09-12.docx",
                "V",
            ),
            ev(
                "D2",
                "2019-11-14",
                "Registration fee scheme agreed by HR Committee",
                "policy",
                "https://staff.demo.ac.uk/hr/policies/professional-registration-fees",
                "R",
            ),
            ev("V1", "2020-03-04", "Showcase feedback forms: 92% rated good or excellent", "survey", "", "VR"),
        ],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 3. Progress and evidence in ONE table: the previous action plan 'updated with comments in the form of a progress
#    log' (Sheffield's Athena SWAN FAQ; Warwick's 'Progress against four year action plan'), each row an update that
#    may also carry a piece of evidence, its link a real Excel hyperlink.
def one_sheet() -> None:
    name = "progress_log_with_evidence.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Progress log"
    ws["A1"] = "Technician Commitment action plan – progress log (Year 1 and Year 2)"
    ws["A1"].font = Font(bold=True, size=13)
    ws.merge_cells("A1:H1")
    header = ["Action", "Date", "RAG", "Progress (%)", "Update", "Evidence of impact", "Evidence type", "Link"]
    profiles = Link("Technician profiles", "https://www.demo.ac.uk/technicians/profiles")
    notes = Link("Meeting notes", "https://demo.sharepoint.com/sites/TC/CoP/relaunch-notes.docx")
    survey = Link("Survey results", "https://forms.demo.ac.uk/showcase-2020-results")
    rows = [
        ["V2", D(2019, 1, 31), "Green", 20, "Technician profiles page scoped with Comms", None, None, None],
        [
            "V2",
            D(2019, 6, 28),
            "Green",
            60,
            "12 technician profiles published",
            "Technician profiles live on the public website",
            "Webpage",
            profiles,
        ],
        ["D1", D(2019, 6, 28), "Amber", 40, "Attendance at community of practice meetings falling", None, None, None],
        [
            "D1",
            D(2019, 12, 13),
            "Green",
            70,
            "Relaunched the CoP in a lunchtime format",
            "Relaunch meeting notes and attendance (31)",
            "Meeting",
            notes,
        ],
        [
            "D3",
            D(2020, 1, 17),
            "Green",
            None,
            "Apprenticeship standard chosen (Laboratory Technician L3)",
            None,
            None,
            None,
        ],
        ["D3", D(2020, 6, 30), "Red", 45, "Apprentice recruitment paused due to COVID-19", None, None, None],
        [
            "V1",
            D(2020, 9, 25),
            "Complete",
            100,
            "Showcase moved online and delivered",
            "Online showcase recording and feedback survey results",
            "Survey",
            survey,
        ],
    ]
    table(ws, 2, header, rows)
    wb.save(HERE / name)
    entry(
        name,
        "one sheet, merged title row, then ONE table 'Action | Date | RAG | Progress (%) | Update | Evidence of "
        "impact | Evidence type | Link': every row an update, three rows also carry evidence whose Link cell is an "
        "Excel hyperlink (display text, URL target); RAG includes the word 'Complete'; one blank %",
        [
            "https://www.sheffield.ac.uk/hr/equality/focus/faqs",
            "https://warwick.ac.uk/services/equalops/chartermarks/hrexcellence",
        ],
        None,
        [
            prog("V2", "2019-01-31", "on track", 20, "Technician profiles page scoped with Comms"),
            prog("V2", "2019-06-28", "on track", 60, "12 technician profiles published"),
            prog("D1", "2019-06-28", "at risk", 40, "Attendance at community of practice meetings falling"),
            prog("D1", "2019-12-13", "on track", 70, "Relaunched the CoP in a lunchtime format"),
            prog("D3", "2020-01-17", "on track", None, "Apprenticeship standard chosen (Laboratory Technician L3)"),
            prog("D3", "2020-06-30", "delayed", 45, "Apprentice recruitment paused due to COVID-19"),
            prog("V1", "2020-09-25", "complete", 100, "Showcase moved online and delivered"),
        ],
        [
            ev(
                "V2",
                "2019-06-28",
                "Technician profiles live on the public website",
                "document",
                "https://www.demo.ac.uk/technicians/profiles",
            ),
            ev(
                "D1",
                "2019-12-13",
                "Relaunch meeting notes and attendance (31)",
                "event",
                "https://demo.sharepoint.com/sites/TC/CoP/relaunch-notes.docx",
            ),
            ev(
                "V1",
                "2020-09-25",
                "Online showcase recording and feedback survey results",
                "survey",
                "https://forms.demo.ac.uk/showcase-2020-results",
            ),
        ],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 4. A lead's progress notes in the Cardiff Concordat/HREiR layout ('Current Status and Ongoing Actions | Lead |
#    Timescale | Success Measure', a 'Key:' line above), with the date of each note written as text.
def text_dates_lead() -> None:
    name = "careers_lead_status_text_dates.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "D2 status"
    ws["A1"] = "Professional registration – current status and ongoing actions"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "Key: Timescale – when the action is due; As at – date of the status note"
    header = ["Action", "Current Status and Ongoing Actions", "Lead", "Timescale", "As at", "Status"]
    rows = [
        [
            "D2",
            "Not yet begun – waiting for a slot at HR Committee",
            "Careers Lead",
            "December 2020",
            "2019-11-05",
            "Not started",
        ],
        [
            "D2",
            "Fee reimbursement scheme agreed; first cohort of 8 technicians identified",
            "Careers Lead",
            "December 2020",
            "12 Feb 2020",
            "On track",
        ],
        [
            "d2",
            "Too few registered mentors to support the cohort; asking partner institutions for mentors",
            "Careers Lead",
            "December 2020",
            "3rd March 2020",
            "At risk",
        ],
        [
            "D2",
            "Registration assessments postponed by the professional bodies during lockdown",
            "Careers Lead",
            "December 2020",
            "June 2020",
            "Delayed",
        ],
        [
            "D2",
            "6 technicians registered (4 RSciTech, 2 RSci)",
            "Careers Lead",
            "December 2020",
            "30th September 2020",
            "Complete",
        ],
    ]
    table(ws, 3, header, rows)
    for r in range(4, 4 + len(rows)):
        ws.cell(row=r, column=5).number_format = "@"
    wb.save(HERE / name)
    entry(
        name,
        "a lead's sheet (D2 only): title row, 'Key:' row, then 'Action | Current Status and Ongoing Actions | Lead "
        "| Timescale | As at | Status'; the note is the status prose, the date is 'As at' written as text "
        "('2019-11-05', '12 Feb 2020', '3rd March 2020', 'June 2020', '30th September 2020') beside a 'Timescale' "
        "due date that is not the update date; status in words; no % column; ref once in lower case",
        ["https://vdocument.in/paper-2-concordat-cros-hr-excellence-in-1-paper-2-concordat-cros-.html"],
        "careers.lead@demo.ac.uk",
        [
            prog("D2", "2019-11-05", "not started", None, "Not yet begun – waiting for a slot at HR Committee"),
            prog(
                "D2",
                "2020-02-12",
                "on track",
                None,
                "Fee reimbursement scheme agreed; first cohort of 8 technicians identified",
            ),
            prog(
                "D2",
                "2020-03-03",
                "at risk",
                None,
                "Too few registered mentors to support the cohort; asking partner institutions for mentors",
            ),
            prog(
                "D2",
                "2020-06-01",
                "delayed",
                None,
                "Registration assessments postponed by the professional bodies during lockdown",
            ),
            prog("D2", "2020-09-30", "complete", 100, "6 technicians registered (4 RSciTech, 2 RSci)"),
        ],
        [],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 5. An engagement and impact tracking spreadsheet (i2insights, Cathy Day): date of engagement/impact, activity,
#    details, engagement (Yes/No), impact (Yes/No), lead, others; here with the pillar words as the theme and the
#    plan ref last.  Types include a word that is not a kind ('Newsletter article') and one left blank.
def impact_tracker() -> None:
    name = "engagement_impact_tracker.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Engagement & impact"
    header = [
        "Date of engagement/impact",
        "Type of activity",
        "Details",
        "Engagement (Y/N)",
        "Impact (Y/N)",
        "Lead",
        "Others involved",
        "Theme",
        "Action",
    ]
    rows = [
        [
            D(2019, 4, 10),
            "Event",
            "Technician Commitment launch event for all technical staff",
            "Y",
            "N",
            "J. Patel",
            "Comms team",
            "Visibility",
            "V1",
        ],
        [
            D(2019, 7, 22),
            "Report",
            "Annual technical workforce report to Council",
            "N",
            "Y",
            "HR Director",
            None,
            "All",
            "U1",
        ],
        [
            D(2019, 9, 16),
            "Survey",
            "Technician survey 2019 (n=268): 61% unaware of career pathways",
            "Y",
            "Y",
            "S. Okoro",
            "Technical managers",
            "Career Development",
            "D3",
        ],
        [
            D(2020, 1, 29),
            "Policy",
            "Technician secondment procedure published",
            "N",
            "Y",
            "HR Policy",
            None,
            "Career Development; Sustainability",
            "D3",
        ],
        [
            D(2020, 5, 14),
            "Award",
            "Lab manager recognised as Technician of the Year at the staff awards",
            "N",
            "Y",
            "Events Lead",
            None,
            "Recognition",
            "V2",
        ],
        [
            D(2020, 8, 6),
            "Newsletter article",
            "Article on apprentice technicians in the staff newsletter",
            "Y",
            "N",
            "Comms team",
            "Two apprentices",
            "Sustainability & Visibility",
            "D3",
        ],
        [
            D(2020, 10, 12),
            None,
            "Meeting with Gatsby about a regional technician network",
            "Y",
            "N",
            "CoP Lead",
            None,
            None,
            "D1",
        ],
    ]
    table(ws, 1, header, rows)
    wb.save(HERE / name)
    entry(
        name,
        "one sheet, no title: 'Date of engagement/impact | Type of activity | Details | Engagement (Y/N) | Impact "
        "(Y/N) | Lead | Others involved | Theme | Action' (date first, ref last, Y/N and people columns to ignore); "
        "kinds as Event/Report/Survey/Policy/Award, one unknown ('Newsletter article'), one blank; pillars as "
        "words incl. 'All' and 'Sustainability & Visibility', one blank; no link column",
        [
            "https://i2insights.org/2019/02/12/tracking-engagement-and-impact/",
            "https://www.campusengage.ie/our-work/making-an-impact/public-engagement-involvement/",
        ],
        None,
        [],
        [
            ev("V1", "2019-04-10", "Technician Commitment launch event for all technical staff", "event", "", "V"),
            ev("U1", "2019-07-22", "Annual technical workforce report to Council", "document", "", "VRCS"),
            ev("D3", "2019-09-16", "Technician survey 2019 (n=268): 61% unaware of career pathways", "survey", "", "C"),
            ev("D3", "2020-01-29", "Technician secondment procedure published", "policy", "", "CS"),
            ev(
                "V2",
                "2020-05-14",
                "Lab manager recognised as Technician of the Year at the staff awards",
                "award",
                "",
                "R",
            ),
            ev("D3", "2020-08-06", "Article on apprentice technicians in the staff newsletter", "other", "", "VS"),
            ev("D1", "2020-10-12", "Meeting with Gatsby about a regional technician network", "other", ""),
        ],
        ["unknown_kind"],
    )


# --------------------------------------------------------------------------------------------------------------
# 6. A lead's evidence of Steering Group minutes, each linked the way DMU's governance page links them
#    ('Technician Commitment Steering Group minutes and actions 23/09/19'): the Link cell is a hyperlink.
def minutes_hyperlinks_lead() -> None:
    name = "cop_lead_minutes_hyperlinks.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Steering Group minutes"
    ws["A1"] = "Community of practice (D1) – evidence from Technician Commitment Steering Group meetings"
    ws["A1"].font = Font(bold=True, size=13)
    ws.merge_cells("A1:E1")
    header = ["Ref", "Date", "Evidence", "Type", "Link"]
    base = "https://www.demo.ac.uk/technicians/governance/"
    meetings = [
        (D(2019, 9, 23), "23/09/19", "Steering Group endorsed the community of practice proposal"),
        (D(2020, 2, 3), "03/02/20", "Community of practice chairs appointed"),
        (D(2020, 5, 19), "19/05/20", "Community of practice moved online; monthly sessions agreed"),
        (D(2020, 10, 21), "21/10/20", "Annual review of the community of practice received"),
    ]
    rows = []
    for day, short, what in meetings:
        url = f"{base}tcsg-minutes-{day.isoformat()}.pdf"
        rows.append(
            ["d1", day, what, "Minutes", Link(f"Technician Commitment Steering Group minutes and actions {short}", url)]
        )
    table(ws, 2, header, rows)
    for r in range(3, 3 + len(rows)):
        ws.cell(row=r, column=2).number_format = "DD/MM/YY"
    wb.save(HERE / name)
    entry(
        name,
        "a lead's sheet (D1 only, ref written 'd1'): merged title row, then 'Ref | Date | Evidence | Type | Link'; "
        "dates as date cells shown DD/MM/YY; type 'Minutes'; no pillar column; each Link cell an Excel hyperlink "
        "whose text is DMU's wording 'Technician Commitment Steering Group minutes and actions 23/09/19'",
        ["https://www.dmu.ac.uk/technicians/governance.aspx"],
        "cop.lead@demo.ac.uk",
        [],
        [
            ev("D1", day.isoformat(), what, "document", f"{base}tcsg-minutes-{day.isoformat()}.pdf")
            for day, _, what in meetings
        ],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 7. A lead's quarterly 'status update' kept as CSV (the PEF reporting page: every 3 months a Green/Amber/Red
#    status and whether support is needed).  UK dates, one ISO date, one month-only date, percentages as '40%'.
def status_update_csv() -> None:
    name = "events_lead_status_update.csv"
    header = ["Action", "Quarter", "Date", "Status", "% complete", "Update", "Support needed?"]
    rows = [
        ["V2", "Q2 2018/19", "31/01/2019", "Green", "10%", "Profile template agreed with Marketing", "No"],
        [
            "V2",
            "Q3 2018/19",
            "30/04/2019",
            "Amber",
            "25%",
            "Only 4 of 12 technicians have returned profile forms",
            "Yes",
        ],
        ["V2", "Q1 2019/20", "2019-10-31", "Green", "60%", "Profiles published; photography booked", "No"],
        ["V2", "Q2 2019/20", "March 2020", "Red", "70%", "Photography sessions cancelled (campus closure)", "Yes"],
        ["V2", "Q4 2019/20", "30/09/2020", "Complete", "", "All 12 profiles live with photographs", "No"],
    ]
    with open(HERE / name, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    entry(
        name,
        "CSV (UTF-8 with BOM, CRLF) from a lead (V2 only): 'Action,Quarter,Date,Status,% complete,Update,Support "
        "needed?'; dates '31/01/2019' (day first), '2019-10-31', 'March 2020'; status Green/Amber/Red/Complete; "
        "percent as '40%' text, blank on the complete row",
        ["https://sites.google.com/ourcloud.buzz/pef/reporting/status-update"],
        "events.lead@demo.ac.uk",
        [
            prog("V2", "2019-01-31", "on track", 10, "Profile template agreed with Marketing"),
            prog("V2", "2019-04-30", "at risk", 25, "Only 4 of 12 technicians have returned profile forms"),
            prog("V2", "2019-10-31", "on track", 60, "Profiles published; photography booked"),
            prog("V2", "2020-03-01", "delayed", 70, "Photography sessions cancelled (campus closure)"),
            prog("V2", "2020-09-30", "complete", 100, "All 12 profiles live with photographs"),
        ],
        [],
        [],
    )


# --------------------------------------------------------------------------------------------------------------
# 8. An action log (Kev's templates 'Action Tracker': Action ID, Description, Owner, Status, Notes — 'progress
#    updates, comments' — date fields) under three title rows, with an empty spacer column, statuses in words.
def action_log() -> None:
    name = "action_log_spacer_column.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Action Log"
    ws["A1"] = "Action Log"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "Technician Commitment Implementation Group"
    ws["A3"] = "Last updated: 30/10/2020"
    header = ["Action ID", "Description", "Owner", None, "Status", "% complete", "Notes", "Date updated"]
    rows = [
        [
            "U1",
            "Identify all technical staff",
            "HR Information",
            None,
            "Complete",
            "100%",
            "Census to be repeated each January",
            D(2020, 1, 20),
        ],
        [
            "D2",
            "Support professional registration",
            "Careers Lead",
            None,
            "On track",
            "55%",
            "First cohort of 8 working towards registration",
            D(2020, 1, 20),
        ],
        [
            "D3",
            "Technician apprenticeships",
            "Head of Technical Services",
            None,
            "Suspended",
            "45%",
            "Paused pending review of the recruitment freeze",
            D(2020, 10, 30),
        ],
        [
            "V1",
            "Annual technician showcase",
            "Events Lead",
            None,
            "Not started",
            "0%",
            "2021 showcase planning begins in the spring",
            D(2020, 10, 30),
        ],
        [
            "D1",
            "Technical community of practice",
            "CoP Lead",
            None,
            "At risk",
            "65%",
            "CoP chair stepping down in December; a successor is needed",
            D(2020, 10, 30),
        ],
    ]
    table(ws, 4, header, rows)
    wb.save(HERE / name)
    entry(
        name,
        "one sheet: three title rows ('Action Log', group name, 'Last updated: 30/10/2020'), then 'Action ID | "
        "Description | Owner | (blank column) | Status | % complete | Notes | Date updated'; the Description is the "
        "action's own text, the note is Notes; statuses in the product's own words incl. Suspended and Not "
        "started; % as text",
        ["https://kevstemplates.com/projects/action_tracker"],
        None,
        [
            prog("U1", "2020-01-20", "complete", 100, "Census to be repeated each January"),
            prog("D2", "2020-01-20", "on track", 55, "First cohort of 8 working towards registration"),
            prog("D3", "2020-10-30", "suspended", 45, "Paused pending review of the recruitment freeze"),
            prog("V1", "2020-10-30", "not started", 0, "2021 showcase planning begins in the spring"),
            prog("D1", "2020-10-30", "at risk", 65, "CoP chair stepping down in December; a successor is needed"),
        ],
        [],
        [],
    )


def main() -> None:
    for make in (
        evidence_log_title_rows,
        two_sheets,
        one_sheet,
        text_dates_lead,
        impact_tracker,
        minutes_hyperlinks_lead,
        status_update_csv,
        action_log,
    ):
        make()
    (HERE / "expected.json").write_text(json.dumps(ENTRIES, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
