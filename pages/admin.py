"""Admin: users and roles — add, change role and owned actions, reset a password, remove; the working group and
the technician definition (administrators only)."""

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

from pages.common import db_session, require_actor, sso_configured, view
from tracker.auth import ROLE_CAN, PermissionDenied
from tracker.group import MEMBER_COLUMNS, GroupError, list_group, member_edits, member_rows, save_group
from tracker.history import change_counts
from tracker.models import ROLES
from tracker.profile import MAX_TEXT, get_text, set_text
from tracker.queries import list_actions
from tracker.text import literal
from tracker.users import add_user, assign_actions, list_users, owned_refs, remove_user, set_password, unassign_actions
from tracker.views.group import representation

actor = require_actor()
st.title("Admin")
# The navigation offers this page to administrators only; tracker checks again on every call below.
if not actor.can("manage_users"):
    st.error(f"You are signed in as a {actor.role}: {ROLE_CAN[actor.role]}, but only an administrator manages users.")
    st.stop()

FLASH = "admin_flash"
# The forms' starting values. They are set through Session State (not the widgets' own defaults) so that after a
# change they can be put back: the browser keeps what was typed unless the server sets the value.
FRESH: dict[str, Any] = {
    "add_email": "",
    "add_name": "",
    "add_role": "viewer",
    "add_actions": [],
    "add_generate": True,
    "chg_user": None,
    "rst_user": None,
    "rm_user": None,
    "rm_confirm": False,
}


def done(message: str, password: str | None = None) -> None:
    """Remember the result (and a generated password, to be shown once) and rerun with fresh forms."""
    st.session_state[FLASH] = {"message": message, "password": password}
    st.rerun()


def attempt(fn: Callable[[Session], Any]) -> tuple[bool, Any]:
    """Run `fn` in one transaction: (True, its result), or (False, None) after showing why nothing was written."""
    try:
        with db_session() as s:
            result = fn(s)
            s.commit()
    except (PermissionDenied, ValueError) as exc:  # UserError is a ValueError, as is a weak password
        st.error(f"Not done: {literal(exc)}")  # the message may quote the email or name typed
        return False, None
    return True, result


# The result of the last change: shown on this run only. A generated password is never stored in clear, so
# this is the one time anyone can see it.
flash = st.session_state.pop(FLASH, None)
for key, value in FRESH.items():
    if flash or key not in st.session_state:
        st.session_state[key] = value
if flash:
    st.session_state.pop("chg_loaded", None)
    st.success(flash["message"])
    if flash["password"]:
        st.code(flash["password"], language=None)

try:
    with db_session() as session:
        users = list_users(session=session, actor=actor)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
by_email = {str(u["email"]): u for u in users}
emails = list(by_email)
plan_refs = [a.ref for a in view(list_actions, include_withdrawn=False)]


def owned(email: str) -> list[str]:
    return [str(r) for r in by_email[email]["actions"]]  # type: ignore[attr-defined]


def owned_now(email: str) -> list[str]:
    """What `email` owns in the current plan: the form assigns and unassigns there, and an earlier plan's action
    with the same ref is not the one the form shows."""
    with db_session() as s:
        return owned_refs(session=s, email=email)


# --- who has an account ----------------------------------------------------------------------------------

st.subheader("Users")
st.dataframe(
    [
        {
            "Email": u["email"],
            "Name": u["name"],
            "Role": u["role"],
            "Actions owned": ", ".join(owned(str(u["email"]))),
            "Has password": u["has_password"],
        }
        for u in users
    ],
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(users), 640),  # every user at once, up to about 17
    column_config={
        "Has password": st.column_config.CheckboxColumn(
            "Has password", help="Without one, the user can sign in only through single sign-on"
        )
    },
)
st.caption(f"{len(users)} users.")
ROLE_HELP = "  \n".join(f"**{r}**: {ROLE_CAN[r]}" for r in ROLES)

left, right = st.columns(2, gap="large")

# --- add -------------------------------------------------------------------------------------------------

with left:
    st.subheader("Add a user")
    with st.form("add_user"):
        email = st.text_input("Email", key="add_email", placeholder="name@university.ac.uk")
        name = st.text_input("Name", key="add_name")
        role = st.selectbox("Role", ROLES, key="add_role", help=ROLE_HELP)
        refs = st.multiselect(
            "Actions owned (leads)",
            plan_refs,
            key="add_actions",
            help="A lead given none is matched to the plan's owners by name",
        )
        generate = st.checkbox(
            "Generate a password",
            key="add_generate",
            help="Off: the user can sign in only through single sign-on",
        )
        add_clicked = st.form_submit_button("Add user", type="primary")
    if add_clicked:
        if email.strip().lower() in by_email:
            taken = literal(email.strip().lower())
            st.error(f"Not done: {taken} already has an account: change it under 'Change a user'.")
        else:

            def add(s: Session) -> tuple[str, str | None]:
                password = "generate" if generate else None
                user, made = add_user(
                    session=s, email=email, name=name.strip(), role=role, actions=refs, password=password, actor=actor
                )
                return f"{literal(user.email)} ({user.role})", made

            ok, added = attempt(add)
            if ok:
                who_added, password = added
                if password:
                    message = f"Added {who_added}. Their password is shown once, below: copy it now."
                elif sso_configured():
                    message = f"Added {who_added}. They sign in through single sign-on."
                else:
                    message = (
                        f"Added {who_added} without a password. Single sign-on is not configured here, so they "
                        "cannot sign in until you reset their password."
                    )
                done(message, password)

