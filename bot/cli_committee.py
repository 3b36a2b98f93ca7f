"""``hanya committee``: create watch committees, invite members with one-time codes, list and
revoke members. Members are shown by pseudonym only: no phone number or chat id is printed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from bot.committee_models import (
    ACTIVE,
    REVOKED,
    Committee,
    CommitteeMember,
    Report,
    find_committee,
    issue_code,
)
from bot.content import load_content
from bot.crypto import short_ref
from bot.keys import vault_from_settings
from bot.keywords import normalise
from bot.models import Contact, utcnow
from bot.settings import Settings, get_settings
from bot.store import Store

app = typer.Typer(help="Watch committees: create, invite, members, revoke.",
                  no_args_is_help=True)
console = Console()
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """"7d", "12h", "30m", "2w" -> a timedelta."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter(f"{text!r}: write a duration like 7d, 12h, 30m or 2w")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _settings() -> Settings:
    return get_settings()


def _store() -> Store:
    return Store(_settings().database_url)


def _committee(session: object, name: str) -> Committee:
    found = find_committee(session, name)  # type: ignore[arg-type]
    if found is None:
        raise typer.BadParameter(f"no committee {name!r} (see `hanya committee list`)")
    return found


@app.command()
def create(point: Annotated[str, typer.Option(help="point id from content/points.yaml")],
           name: Annotated[str, typer.Option(help="the committee's name")],
           slug: Annotated[str | None, typer.Option(help="short name for the CLI")] = None,
           ) -> None:
    """Create a committee at POINT."""
    settings = _settings()
    content = load_content(settings.content_dir, settings.locales_dir)
    place = content.points.get(point)
    if place is None:
        raise typer.BadParameter(f"unknown point {point!r}; known: {', '.join(content.points)}")
    slug = slug or re.sub(r"[^a-z0-9]+", "-", normalise(name)).strip("-")[:40]
    store = _store()
    try:
        with store.session() as session:
            if find_committee(session, slug) is not None:
                raise typer.BadParameter(f"a committee {slug!r} exists already")
            committee = Committee(slug=slug, name=name, point_id=place.id, region=place.region)
            session.add(committee)
            session.flush()
            console.print(f"committee [bold]{slug}[/bold] created at {place.name} "
                          f"({place.region or 'outside Niger'}), id {committee.id}")
    finally:
        store.dispose()


@app.command("list")
def list_committees() -> None:
    """Every committee with its number of active members."""
    store = _store()
    try:
        with store.session() as session:
            table = Table("id", "slug", "name", "point", "region", "active members")
            for committee in session.scalars(select(Committee).order_by(Committee.id)):
                members = session.scalar(select(func.count()).select_from(CommitteeMember)
                                         .where(CommitteeMember.committee_id == committee.id,
                                                CommitteeMember.status == ACTIVE))
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
            code, row = issue_code(session, vault_from_settings(settings), found, lifetime)
            expires = row.expires_at
    finally:
        store.dispose()
    bot = settings.telegram_bot_username or "<your_bot>"
    console.print(f"code for [bold]{found.name}[/bold] (single use, expires "
                  f"{expires:%Y-%m-%d %H:%M} UTC):")
    console.print(f"  SMS:      JOIN {code}", highlight=False)
    console.print(f"  Telegram: https://t.me/{bot.lstrip('@')}?start={code}", highlight=False)
    if settings.telegram_bot_username is None:
        console.print("[yellow]set HANYA_TELEGRAM_BOT_USERNAME to print the real link[/yellow]")


@app.command()
def members(committee: Annotated[str | None, typer.Argument(help="slug, id or name")] = None,
            ) -> None:
    """Members, by pseudonym (never an address), with their status and number of reports."""
    store = _store()
    try:
        with store.session() as session:
            query = (select(CommitteeMember, Committee, Contact)
                     .join(Committee, Committee.id == CommitteeMember.committee_id)
                     .outerjoin(Contact, Contact.id == CommitteeMember.contact_id)
                     .order_by(CommitteeMember.id))
            if committee is not None:
                query = query.where(Committee.id == _committee(session, committee).id)
            table = Table("member", "committee", "channel", "pseudonym", "language", "status",
                          "joined", "reports")
            for member, group, contact in session.execute(query):
                reports = session.scalar(select(func.count()).select_from(Report)
                                         .where(Report.member_id == member.id))
                table.add_row(str(member.id), group.slug, contact.channel if contact else "",
                              short_ref(contact.pseudonym) if contact else "(erased)",
                              (contact.language or "") if contact else "", member.status,
                              f"{member.joined_at:%Y-%m-%d}", str(reports))
            console.print(table)
    finally:
        store.dispose()


@app.command()
def revoke(member: Annotated[int, typer.Argument(help="member number (see `members`)")]) -> None:
    """Remove a member: the row and its reports stay, marked revoked; REPORT is refused."""
    store = _store()
    try:
        with store.session() as session:
            row = session.get(CommitteeMember, member)
            if row is None:
                raise typer.BadParameter(f"no member {member}")
            if row.status != REVOKED:
                row.status, row.left_at = REVOKED, utcnow()
            console.print(f"member {member} revoked")
    finally:
        store.dispose()
