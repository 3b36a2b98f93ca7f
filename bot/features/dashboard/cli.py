"""``hanya user``: dashboard accounts and partner API tokens from the command line.

Access codes and tokens are printed once and never stored in clear: hand them over in person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.settings import get_settings
from bot.core.store import Store
from bot.features.dashboard import auth
from bot.features.dashboard.models import ROLES, ApiToken, DashboardUser

app = typer.Typer(help="Dashboard accounts (identifier + access code) and API tokens.",
                  no_args_is_help=True)
console = Console()


def _store() -> Store:
    return Store(get_settings().database_url)


@app.command("add")
def add(identifier: str,
        role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "officer") -> None:
    """Create an account and print its access code (shown only this once)."""
    store = _store()
    try:
        with store.session() as session:
            user, code = auth.create_user(session, identifier, role)
            auth.audit(session, None, "user.add", object_type="user", object_id=user.id,
                       detail=f"{role} (command line)")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        store.dispose()
    console.print(f"{identifier} ({role}) created. Access code, shown only now:")
    typer.echo(code)


@app.command("token")
def token(identifier: str) -> None:
    """Issue a read-only API bearer token for ``/api/v1`` (shown only this once)."""
    store = _store()
    try:
        with store.session() as session:
            user = session.scalar(select(DashboardUser).where(
                DashboardUser.identifier == identifier))
            if user is None:
                raise typer.BadParameter(f"no account {identifier!r}")
            value = auth.issue_api_token(session, user)
            auth.audit(session, None, "token.issue", object_type="user", object_id=user.id)
    finally:
        store.dispose()
    console.print(f"API token for {identifier}, shown only now (Authorization: Bearer ...):")
    typer.echo(value)


@app.command("revoke")
def revoke(identifier: str,
           token_id: Annotated[int | None, typer.Option("--token", help="only this token "
                                                        "(its number in `hanya user tokens`)")]
           = None) -> None:
    """Revoke an account's API tokens (all of them, or one): they stop working at once."""
    store = _store()
    try:
        with store.session() as session:
            user = _user(session, identifier)
            revoked = auth.revoke_api_tokens(session, user, token_id)
            auth.audit(session, None, "token.revoke", object_type="user", object_id=user.id,
                       detail=f"{revoked} revoked (command line)")
    finally:
        store.dispose()
    console.print(f"{revoked} API token(s) of {identifier} revoked.")


@app.command("tokens")
def tokens(identifier: str) -> None:
    """An account's API tokens: number, dates, state (never the tokens themselves)."""
    store = _store()
    try:
        with store.session() as session:
            rows = session.scalars(select(ApiToken).where(
                ApiToken.user_id == _user(session, identifier).id).order_by(ApiToken.id)).all()
            settings = get_settings()
            table = Table("token", f"issued ({settings.zone_city})",
                          f"last used ({settings.zone_city})", "state")
            for t in rows:
                table.add_row(str(t.id), _time(t.created_at),
                              _time(t.last_used_at) if t.last_used_at else "",
                              "revoked" if t.revoked else "live")
    finally:
        store.dispose()
    console.print(table)


def _time(moment: datetime) -> str:
    """In Niamey time (HANYA_TIMEZONE), as on the pages; the column names the zone."""
    return get_settings().shown_time(moment, named=False)


def _user(session: Session, identifier: str) -> DashboardUser:
    user = session.scalar(select(DashboardUser).where(DashboardUser.identifier == identifier))
    if user is None:
        raise typer.BadParameter(f"no account {identifier!r}")
    return user


@app.command("list")
def list_users() -> None:
    """Accounts, their roles and states (never codes or hashes)."""
    store = _store()
    try:
        with store.session() as session:
            users = session.scalars(select(DashboardUser).order_by(DashboardUser.identifier))
            table = Table("identifier", "role", "state",
                          f"last sign-in ({get_settings().zone_city})")
            for u in users:
                state = "active" if u.active else "deactivated"
                table.add_row(u.identifier, u.role, state,
                              _time(u.last_sign_in_at) if u.last_sign_in_at else "")
    finally:
        store.dispose()
    console.print(table)
