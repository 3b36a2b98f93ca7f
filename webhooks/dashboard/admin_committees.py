"""Admin page for watch committees: create, issue enrolment codes, list and revoke members.

The same functions as ``hanya committee`` (``bot.features.committees.admin``). A clear enrolment
code is
shown once, in the answer to the POST that issued it, and never stored or logged; members are
listed by pseudonym only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.core.content import Content
from bot.features.committees import admin as committee_admin
from bot.features.committees.models import Committee
from bot.features.dashboard import auth
from webhooks.dashboard.web import (
    CanManageCommittees,
    CsrfChecked,
    Forbidden,
    Viewer,
    language,
    render,
    runtime,
)

router = APIRouter()
# The lifetimes offered for an enrolment code, in the CLI's notation (``--expires-in``).
LIFETIMES = (("1d", 1), ("7d", 7), ("14d", 14), ("30d", 30))
DEFAULT_LIFETIME = "7d"


def _page(request: Request, viewer: Viewer, status_code: int = 200,
          **context: Any) -> Response:
    rt = runtime(request)
    content = rt.content.current
    with rt.store.session() as session:
        committees = committee_admin.committees_with_counts(session)
        members = committee_admin.member_rows(session, rt.vault)
    return render(request, "committees.html", viewer, status_code=status_code,
                  committees=committees, members=members, points=content.points_in_order(),
                  point_names={p.id: p.name for p in content.points.values()},
                  lifetimes=LIFETIMES, default_lifetime=DEFAULT_LIFETIME, **context)


def _allowed(viewer: Viewer) -> None:
    if not viewer.can("committees"):
        raise Forbidden(viewer)


def join_word(content: Content, lang: str) -> str:
    """The SMS keyword a new member sends with the code, in the page's language."""
    words = (content.keyword_entries.get("join", {}).get(lang) or {}).get("words") or []
    return str(words[0]) if words else "JOIN"


@router.get("/dashboard/admin/committees")
def committees(request: Request, viewer: CanManageCommittees) -> Response:
    return _page(request, viewer)


@router.post("/dashboard/admin/committees")
def add_committee(request: Request, viewer: CsrfChecked,
                  point: Annotated[str, Form(max_length=40)],
                  name: Annotated[str, Form(max_length=committee_admin.NAME_MAX)]) -> Response:
    _allowed(viewer)
    rt = runtime(request)
    try:
        with rt.store.session() as session:
            committee = committee_admin.create_committee(
                session, rt.content.current, point=point, name=name)
            auth.audit(session, viewer, "committee.add", object_type="committee",
                       object_id=committee.id, detail=committee.point_id)
            created = committee.name
    except ValueError:
        return _page(request, viewer, status_code=400, error="committee")
    return _page(request, viewer, created=created)


@router.post("/dashboard/admin/committees/{committee_id}/code")
def issue_code(request: Request, committee_id: int, viewer: CsrfChecked,
               expires_in: Annotated[str, Form(max_length=8)] = DEFAULT_LIFETIME) -> Response:
    """A one-time enrolment code, shown in this answer only, with its Telegram deep link."""
    _allowed(viewer)
    rt = runtime(request)
    if expires_in not in dict(LIFETIMES):
        return _page(request, viewer, status_code=400, error="code")
    with rt.store.session() as session:
        committee = session.get(Committee, committee_id)
        if committee is None:
            return _page(request, viewer, status_code=404, error="code")
        invitation = committee_admin.invite(
            session, rt.vault, committee, committee_admin.parse_duration(expires_in),
            rt.settings.telegram_bot_username)
        auth.audit(session, viewer, "committee.code", object_type="committee",
                   object_id=committee.id, detail=expires_in)
    sms = invitation.sms(join_word(rt.content.current, language(request)))
    return _page(request, viewer, invitation=invitation, sms=sms)


@router.post("/dashboard/admin/members/{member_id}/revoke")
def revoke_member(request: Request, member_id: int, viewer: CsrfChecked) -> Response:
    _allowed(viewer)
    rt = runtime(request)
    try:
        with rt.store.session() as session:
            member = committee_admin.revoke_member(session, member_id)
            auth.audit(session, viewer, "member.revoke", object_type="member",
                       object_id=member.id, detail=str(member.committee_id))
    except ValueError:
        return _page(request, viewer, status_code=404, error="member")
    return _page(request, viewer, revoked=member_id)
