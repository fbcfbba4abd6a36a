"""There is always an administrator: the last one cannot be demoted or removed (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tracker.auth import actor_for
from tracker.users import UserError, add_user, list_users, remove_user


def _roles(s: Session) -> dict[str, str]:
    return {str(u["email"]): str(u["role"]) for u in list_users(session=s)}


@pytest.mark.parametrize("new_role", ["lead", "board", "viewer"])
def test_the_last_administrator_cannot_be_demoted(engine: Engine, new_role: str) -> None:
    with Session(engine) as s:
        add_user(session=s, email="only.admin@uni.ac.uk", role="admin")
        add_user(session=s, email="viewer@uni.ac.uk", role="viewer")
        s.commit()
        with pytest.raises(UserError, match=r"only\.admin@uni\.ac\.uk is the only administrator"):
            add_user(session=s, email="only.admin@uni.ac.uk", role=new_role)
        s.rollback()
        assert _roles(s) == {"only.admin@uni.ac.uk": "admin", "viewer@uni.ac.uk": "viewer"}


def test_an_administrator_with_a_colleague_can_be_demoted(engine: Engine) -> None:
    with Session(engine) as s:
        add_user(session=s, email="a@uni.ac.uk", role="admin")
        add_user(session=s, email="b@uni.ac.uk", role="admin")
        add_user(session=s, email="a@uni.ac.uk", role="viewer")
        s.commit()
        assert _roles(s) == {"a@uni.ac.uk": "viewer", "b@uni.ac.uk": "admin"}
        # b is now the last one
        with pytest.raises(UserError, match="only administrator"):
            add_user(session=s, email="b@uni.ac.uk", role="board")


def test_the_last_administrator_cannot_be_removed_even_from_the_command_line(engine: Engine) -> None:
    with Session(engine) as s:
        add_user(session=s, email="only.admin@uni.ac.uk", role="admin")
        s.commit()
        with pytest.raises(UserError, match="before removing them"):
            remove_user(session=s, email="only.admin@uni.ac.uk")  # actor: SYSTEM, the CLI without --as
        s.rollback()
        assert actor_for(session=s, email="only.admin@uni.ac.uk") is not None


def test_an_administrator_removes_another(engine: Engine) -> None:
    with Session(engine) as s:
        add_user(session=s, email="a@uni.ac.uk", role="admin")
        add_user(session=s, email="b@uni.ac.uk", role="admin")
        s.commit()
        me = actor_for(session=s, email="a@uni.ac.uk")
        assert me is not None
        remove_user(session=s, email="b@uni.ac.uk", actor=me)
        s.commit()
        assert _roles(s) == {"a@uni.ac.uk": "admin"}


def test_renaming_the_last_administrator_is_not_a_demotion(engine: Engine) -> None:
    with Session(engine) as s:
        add_user(session=s, email="a@uni.ac.uk", role="admin")
        user, _ = add_user(session=s, email="a@uni.ac.uk", role="admin", name="Ada")
        s.commit()
        assert (user.name, user.role) == ("Ada", "admin")
