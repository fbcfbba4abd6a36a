"""Accessibility as a test: axe-core 4 in Chromium on every page, for every role, and on the sign-in page.

UK universities are bound by the public-sector accessibility regulations (WCAG 2.2 AA). axe-core (npm, versions
from tests/axe/package-lock.json, installed by `make test` and `.ci/run`: `npm ci --prefix tests/axe`) is
injected by Playwright into each page as that role sees it on the demo data, and run with the WCAG 2.0, 2.1 and
2.2 A and AA rules; a serious or critical violation fails the test, named with its rule, the elements and axe's
own explanation. No rule is muted: what the app causes is fixed in the theme (`.streamlit/config.toml`) or in
the app's one stylesheet (`assets/app.css`). A run in which axe did not check the page (not injected, another
engine, no rule evaluated, the text's contrast not looked at) fails too, so a broken set-up cannot pass.

The roles are the demo's administrator, board member, viewer and a lead who owns an action (so sees Upload and
Uploads). The sign-in page is checked empty and again showing its refusal.

The keyboard test tabs through every page, main area and sidebar, as someone without a mouse does: every visible
control must take the focus from Tab, and a control taken out of the tab order (tabindex -1) is allowed only
where the keyboard reaches its function another way (the "Open" button of a select box, whose input opens the
list from the keyboard; the tabs of a tab bar and the buttons of a radio group, reached with the arrow keys from
the selected one).

Screenshots of every page for every role go to artifacts/screenshots/a11y-<role>-<page>.png.
Without axe-core (no Node.js) these tests skip, unless TRACKER_REQUIRE_BROWSER=1 (CI), when they fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("tests.browser_util")  # before the import: it is also this module's plugin
from tests.browser_util import (  # noqa: E402
    MAIN,
    ROOT,
    SIDEBAR,
    AppPage,
    Login,
    Server,
    app_pages,
    demo_site,
    new_context,
    new_password,
    screenshot,
    show,
    sign_in_all,
    sign_in_form,
    submit_sign_in,
    wait_until_drawn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.browser_util"]  # chromium, browser

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

# One demo account per role (tracker/demo.py). The lead owns an action (checked below), so has Upload and Uploads.
ROLES = {
    "admin": "admin@demo.ac.uk",
    "board": "board@demo.ac.uk",
    "viewer": "viewer@demo.ac.uk",
    "lead": "apprentices.lead@demo.ac.uk",
}
PAGES = app_pages()
# Pages each role must be offered (beyond the six every role reads); the administrator has every page.
ROLE_PAGES = {"board": {"Board report"}, "lead": {"Upload", "Uploads"}, "viewer": set()}


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: list[str]
    summary: str

    def __str__(self) -> str:
        where = "; ".join(self.targets[:5]) + (f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else "")
        return f"{self.rule} ({self.impact}): {self.help}\n    at {where}\n    {self.summary}"


def axe_available() -> Path:
    if not AXE.exists():
        message = "axe-core is not installed: npm ci --prefix tests/axe (make test does it)"
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE


def run_axe(tab: Page) -> list[Violation]:
    """axe-core on the page as drawn; every violation of the WCAG A/AA rules, with its nodes. Fails unless axe
    really checked the page: axe-core 4, with rules evaluated and the page's text contrast among them."""
    if not tab.evaluate("() => typeof window.axe !== 'undefined'"):
        tab.add_script_tag(path=str(axe_available()))
    raw: dict[str, Any] = tab.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    engine = raw.get("testEngine") or {}
    assert engine.get("name") == "axe-core" and str(engine.get("version", "")).startswith("4."), engine
    checked = {r["id"] for kind in ("passes", "violations", "incomplete") for r in raw.get(kind, [])}
    assert len(checked) >= 10 and "color-contrast" in checked, f"axe evaluated only {sorted(checked)} at {tab.url}"
    found = []
    for v in raw["violations"]:
        nodes = v["nodes"]
        found.append(
            Violation(
                rule=v["id"],
                impact=v.get("impact") or "",
                help=v["help"],
                targets=[" ".join(map(str, n["target"])) for n in nodes],
                summary=(nodes[0].get("failureSummary") or "").replace("\n", " ") if nodes else "",
            )
        )
    return found