# --- change role, name and owned actions ------------------------------------------------------------------

with right:
    st.subheader("Change a user")
    st.caption("Their role, name and the actions they own; a change applies from their next click.")
    chosen = st.selectbox("User", emails, key="chg_user", placeholder="Choose a user")
    if chosen is not None:
        if st.session_state.get("chg_loaded") != chosen:  # a new choice: start from what they have now
            st.session_state["chg_name"] = by_email[chosen]["name"]
            st.session_state["chg_role"] = by_email[chosen]["role"]
            st.session_state["chg_actions"] = [r for r in owned_now(chosen) if r in plan_refs]
            st.session_state["chg_loaded"] = chosen
        new_name = st.text_input("Name", key="chg_name")
        new_role = st.selectbox("Role", ROLES, key="chg_role", help=ROLE_HELP)
        new_refs = st.multiselect("Actions owned (leads)", plan_refs, key="chg_actions")
        if st.button("Save changes", key="chg_save", type="primary"):
            have = {r for r in owned_now(chosen) if r in plan_refs}
            want = set(new_refs)
            if new_role == by_email[chosen]["role"] and new_name == by_email[chosen]["name"] and want == have:
                st.info("Nothing to change.")
            else:

                def change(s: Session, email: str = chosen) -> list[str]:
                    add_user(session=s, email=email, role=new_role, name=new_name.strip(), actor=actor)
                    now = set(assign_actions(session=s, email=email, refs=sorted(want), actor=actor))
                    # add_user matches a lead with no actions to the plan's owners by name: keep the choice.
                    extra = sorted((now & set(plan_refs)) - want)
                    return unassign_actions(session=s, email=email, refs=extra, actor=actor)

                ok, result = attempt(change)
                if ok:
                    done(f"Saved {literal(chosen)}: {new_role}, owning {literal(', '.join(result)) or 'no actions'}.")

# --- reset a password, remove -----------------------------------------------------------------------------

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Reset a password")
    st.caption("A new password is generated and shown once; the old one stops working at once.")
    who = st.selectbox("User", emails, key="rst_user", placeholder="Choose a user")
    reset_clicked = st.button("Reset password", key="rst_go", disabled=not who)
    if reset_clicked and who is not None:
        target: str = who
        ok, new = attempt(lambda s: set_password(session=s, email=target, password=None, actor=actor))
        if ok:
            done(f"New password for {literal(who)}: it is shown once, below. Copy it now.", new)

with right:
    st.subheader("Remove a user")
    st.caption("Their uploads and audit entries stay; they can no longer sign in.")
    gone = st.selectbox("User", emails, key="rm_user", placeholder="Choose a user")
    sure = st.checkbox("Yes, remove this account", key="rm_confirm", disabled=not gone)
    remove_clicked = st.button("Remove user", key="rm_go", disabled=not (gone and sure))
    if remove_clicked and gone is not None and sure:
        leaving: str = gone
        ok, _ = attempt(lambda s: remove_user(session=s, email=leaving, actor=actor))
        if ok:
            done(f"Removed {literal(gone)}.")

# --- the working group and the technician definition ------------------------------------------------------

st.subheader("Working group")
st.caption(
    "The Technician Commitment working group (the technician voice). Edit a row, add one at the bottom, or delete "
    "one: a deleted member is kept with today as the day they left. Faculties are matched to the HR extract's."
)
if flash:  # after a save, the table and the text start again from what is held
    st.session_state.pop("group_editor", None)
    st.session_state.pop("tech_definition", None)
with db_session() as session:
    group_rows = member_rows(list_group(session=session))
    group_rep = representation(session=session, actor=actor)
for row in group_rep.unmatched:  # a faculty as written that the HR extract does not have: correct it below
    st.markdown(f"⚠ {literal(row.text)}")
edited = st.data_editor(
    group_rows,
    key="group_editor",
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * (len(group_rows) + 1) + 3, 640),  # every member and the row to add one, up to about 16
    column_order=list(MEMBER_COLUMNS),
    column_config={
        "id": None,
        "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
        "job_title": st.column_config.TextColumn("Job title", max_chars=200),
        "faculty": st.column_config.TextColumn("Faculty", max_chars=200),
        "technician": st.column_config.CheckboxColumn("Technician", default=True),
        "joined": st.column_config.DateColumn("Joined", format="D MMM YYYY"),
        "left": st.column_config.DateColumn("Left", format="D MMM YYYY"),
    },
)
if st.button("Save working group", key="group_save", type="primary"):
    try:
        edits = member_edits(edited)
    except GroupError as exc:
        st.error(f"Not done: {literal(exc)}")
    else:
        ok, saved = attempt(lambda s: save_group(session=s, actor=actor, members=edits))
        if ok:
            done(f"Working group saved: {literal(change_counts([c.as_dict() for c in saved]))}.")

st.subheader("Technician definition")
with db_session() as session:
    definition = get_text(session=session, key="technician_definition")
new_definition = st.text_area(
    "How the institution defines a technician (for the self-assessment)",
    value=definition,
    key="tech_definition",
    height=120,
    max_chars=MAX_TEXT,
)
if st.button("Save definition", key="tech_definition_save"):
    ok, changed = attempt(lambda s: set_text(session=s, actor=actor, key="technician_definition", text=new_definition))
    if ok:
        done("Technician definition saved." if changed else "The definition was already that: nothing changed.")
