"""Workforce & gender page data: totals, HESA rounding, suppression, imbalance flags, snapshots and the trend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from tracker.charts.workforce import SEX_SHORT
from tracker.db import open_engine
from tracker.disclosure import round5
from tracker.models import WorkforceRecord
from tracker.text import plotted
from tracker.views.workforce import NO_GRADE, FteRow, snapshot_for, workforce_choices, workforce_view

S2018, S2019, S2020, S2021 = date(2018, 7, 31), date(2019, 7, 31), date(2020, 7, 31), date(2021, 7, 31)
ENG, MAPS, LAWS = "Engineering Sciences", "Mathematical & Physical Sciences", "Laws"


@pytest.fixture(scope="module")
def demo(demo_file: Path, sqlite_memory_copy: Callable[[Path], Engine]) -> Iterator[Session]:
    """One in-memory database with the demo (copied), shared by the read-only tests of this module."""
    engine = sqlite_memory_copy(demo_file)
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.fixture
def db() -> Iterator[Session]:
    engine: Engine = open_engine("sqlite://")
    with Session(engine) as s:
        yield s
    engine.dispose()


def _add(s: Session, rows: list[tuple[Any, ...]], as_of: date = S2018) -> None:
    """Rows of (faculty, grade, sex, fte, headcount)."""
    s.execute(
        insert(WorkforceRecord),
        [
            {"as_of": as_of, "faculty": f, "grade": g, "sex": x, "fte": fte, "headcount": hc}
            for f, g, x, fte, hc in rows
        ],
    )
    s.commit()


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


# --- the demo data --------------------------------------------------------------------------------------


def test_demo_2018_totals_exact_and_rounded(demo: Session) -> None:
    exact = workforce_view(session=demo, as_of=S2018, rounded=False)
    rounded = workforce_view(session=demo, as_of=S2018)
    assert exact.snapshot == rounded.snapshot == S2018
    assert exact.fte == 1045.0 and exact.headcount == 1101
    assert rounded.fte == 1045 and rounded.headcount == 1100
    assert isinstance(rounded.fte, int)
    assert len(exact.faculties) == 11 and len(exact.table1) == 12  # 11 faculties and the total row
    assert exact.table1[-1] == FteRow("Total", 1045.0, 1101)
    assert exact.table1_rows()[-1] == {"Faculty": "Total", "FTE": 1045.0, "Headcount": 1101}
    assert _by(exact.table1_rows(), "Faculty")["Life Sciences"] == {
        "Faculty": "Life Sciences",
        "FTE": 210.0,
        "Headcount": 222,
    }
    assert exact.pct_female == rounded.pct_female == 47.8  # 526 of 1,101: percentages always from exact figures
    assert exact.snapshots == [S2018, S2019, S2020, S2021]


def test_rounding_applies_to_every_count_and_totals_come_from_exact_totals(demo: Session) -> None:
    exact = workforce_view(session=demo, as_of=S2021, rounded=False, faculty=(ENG, LAWS, "Life Sciences"))
    rounded = workforce_view(session=demo, as_of=S2021, faculty=(ENG, LAWS, "Life Sciences"))
    tables = ("table1_rows", "gender_by_faculty_rows", "gender_by_grade_rows", "trend_rows")
    checked = 0
    for name in tables:
        ex_rows, ro_rows = getattr(exact, name)(), getattr(rounded, name)()
        assert len(ex_rows) == len(ro_rows), name
        for ex, ro in zip(ex_rows, ro_rows, strict=True):
            for col, value in ro.items():
                if col in ("FTE", "Headcount", "Female", "Male", "Other", "Not known"):
                    assert isinstance(value, int) and value % 5 == 0, (name, ro)
                    assert value == round5(ex[col]), (name, col, ex, ro)
                    checked += 1
                elif col.startswith("%"):
                    assert value == ex[col], (name, col)  # percentages are never rounded to 5
    assert checked > 50
    for chart_ex, chart_ro in zip(exact.charts, rounded.charts, strict=True):
        for ex, ro in zip(chart_ex.data, chart_ro.data, strict=True):
            for col in ("FTE", "Headcount"):
                if col in ro:
                    assert ro[col] == round5(ex[col]), (chart_ro.title, ro)
    # The total is rounded from the exact total, not summed from rounded faculties.
    assert rounded.table1[-1].fte == round5(exact.table1[-1].fte)
    assert rounded.fte == round5(exact.fte)
    assert exact.table1[-1].fte == pytest.approx(sum(r.fte for r in exact.table1[:-1]))


def test_small_faculties_have_suppressed_percentages(demo: Session) -> None:
    page = workforce_view(session=demo, as_of=S2018)
    laws = next(r for r in page.gender_by_faculty if r.name == LAWS)
    assert laws.pct_female == laws.pct_male == ".." and laws.headcount == 5
    rows = _by(page.gender_by_faculty_rows(), "Faculty")
    # Laws has 7 staff and Social & Historical Sciences 22: under 22.5, so no percentages.
    assert rows[LAWS]["% female"] == rows[LAWS]["% male"] == ".."
    assert rows["Social & Historical Sciences"]["% female"] == ".."
    # Arts & Humanities has 23: shown, from exact figures (13 of 23).
    assert rows["Arts & Humanities"]["% female"] == "56.5%"
    assert rows[LAWS]["Headcount"] == 5  # the count itself is still shown, rounded
    assert page.suppressed == [LAWS, "Social & Historical Sciences"]
    chart = page.charts[1]
    assert _by(chart.data, "Faculty")[LAWS]["% female"] == ".."
    hidden = [t for t in chart.figure.data if t.name.startswith("Too few to show")]
    # Plotly reads labels as its markup: names are given as text (& as &amp;), shown the same.
    assert len(hidden) == 1 and set(hidden[0].y) == {plotted(LAWS), plotted("Social & Historical Sciences")}
    assert all(t.startswith("..") for t in hidden[0].text)
    assert "Laws and Social & Historical Sciences have fewer than 23 staff" in chart.summary


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (
            0.6,
            {
                ENG: "Male",
                MAPS: "Male",
                "Bartlett (Built Environment)": "Male",
                "Brain Sciences": "Female",
                "Population Health Sciences": "Female",
            },
        ),
        (0.7, {ENG: "Male", MAPS: "Male"}),
        (0.8, {ENG: "Male"}),
        (0.9, {}),
    ],
)
def test_flags_follow_the_threshold(demo: Session, threshold: float, expected: dict[str, str]) -> None:
    page = workforce_view(session=demo, as_of=S2018, threshold=threshold)
    assert {f.faculty: f.sex for f in page.flags} == expected
    assert LAWS not in {f.faculty for f in page.flags}  # too small to judge, whatever its split
    assert all(f.share >= threshold for f in page.flags)
    assert [f.share for f in page.flags] == sorted((f.share for f in page.flags), reverse=True)
    summary = page.charts[1].summary
    t = f"{100 * threshold:.0f}%"
    if expected:
        assert summary.startswith(f"{len(expected)} facult")
        assert f"past the {t} imbalance threshold" in summary
    else:
        assert summary.startswith(f"No faculty is past the {t} imbalance threshold")


def test_flags_name_the_direction_in_words(demo: Session) -> None:
    page = workforce_view(session=demo, as_of=S2018, threshold=0.7)
    assert [(f.faculty, f.text) for f in page.flags] == [(ENG, "80.6% male"), (MAPS, "79.6% male")]
    assert page.flag_rows()[0] == {
        "Faculty": ENG,
        "Imbalance": "80.6% male (threshold 70%)",
        "Mostly": "Male",
        "Headcount": 155,
    }
    assert "Engineering Sciences (81% male) and Mathematical & Physical Sciences (80% male)" in page.charts[1].summary


def test_default_threshold_comes_from_the_setting(demo: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.config

    monkeypatch.setenv("TRACKER_IMBALANCE_THRESHOLD", "0.8")
    tracker.config.get_settings.cache_clear()
    page = workforce_view(session=demo, as_of=S2018)
    assert page.threshold == 0.8
    assert [f.faculty for f in page.flags] == [ENG]


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_a_nonsense_threshold_is_refused(demo: Session, threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        workforce_view(session=demo, threshold=threshold)


@pytest.mark.parametrize(
    ("as_of", "snapshot"),
    [
        (None, S2021),
        (date(2030, 1, 1), S2021),
        (S2019, S2019),
        (date(2019, 7, 30), S2018),
        (date(2020, 10, 31), S2020),  # the demo sidebar's default as-of date
        (date(2018, 1, 1), S2018),  # before every snapshot: the earliest
    ],
)
def test_as_of_picks_the_latest_snapshot_on_or_before_it(demo: Session, as_of: date | None, snapshot: date) -> None:
    page = workforce_view(session=demo, as_of=as_of)
    assert page.snapshot == snapshot
    assert snapshot_for(page.snapshots, as_of) == snapshot


def test_trend_runs_over_every_snapshot_up_to_the_one_shown(demo: Session) -> None:
    page = workforce_view(session=demo, rounded=False)
    assert [r.as_of for r in page.trend] == [S2018, S2019, S2020, S2021]
    assert {r.series for r in page.trend} == {"All faculties"}
    assert [r.fte for r in page.trend] == [1045.0, 1071.1, 1092.7, 1099.1]
    assert [r.headcount for r in page.trend] == [1101, 1132, 1159, 1166]
    assert page.trend[0].pct_female == 47.8 and page.trend[0].female + page.trend[0].male <= 1101
    assert page.trend_rows()[0] == {
        "Snapshot": S2018,
        "Series": "All faculties",
        "FTE": 1045.0,
        "Headcount": 1101,
        "Female": page.trend[0].female,
        "Male": page.trend[0].male,
        "% female": "47.8%",
    }
    assert len(page.charts[3].figure.data[0].x) == 4 and len(page.charts[4].figure.data[0].x) == 4
    assert page.charts[3].summary.startswith(
        "Technical staff FTE went from 1,045 at 31 Jul 2018 to 1,099.1 at 31 Jul 2021 (4 snapshots)."
    )
    earlier = workforce_view(session=demo, as_of=S2019)
    assert [r.as_of for r in earlier.trend] == [S2018, S2019]
    assert earlier.previous == S2018 and earlier.fte_change == 1070 - 1045


def test_faculty_filter_limits_tables_and_adds_trend_series(demo: Session) -> None:
    page = workforce_view(session=demo, rounded=False, faculty=(ENG,))
    assert page.selected == (ENG,)
    assert [r.faculty for r in page.table1] == [ENG, "Total (selected faculties)"]
    assert page.fte == 154.3 and page.headcount == 161
    assert page.pct_female == 21.1
    assert [f.faculty for f in page.flags] == [ENG]
    series = [r.series for r in page.trend]
    assert series.count("All faculties") == 4 and series.count(ENG) == 4
    assert [r.fte for r in page.trend if r.series == ENG] == [150.0, 154.3, 156.9, 154.3]
    assert sum(r.headcount for r in page.gender_by_grade[:-1]) == 161
    assert page.previous == S2020 and page.fte_change == pytest.approx(154.3 - 156.9)
    assert page.charts[0].summary.startswith("154.3 technical staff FTE at 31 Jul 2021 across 1 selected faculty;")
    assert len(page.charts[3].figure.data) == 2  # all faculties, and Engineering Sciences


def test_choices_list_every_snapshot_and_faculty(demo: Session) -> None:
    choices = workforce_choices(session=demo)
    assert choices["snapshots"] == [S2018, S2019, S2020, S2021]
    assert len(choices["faculties"]) == 11 and choices["faculties"] == sorted(choices["faculties"])


def test_charts_have_summaries_data_and_the_tracker_template(demo: Session) -> None:
    page = workforce_view(session=demo, as_of=S2018)
    assert [c.title for c in page.charts] == [
        "Technical staff FTE by faculty",
        "Gender balance by faculty",
        "Gender balance by grade",
        "Technical staff FTE over time",
        "Women's share of headcount over time",
    ]
    for chart in page.charts:
        assert chart.figure.layout.template.layout.colorway, chart.title  # the tracker template, set on the figure
        assert chart.summary.endswith(".") and chart.data
        assert "HESA" in chart.summary
    fte = page.charts[0]
    assert fte.summary.startswith(
        "1,045 technical staff FTE at 31 Jul 2018 across 11 faculties; Life Sciences is largest (210 FTE)."
    )
    assert fte.figure.data[0].y[0] == "Life Sciences"  # sorted, largest first (drawn at the top)
    assert [r["FTE"] for r in fte.data] == sorted((r["FTE"] for r in fte.data), reverse=True)
    balance = page.charts[1]
    female = next(t for t in balance.figure.data if t.name == "Female")
    eng = list(female.y).index(ENG)
    assert female.x[eng] == 18.7 and female.text[eng] == f"19% {SEX_SHORT['Female']}"
    exact = workforce_view(session=demo, as_of=S2018, rounded=False)
    assert all("HESA" not in c.summary for c in exact.charts)


# --- small hand-made data -------------------------------------------------------------------------------


def test_empty_database_gives_no_snapshot(db: Session) -> None:
    page = workforce_view(session=db)
    assert page.snapshot is None and page.snapshots == [] and page.charts == [] and page.table1 == []
    assert workforce_choices(session=db) == {"snapshots": [], "faculties": []}


def test_percentages_come_from_exact_figures_and_totals_from_exact_totals(db: Session) -> None:
    _add(
        db,
        [
            ("Alpha", "Grade 6", "Female", 11.5, 12),
            ("Alpha", "Grade 6", "Male", 12.5, 13),
            ("Beta", "Grade 10", "Female", 2.4, 2),
            ("Gamma", "Grade 9", "Male", 2.4, 1),
        ],
    )
    rounded = workforce_view(session=db)
    exact = workforce_view(session=db, rounded=False)
    alpha = _by(rounded.gender_by_faculty_rows(), "Faculty")["Alpha"]
    # 12 and 13 round to 10 and 15, but 12 of 25 is 48%, not 40%.
    assert (alpha["Female"], alpha["Male"], alpha["Headcount"], alpha["% female"]) == (10, 15, 25, "48.0%")
    assert _by(rounded.gender_by_faculty_rows(), "Faculty")["Beta"]["% female"] == ".."
    fte = _by(rounded.table1_rows(), "Faculty")
    assert (fte["Alpha"]["FTE"], fte["Beta"]["FTE"], fte["Gamma"]["FTE"]) == (25, 0, 0)
    # 24 + 2.4 + 2.4 = 28.8 exact: the total is 30, not the 25 the rounded parts add up to.
    assert exact.fte == 28.8 and rounded.fte == 30 and fte["Total"]["FTE"] == 30
    assert rounded.headcount == 30 and exact.headcount == 28
    assert rounded.pct_female == exact.pct_female == 50.0  # 14 of 28
    assert "Other" not in alpha and "Not known" not in alpha  # no such staff: no empty columns
    assert [r.name for r in exact.gender_by_grade] == ["Grade 6", "Grade 9", "Grade 10", "Total"]
    assert [r["Grade"] for r in exact.gender_by_grade_rows()] == ["Grade 6", "Grade 9", "Grade 10", "Total"]


def test_threshold_boundary_and_other_sexes(db: Session) -> None:
    _add(
        db,
        [
            ("Exactly", "", "Male", 21, 21),
            ("Exactly", "", "Female", 9, 9),
            ("Mixed", "G1", "Female", 20, 20),
            ("Mixed", "G1", "Male", 5, 5),
            ("Mixed", "G1", "Not known", 5, 5),
            ("Mixed", "G1", "Other", 1, 1),
        ],
    )
    at_70 = workforce_view(session=db, threshold=0.7)
    assert [(f.faculty, f.sex, f.text) for f in at_70.flags] == [("Exactly", "Male", "70.0% male")]
    assert workforce_view(session=db, threshold=0.71).flags == []
    # 20 of 31 is 64.5%: Not known and Other count in the population but are never the dominant sex.
    mixed = _by(at_70.gender_by_faculty_rows(), "Faculty")["Mixed"]
    assert mixed["% female"] == "64.5%" and mixed["Not known"] == 5 and mixed["Other"] == 0
    assert workforce_view(session=db, threshold=0.6).flags[-1].faculty == "Mixed"
    assert [r.name for r in at_70.gender_by_grade] == ["G1", NO_GRADE, "Total"]


def test_a_single_snapshot_says_there_is_no_trend_yet(db: Session) -> None:
    _add(db, [("Alpha", "G1", "Female", 30, 30)])
    page = workforce_view(session=db)
    assert page.previous is None and page.fte_change is None
    assert len(page.trend) == 1
    assert "Only one snapshot is loaded" in page.charts[3].summary


def test_changes_since_the_previous_snapshot(db: Session) -> None:
    _add(db, [("Alpha", "G1", "Female", 30, 30), ("Alpha", "G1", "Male", 30, 30)], as_of=date(2023, 7, 31))
    _add(db, [("Alpha", "G1", "Female", 40, 40), ("Alpha", "G1", "Male", 30, 30)], as_of=date(2024, 7, 31))
    page = workforce_view(session=db)
    assert page.snapshot == date(2024, 7, 31) and page.previous == date(2023, 7, 31)
    assert (page.fte_change, page.headcount_change, page.pct_female_change) == (10, 10, 7.1)  # 57.1% - 50.0%