def failing(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in FAILING_IMPACTS]


@pytest.fixture(scope="module")
def site(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    """One server on the demo data; every role's account gets a password made for this run."""
    axe_available()
    with demo_site("a11y", tmp_path_factory.mktemp("a11y"), ROLES.values()) as demo:
        _assert_the_lead_owns_an_action(demo.db_url)
        yield demo.server, demo.passwords


def _assert_the_lead_owns_an_action(url: str) -> None:
    from sqlmodel import Session

    from tracker.db import make_engine
    from tracker.users import owned_refs

    engine = make_engine(url)
    try:
        with Session(engine) as s:
            assert owned_refs(session=s, email=ROLES["lead"]), f"{ROLES['lead']} owns no action in the demo"
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def tabs(browser: Browser, site: tuple[Server, dict[str, str]]) -> Iterator[dict[str, Page]]:
    """A signed-in tab per role (each its own context, so its own Streamlit session), signed in side by side."""
    server, passwords = site
    contexts = {role: new_context(browser) for role in ROLES}
    try:
        tabs = {role: ctx.new_page() for role, ctx in contexts.items()}
        sign_in_all(*(Login(tabs[r], server.url, ROLES[r], passwords[ROLES[r]]) for r in ROLES))
        yield tabs
    finally:
        for ctx in contexts.values():
            ctx.close()


def visible_pages(tab: Page) -> list[AppPage]:
    """The pages this role's sidebar offers, by their link labels."""
    labels = set(tab.locator(f'{SIDEBAR} [data-testid="stSidebarNavLink"]').all_inner_texts())
    names = {label.split("\n")[-1].strip() for label in labels}
    return [p for p in PAGES if p.title in names]


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_accessibility_violation_on_any_page(tabs: dict[str, Page], site: Any, role: str) -> None:
    server, _ = site
    tab = tabs[role]
    tab.bring_to_front()
    pages = visible_pages(tab)
    titles = {p.title for p in pages}
    if role == "admin":
        assert titles == {p.title for p in PAGES}, f"the administrator sees only {sorted(titles)}"
    else:
        assert len(pages) >= 6 and ROLE_PAGES[role] <= titles, f"{role} sees only {sorted(titles)}"
    problems: dict[str, list[Violation]] = {}
    for app_page in pages:
        show(tab, server.url, app_page)
        screenshot(tab, f"a11y-{role}-{app_page.name}")
        found = failing(run_axe(tab))
        if found:
            problems[app_page.path] = found
    report = "\n".join(f"{path}:\n  " + "\n  ".join(map(str, vs)) for path, vs in problems.items())
    assert not problems, f"axe-core found serious or critical violations for the {role}:\n{report}"


def test_no_serious_accessibility_violation_on_the_sign_in_page(browser: Browser, site: Any) -> None:
    """The sign-in form as a visitor first sees it, and again with its refusal shown."""
    from playwright.sync_api import expect

    server, _ = site
    context = new_context(browser)
    try:
        tab = context.new_page()
        tab.goto(server.url)
        sign_in_form(tab).wait_for(state="visible")
        wait_until_drawn(tab)
        screenshot(tab, "a11y-signed-out-sign-in")
        found = failing(run_axe(tab))
        assert not found, "axe-core on the sign-in page:\n" + "\n".join(map(str, found))
        submit_sign_in(tab, "nobody@example.ac.uk", new_password())  # no such account: the refusal
        expect(tab.locator(f'{MAIN} [data-testid="stAlert"]').first).to_be_visible()
        screenshot(tab, "a11y-signed-out-refused")
        found = failing(run_axe(tab))
        assert not found, "axe-core on the sign-in page's refusal:\n" + "\n".join(map(str, found))
    finally:
        context.close()


# Every visible control in the main area and the sidebar, numbered in a data-kb attribute (so the Tab walk can
# name what it reached), with why one out of the tab order may be so.
_MARK_CONTROLS = """([roots]) => {
  const interactive = ['a[href]', 'button', 'input', 'select', 'textarea', 'summary', '[role=button]', '[role=link]',
    '[role=tab]', '[role=combobox]', '[role=checkbox]', '[role=switch]', '[role=radio]', '[role=spinbutton]',
    '[role=slider]', '[role=menuitem]'].join(', ');
  // Anything else the page put in the tab order counts too; what it took out of it (tabindex -1) is no control.
  const selector = interactive + ', [tabindex]:not([tabindex^="-"])';
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true}) && !el.disabled
      && el.getAttribute('aria-disabled') !== 'true' && !el.closest('[aria-hidden=true], [inert]');
  };
  const reachable = (el) => el && el.tabIndex >= 0 && shown(el);
  const why = (el) => {
    const tablist = el.getAttribute('role') === 'tab' && el.closest('[role=tablist]');
    if (tablist && [...tablist.querySelectorAll('[role=tab]')].some(reachable)) return 'tab: arrow keys';
    const group = el.getAttribute('aria-haspopup') && el.closest('[role=group]');
    if (group && [...group.querySelectorAll('[role=combobox]')].some(reachable)) return 'opens from its combobox';
    const radios = el.type === 'radio' && el.name
      && document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`);
    if (radios && [...radios].some(reachable)) return 'radio: arrow keys';
    return '';
  };
  const controls = [];
  for (const root of roots) {
    for (const el of document.querySelectorAll(root + ' :is(' + selector + ')')) {
      if (!shown(el)) continue;
      const kb = String(controls.length);
      el.dataset.kb = kb;
      controls.push({kb, tag: el.tagName, role: el.getAttribute('role') || '', tabindex: el.tabIndex,
        label: (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 60),
        where: el.closest('[data-testid^=st]')?.dataset.testid || '', why: el.tabIndex < 0 ? why(el) : ''});
    }
  }
  return controls;
}"""
# Records the data-kb number of every control that takes the focus from now on.
_RECORD_FOCUS = """() => {
  window.__kbReached = new Set();
  if (!window.__kbListening) {
    document.addEventListener('focusin', (e) => {
      const kb = e.target.closest?.('[data-kb]')?.dataset.kb;
      if (kb !== undefined) window.__kbReached?.add(kb);
    }, true);
    window.__kbListening = true;
  }
  document.activeElement?.blur();
}"""


def tab_through(tab: Page, wanted: set[str]) -> set[str]:
    """Press Tab from the top of the document until every control in `wanted` has had the focus (or a generous
    number of presses has gone by); the data-kb numbers of the controls the focus reached."""
    tab.evaluate(_RECORD_FOCUS)
    reached: set[str] = set()
    presses = 0
    while presses < 3 * len(wanted) + 30 and not wanted <= reached:
        for _ in range(10):
            tab.keyboard.press("Tab")
        presses += 10
        reached = set(tab.evaluate("() => [...window.__kbReached]"))
    return reached


def test_the_keyboard_reaches_every_control(tabs: dict[str, Page], site: Any) -> None:
    """On each page (as the administrator, who sees them all), main area and sidebar, every visible control takes
    the focus from Tab, and none is out of the tab order without another way in from the keyboard."""
    server, _ = site
    tab = tabs["admin"]
    tab.bring_to_front()
    problems: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for app_page in PAGES:
        show(tab, server.url, app_page)
        controls: list[dict[str, Any]] = tab.evaluate(_MARK_CONTROLS, [[MAIN, SIDEBAR]])
        assert sum(c["where"] == "stSidebarNavLink" for c in controls) == len(PAGES), f"{app_page.path}: {controls}"
        blocked = [c for c in controls if c["tabindex"] < 0 and not c["why"]]
        wanted = {c["kb"] for c in controls if c["tabindex"] >= 0}
        reached = tab_through(tab, wanted)
        missed = [c for c in controls if c["kb"] in wanted - reached]
        if blocked or missed:
            problems[app_page.path] = {"out of the tab order": blocked, "not reached by Tab": missed}
    assert not problems, "controls the keyboard cannot reach:\n" + json.dumps(problems, indent=1)
