"""``hanya committee``: create watch committees, invite members with one-time codes, list and
revoke members. Members are shown by pseudonym only: no phone number or chat id is printed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.orm import Session

from bot.core.content import load_content
from bot.core.crypto import vault_from_settings
from bot.core.settings import Settings, get_settings
from bot.core.store import Store
from bot.features.committees import admin as committee_admin
from bot.features.committees.models import Committee, find_committee
from bot.features.dashboard import auth

app = typer.Typer(help="Watch committees: create, invite, members, revoke.",
                  no_args_is_help=True)
console = Console()


def parse_duration(text: str) -> timedelta:
    """"7d", "12h", "30m", "2w" -> a timedelta."""
    try:
        return committee_admin.parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _settings() -> Settings:
    return get_settings()


def _store() -> Store:
    return Store(_settings().database_url)


def _committee(session: Session, name: str) -> Committee:
    found = find_committee(session, name)
    if found is None:
        raise typer.BadParameter(f"no committee {name!r}: give its slug, id, name or point "
                                 "(see `hanya committee list`)")
    return found


@app.command()
def create(point: Annotated[str, typer.Option(help="point id from content/points.yaml")],
           name: Annotated[str, typer.Option(help="the committee's name")],
           slug: Annotated[str | None, typer.Option(help="short name for the CLI")] = None,
           ) -> None:
    """Create a committee at POINT."""
    settings = _settings()
    content = load_content(settings.content_dir, settings.locales_dir)
    store = _store()
    try:
        with store.session() as session:
            committee = committee_admin.create_committee(session, content, point=point,
                                                         name=name, slug=slug)
            auth.audit(session, auth.terminal_actor(), "committee.add", object_type="committee",
                       object_id=committee.id, detail=committee.slug)
            place = content.points[committee.point_id]
            console.print(f"committee [bold]{committee.slug}[/bold] created at {place.name} "
                          f"({place.region or 'outside Niger'}), id {committee.id}")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        store.dispose()


@app.command("list")
def list_committees() -> None:
    """Every committee with its number of active members."""
    store = _store()
    try:
        with store.session() as session:
            rows = committee_admin.committees_with_counts(session)
            # Slugs are what `invite` and `members` take: never cut them, however narrow.
            widest = max((len(c.slug) for c, _ in rows), default=4)
            table = Table("id", Column("slug", no_wrap=True, min_width=widest), "name", "point",
                          "region", "active members")
            for committee, members in rows:
                table.add_row(str(committee.id), committee.slug, committee.name,
                              committee.point_id, committee.region or "", str(members))
            console.print(table)
    finally:
        store.dispose()


@app.command()
def invite(committee: Annotated[str, typer.Argument(help="slug, id or name")],
           expires_in: Annotated[str, typer.Option(help="e.g. 7d, 12h")] = "7d") -> None:
    """Issue a one-time enrolment code; prints the code and the Telegram deep link."""
    lifetime = parse_duration(expires_in)
    settings = _settings()
    store = _store()
    try:
        with store.session() as session:
            found = _committee(session, committee)
            invitation = committee_admin.invite(session, vault_from_settings(settings), found,
                                                lifetime, settings.telegram_bot_username)
            auth.audit(session, auth.terminal_actor(), "committee.code", object_type="committee",
                       object_id=found.id, detail=f"expires in {expires_in}")
    finally:
        store.dispose()
    console.print(f"code for [bold]{invitation.committee}[/bold] (single use, expires "
                  f"{settings.shown_time(invitation.expires_at)}):")
    console.print(f"  SMS:      {invitation.sms()}", highlight=False)
    link = invitation.telegram_link or committee_admin.telegram_link("<your_bot>",
                                                                      invitation.code)
    console.print(f"  Telegram: {link}", highlight=False)
    if invitation.telegram_link is None:
        console.print("[yellow]set HANYA_TELEGRAM_BOT_USERNAME to print the real link[/yellow]")


@app.command()
def members(committee: Annotated[str | None, typer.Argument(help="slug, id or name")] = None,
            ) -> None:
    """Members, by pseudonym (never an address), with their status and number of reports."""
    store = _store()
    try:
        with store.session() as session:
            chosen = None if committee is None else _committee(session, committee).id
            table = Table("member", "committee", "channel", "pseudonym", "language", "status",
                          "joined", "reports")
            vault = vault_from_settings(_settings())
            for row in committee_admin.member_rows(session, vault, chosen):
                table.add_row(str(row.id), row.committee_slug, row.channel,
                              row.pseudonym or "(erased)", row.language, row.status,
                              f"{row.joined_at:%Y-%m-%d}", str(row.reports))
            console.print(table)
    finally:
        store.dispose()


@app.command()
def revoke(member: Annotated[int, typer.Argument(help="member number (see `members`)")]) -> None:
    """Remove a member: the row and its reports stay, marked revoked; REPORT is refused."""
    store = _store()
    try:
        with store.session() as session:
            committee_admin.revoke_member(session, member)
            auth.audit(session, auth.terminal_actor(), "member.revoke", object_type="member",
                       object_id=member)
        console.print(f"member {member} revoked")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        store.dispose()
