"""The words the command line offers before anything heavy is loaded: the kinds of file, the roles, the templates,
and every field a column can be mapped to (the readers in tracker.ingest use these same tables).

`python -m tracker --help` imports this module and the standard library only, so it answers at once.

Example:
    >>> KINDS, sorted(PLAN_FIELD_HELP)[:3]
    (('plan', 'updates', 'workforce', 'group'), ['activity', 'due', 'evidence'])
"""

from __future__ import annotations

IGNORE = "ignore"  # the field of a column not read
KINDS = ("plan", "updates", "workforce", "group")  # the kinds of file `load` takes
ROLES = ("viewer", "lead", "board", "admin")
TEMPLATE_KINDS = ("updates", "plan", "workforce")  # the templates `template` writes (tracker.templates.TEMPLATES)
SHOWABLE = ("actions", "updates", "evidence", "measures", "workforce", "uploads", "plans", "users", "rounds", "group")

# What --help and the mapping step list: every field a plan column can be mapped to.
PLAN_FIELD_HELP = {
    "ref": "the action's own reference (D1, 2.3)",
    "theme": "the theme or area an action sits in",
    "purpose": "why: the objective or issue",
    "activity": "what will be done (required)",
    "impact": "the impact or outcome expected",
    "measures": "success measures or KPIs",
    "owner": "who leads it",
    "start": "start date",
    "due": "due or end date",
    "timescale": "a timescale in words (Y1-3, End of November 2020)",
    "evidence": "the evidence of impact promised",
    "pillars": "pillars in words (Visibility and sustainability)",
    "pV": "a tick column for Visibility",
    "pR": "a tick column for Recognition",
    "pC": "a tick column for Career development",
    "pS": "a tick column for Sustainability",
    IGNORE: "a column not to read",
}
# What --help and the mapping step list: every field a column of an update log can be mapped to.
UPDATE_FIELD_HELP = {
    "ref": "the action the row is about (D1, 2.3): required",
    "date": "the date of the update or of the evidence: required",
    "status": "progress: on track, at risk, delayed, complete… (or Green, Amber, Red, Blue)",
    "percent": "progress: percent complete (40, 40%)",
    "note": "progress: what was done, what is wrong and what is being done",
    "description": "evidence: what happened (and its impact, without an Impact column)",
    "impact": "evidence: the impact it made, added to the description",
    "kind": "evidence: event, document (report), survey, policy, award, metric or other",
    "link": "evidence: where it is kept (a web address, a hyperlink or a file path)",
    "pillars": "evidence: the pillars it shows (Visibility, Recognition, Career development, Sustainability)",
    "by": "who reported it (else the person uploading)",
    "supersedes": "evidence: the number of an earlier item this one corrects",
    "measure": "measures: the success measure's name",
    "unit": "measures: its unit",
    "baseline": "measures: its baseline",
    "target": "measures: its target",
    "value": "measures: the value as of the date",
    IGNORE: "not read",
}
