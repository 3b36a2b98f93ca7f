"""Admin pages: accounts (add, unlock, new code, revoke API tokens, deactivate) and the audit log.

Committees and recipients have their own modules (``admin_committees``, ``admin_recipients``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from bot.core.models import utcnow
from bot.features.dashboard import auth
from bot.features.dashboard import sign_in_guard as guard
from bot.features.dashboard.models import ROLES, AuditEntry, DashboardUser
from webhooks.dashboard.web import (
    CanAudit,
    CanManageUsers,
    CsrfChecked,
    Forbidden,
    Viewer,
    render,
    runtime,
)

router = APIRouter()
ACTIONS = ("unlock", "reset", "revoke-tokens", "deactivate", "activate")


def _users_page(request: Request, viewer: Viewer, **context: Any) -> Response:
    rt = runtime(request)
    with rt.store.session() as session:
        users = session.scalars(select(DashboardUser).order_by(DashboardUser.identifier)).all()
        tokens = auth.live_api_tokens(session, [u.id for u in users])
        held = guard.held_identifiers(session, rt.settings, [u.identifier for u in users],
                                      utcnow())
    return render(request, "users.html", viewer, users=users, roles=ROLES, tokens=tokens,
                  held=held, **context)


@router.get("/dashboard/admin/users")
def users(request: Request, viewer: CanManageUsers) -> Response:
    return _users_page(request, viewer)


@router.post("/dashboard/admin/users")
def add_user(request: Request, viewer: CsrfChecked,
             identifier: Annotated[str, Form(max_length=64)],
             role: Annotated[str, Form()]) -> Response:
    if not viewer.can("users"):
        raise Forbidden(viewer)
    rt = runtime(request)
    try:
        with rt.store.session() as session:
            user, code = auth.create_user(session, identifier, role)
            auth.audit(session, viewer, "user.add", object_type="user", object_id=user.id,
                       detail=role)
    except ValueError:
        return _users_page(request, viewer, error="invalid")
    return _users_page(request, viewer, created=identifier, code=code)


@router.post("/dashboard/admin/users/{user_id}/{action}")
def change_user(request: Request, user_id: int, action: str, viewer: CsrfChecked) -> Response:
    """``unlock`` (every address may try again), ``reset`` (a new code, shown once; sessions
    and API tokens end), ``revoke-tokens``, ``deactivate`` or ``activate`` (both end sessions
    and tokens: a reactivated account gets none of its old ones back)."""
    if not viewer.can("users"):
        raise Forbidden(viewer)
    rt = runtime(request)
    code = None
    with rt.store.session() as session:
        user = session.get(DashboardUser, user_id)
        if user is None or action not in ACTIONS:
            return _users_page(request, viewer, error="invalid")
        detail = None
        if action == "unlock":
            user.failed_attempts, user.locked_until = 0, None
            guard.release(session, rt.settings, user.identifier)
        elif action == "reset":
            code = auth.reset_code(session, user)
        elif action == "revoke-tokens":
            detail = f"{auth.revoke_api_tokens(session, user)} revoked"
        else:
            auth.set_active(session, user, action == "activate")
        auth.audit(session, viewer, f"user.{action}", object_type="user", object_id=user.id,
                   detail=detail)
        identifier = user.identifier
    return _users_page(request, viewer, created=identifier if code else None, code=code)


@router.get("/dashboard/admin/audit")
def audit_log(request: Request, viewer: CanAudit,
              action: str | None = None) -> Response:
    rt = runtime(request)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
    if action:
        query = query.where(AuditEntry.action.startswith(action[:40]))
    with rt.store.session() as session:
        entries = session.scalars(query).all()
    return render(request, "audit.html", viewer, entries=entries, action=action or "")
