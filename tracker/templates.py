"""The spreadsheets the product hands out: update, plan and workforce templates (openpyxl, .xlsx).

Example:
    >>> from tracker.ingest.reader import read_workbook
    >>> data = updates_template(refs=["U1", "D1"])
    >>> [s.name for s in read_workbook(data, filename="t.xlsx").sheets]
    ['README', 'Progress', 'Evidence', 'Measures', 'Lists']
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tracker.exports import append_row
from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS
from tracker.models import EVIDENCE_KINDS

STATUS_CHOICES = ("Not started", "On track", "At risk", "Delayed", "Complete", "Suspended")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FIXED_TIME = datetime(2018, 11, 1)  # stable file bytes for the same inputs

UPDATE_HELP = [
    ("How to use this template", ""),
    (
        "",
        "Fill in one row per update on the Progress sheet, one row per piece of evidence on the Evidence "
        "sheet, and one row per measured value on the Measures sheet. Leave sheets you do not need empty. "
        "Upload the file on the Upload page (or: python -m tracker load FILE).",
    ),
    (
        "",
        "Nothing is written unless every row is valid: if anything is wrong you get a list of the rows and "
        "columns to fix, and you upload the corrected file again.",
    ),
    ("Progress sheet", ""),
    ("Ref", "The action's reference from the plan (e.g. D2). The list of refs is on the Lists sheet."),
    ("As of", "The date the update describes, e.g. 31/01/2019."),
    (
        "Status",
        "Not started, On track, At risk, Delayed, Complete or Suspended (RAG words Green, Amber, Red, "
        "Blue are accepted).",
    ),
    ("Percent complete", "A whole number from 0 to 100."),
    (
        "Note",
        "What happened. Required when the status is At risk or Delayed: say what is wrong and what is "
        "being done about it.",
    ),
    ("Updated by", "Your email; left blank, the uploader is recorded."),
    ("Evidence sheet", ""),
    ("Ref", "The action the evidence is for."),
    ("Date", "When the evidence arose (e.g. the date of the event or report)."),
    ("Description", "What the evidence is, in a sentence."),
    ("Kind", ", ".join(EVIDENCE_KINDS) + "."),
    ("Link", "Where it can be found (web address or shared-drive path)."),
    (
        "Pillars",
        "Which of V (Visibility), R (Recognition), C (Career development), S (Sustainability) it "
        "evidences, e.g. 'V, R'. Blank: the action's pillars.",
    ),
    ("Added by", "Your email; blank: the uploader."),
    ("Supersedes ID", "To correct an earlier item, give its ID here: the old item is kept but replaced."),
    ("Measures sheet", ""),
    ("Ref / Measure", "The action and the measure's name (e.g. D3, Apprentices started)."),
    ("Unit / Baseline / Target", "Given once is enough; later files may leave them blank."),
    ("As of / Value", "The date and the measured value."),
]


def _header(ws: Worksheet, columns: Sequence[str], widths: Sequence[int]) -> None:
    ws.append(list(columns))
    for j, w in enumerate(widths, start=1):
        c = ws.cell(row=1, column=j)
        c.fill, c.font = HEADER_FILL, HEADER_FONT
        ws.column_dimensions[c.column_letter].width = w
    ws.freeze_panes = "A2"


def _save(wb: Workbook) -> bytes:
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps each zip entry with the current time: rewrite them so equal inputs give equal bytes.
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to now on every save
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", body
                )
            dst.writestr(fixed, body)
    return out.getvalue()


def updates_template(*, refs: Sequence[str] = (), prefill: Sequence[str] = ()) -> bytes:
    """The progress/evidence/measures template; `refs` fill the Ref drop-down, `prefill` pre-fills rows.

    Example:
        >>> len(updates_template(refs=["D1"])) > 5000
        True
    """
    wb = Workbook()
    readme = wb.active
    assert readme is not None
    readme.title = "README"
    for a, b in UPDATE_HELP:
        readme.append([a, b])
        if a and not b:
            readme.cell(row=readme.max_row, column=1).font = Font(bold=True, size=12)
    readme.column_dimensions["A"].width = 26
    readme.column_dimensions["B"].width = 110
    for row in readme.iter_rows():
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    lists = wb.create_sheet("Lists")
    lists.append(["Refs", "Status", "Kind"])
    for i in range(max(len(refs), len(STATUS_CHOICES), len(EVIDENCE_KINDS))):
        append_row(  # refs are the plan's own text: formula-safe, like every export
            lists,
            [
                refs[i] if i < len(refs) else None,
                STATUS_CHOICES[i] if i < len(STATUS_CHOICES) else None,
                EVIDENCE_KINDS[i] if i < len(EVIDENCE_KINDS) else None,
            ],
        )
    lists.sheet_state = "hidden"

    prog = wb.create_sheet("Progress", 1)
    _header(prog, PROGRESS_COLUMNS, (10, 14, 14, 18, 70, 30))
    for r in prefill:
        append_row(prog, [r])
    ev = wb.create_sheet("Evidence", 2)
    _header(ev, EVIDENCE_COLUMNS, (10, 14, 60, 14, 40, 12, 30, 14))
    meas = wb.create_sheet("Measures", 3)
    _header(meas, MEASURE_COLUMNS, (10, 34, 12, 12, 12, 14, 12))

    n_refs = max(len(refs), 1)
    ref_list = f"=Lists!$A$2:$A${n_refs + 1}"
    for ws in (prog, ev, meas):
        if refs:
            dv = DataValidation(
                type="list",
                formula1=ref_list,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Unknown ref",
                error="Choose a ref from the plan (see the Lists sheet).",
            )
            ws.add_data_validation(dv)
            dv.add("A2:A2000")
        date_col = "B" if ws is not meas else "F"
        dd = DataValidation(
            type="date",
            operator="greaterThan",
            formula1="36526",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not a date",
            error="Enter a date, e.g. 31/01/2019.",
        )
        ws.add_data_validation(dd)
        dd.add(f"{date_col}2:{date_col}2000")
        for col in ("B", "F") if ws is meas else (date_col,):
            for row in range(2, 200):
                ws[f"{col}{row}"].number_format = "DD/MM/YYYY"
    st = DataValidation(
        type="list",
        formula1=f"=Lists!$B$2:$B${len(STATUS_CHOICES) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown status",
        error="Choose Not started, On track, At risk, Delayed, Complete or Suspended.",
    )
    prog.add_data_validation(st)
    st.add("C2:C2000")
    pc = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Percent",
        error="A whole number from 0 to 100.",
    )
    prog.add_data_validation(pc)
    pc.add("D2:D2000")
    kd = DataValidation(
        type="list",
        formula1=f"=Lists!$C$2:$C${len(EVIDENCE_KINDS) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown kind",
        error="Choose a kind from the list.",
    )
    ev.add_data_validation(kd)
    kd.add("D2:D2000")
    return _save(wb)


PLAN_COLUMNS = (
    "Ref",
    "Theme",
    "Purpose",
    "Activity",
    "Impact",
    "Who",
    "Start",
    "Due",
    "Success measures",
    "V",
    "R",
    "C",
    "S",
)


def plan_template() -> bytes:
    """An empty action plan in the layout the importer reads most directly (any published layout also loads).

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> read_workbook(plan_template(), filename="p.xlsx").sheets[0].rows[3][:4]
        ['Ref', 'Theme', 'Purpose', 'Activity']
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Action plan"
    ws.append(["Technician Commitment 24-month action plan"])
    ws.append(["Organisation: "])
    ws.append(["Plan start: "])
    ws.append(list(PLAN_COLUMNS))
    ws["A1"].font = Font(bold=True, size=14)
    for j, w in enumerate((8, 14, 40, 50, 50, 30, 12, 12, 40, 5, 5, 5, 5), start=1):
        c = ws.cell(row=4, column=j)
        c.fill, c.font = HEADER_FILL, HEADER_FONT
        ws.column_dimensions[c.column_letter].width = w
    ws.freeze_panes = "A5"
    ws.append(
        [
            "U1",
            "Understand",
            "Example: understand technicians' skills",
            "• Agree scope\n• Run a survey",
            "Skills mapped (Evidence: survey report)",
            "HR, Working Group",
            "Nov 2018",
            "Oct 2019",
            "",
            "X",
            None,
            None,
            "X",
        ]
    )
    return _save(wb)


WORKFORCE_COLUMNS = ("As at", "Faculty", "Department", "Job family", "Grade", "Sex", "FTE", "Headcount")


def workforce_template() -> bytes:
    """An aggregated workforce extract template (HR may send one row per person instead: leave Headcount out).

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> read_workbook(workforce_template(), filename="w.xlsx").sheets[0].rows[0][:3]
        ['As at', 'Faculty', 'Department']
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Workforce"
    _header(ws, WORKFORCE_COLUMNS, (14, 34, 30, 18, 10, 12, 8, 11))
    for row in range(2, 200):
        ws[f"A{row}"].number_format = "DD/MM/YYYY"
    sx = DataValidation(type="list", formula1='"Female,Male,Other,Not known"', allow_blank=True)
    ws.add_data_validation(sx)
    sx.add("F2:F5000")
    return _save(wb)


TEMPLATES = {"updates": updates_template, "plan": plan_template, "workforce": workforce_template}
