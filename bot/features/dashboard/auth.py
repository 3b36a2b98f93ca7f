"""Dashboard authentication: access codes, lockout, sessions, CSRF tokens, roles and audit.

Framework-free on purpose: the web layer (``webhooks/dashboard``) and the CLI both call these
functions inside a store session, and the tests can drive them without HTTP.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.features.dashboard.models import (
    ROLES,
    ApiToken,
    AuditEntry,
    DashboardSession,
    DashboardUser,
)

log = logging.getLogger(__name__)
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# An access code a person can copy from a screen: no 0/O, 1/l/I.
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# Verified against when the identifier is unknown, so timing does not reveal which exist.
_DUMMY_HASH = _hasher.hash("no such user")

# Which roles may do what. Routes ask for a permission, never for a role by name.
PERMISSIONS: dict[str, frozenset[str]] = {
    "overview": frozenset(ROLES),
    "exact_counts": frozenset({"admin", "officer"}),
    "reports.read": frozenset({"admin", "officer"}),
    "reports.verify": frozenset({"admin", "officer"}),
    "ideas.read": frozenset({"admin", "officer"}),
    "ideas.answer": frozenset({"admin", "officer"}),
    "operations": frozenset({"admin", "officer"}),
    "audit": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "committees": frozenset({"admin"}),
    "recipients": frozenset({"admin"}),
    "content": frozenset({"admin", "editor"}),
    "export.aggregates": frozenset({"admin", "officer", "partner"}),
    "export.reports": frozenset({"admin", "officer"}),
    "setup": frozenset({"admin"}),
}


def can(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (unknown permissions are refused)."""
    return role in PERMISSIONS.get(permission, frozenset())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_access_code() -> str:
    """Sixteen characters in four groups (~79 bits): shown once, then only its hash is kept."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _normalise_code(code: str) -> str:
    return code.strip().lower().replace(" ", "")


def create_user(session: Session, identifier: str, role: str) -> tuple[DashboardUser, str]:
    """A new account; returns it with its access code (the only time the code exists in clear)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    identifier = identifier.strip()
    if not identifier or len(identifier) > 64:
        raise ValueError("identifier must be 1 to 64 characters")
    if session.scalar(select(DashboardUser).where(DashboardUser.identifier == identifier)):
        raise ValueError(f"identifier {identifier!r} already exists")
    code = new_access_code()
    user = DashboardUser(identifier=identifier, role=role, code_hash=_hasher.hash(code),
                         failed_attempts=0, active=True)
    session.add(user)
    session.flush()
    return user, code


def reset_code(session: Session, user: DashboardUser) -> str:
    """A fresh access code for ``user``; unlocks and ends every open session."""
    code = new_access_code()
    user.code_hash, user.failed_attempts, user.locked_until = _hasher.hash(code), 0, None
    session.execute(delete(DashboardSession).where(DashboardSession.user_id == user.id))
    return code


class SignIn(Enum):
    OK = "ok"
    REFUSED = "refused"  # unknown identifier or wrong code: the same answer for both
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: DashboardUser | None = None
    token: str | None = None


def sign_in(session: Session, settings: Settings, identifier: str, code: str,
            old_token: str | None = None, now: datetime | None = None) -> SignInResult:
    """Check an identifier and code; on success open a new session (and close ``old_token``)."""
    now = now or utcnow()
    user = session.scalar(select(DashboardUser).where(
        DashboardUser.identifier == identifier.strip(), DashboardUser.active.is_(True)))
    if user is None:
        _verify(_DUMMY_HASH, code)
        audit(session, None, "sign_in.refused", detail="unknown identifier")
        return SignInResult(SignIn.REFUSED)
    if user.locked_until is not None and user.locked_until > now:
        audit(session, user, "sign_in.locked")
        return SignInResult(SignIn.LOCKED, user)
    if not _verify(user.code_hash, code):
        return _failed(session, settings, user, now)
    if _hasher.check_needs_rehash(user.code_hash):
        user.code_hash = _hasher.hash(_normalise_code(code))
    user.failed_attempts, user.locked_until, user.last_sign_in_at = 0, None, now
    if old_token:  # rotation: a token planted before sign-in is worthless after it
        end_session(session, old_token)
    # Sessions are only ever created here, so purging here bounds the table to the sessions
    # opened within one maximum lifetime, with no scheduler needed (see purge_sessions).
    purge_sessions(session, now)
    token = open_session(session, settings, user, now)
    audit(session, user, "sign_in")
    return SignInResult(SignIn.OK, user, token)


def _verify(code_hash: str, code: str) -> bool:
    try:
        return _hasher.verify(code_hash, _normalise_code(code))
    except (VerificationError, InvalidHashError):
        return False


def _failed(session: Session, settings: Settings, user: DashboardUser,
            now: datetime) -> SignInResult:
    user.failed_attempts += 1
    if user.failed_attempts >= settings.dashboard_max_failures:
        user.failed_attempts = 0
        user.locked_until = now + timedelta(minutes=settings.dashboard_lock_minutes)
        audit(session, user, "user.locked", detail=f"{settings.dashboard_max_failures} failures")
        return SignInResult(SignIn.LOCKED, user)
    audit(session, user, "sign_in.refused")
    return SignInResult(SignIn.REFUSED, user)


def open_session(session: Session, settings: Settings, user: DashboardUser,
                 now: datetime | None = None) -> str:
    """A new session for ``user``; returns the token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(DashboardSession(
        token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=settings.dashboard_session_max_hours)))
    session.flush()
    return token


def check_session(session: Session, settings: Settings, token: str | None,
                  now: datetime | None = None) -> DashboardUser | None:
    """The user behind a session token, or None when it is unknown, idle too long or expired."""
    if not token:
        return None
    now = now or utcnow()
    row = session.get(DashboardSession, _digest(token))
    if row is None:
        return None
    idle_limit = row.last_seen_at + timedelta(minutes=settings.dashboard_idle_minutes)
    user = session.get(DashboardUser, row.user_id)
    if now >= row.expires_at or now >= idle_limit or user is None or not user.active:
        session.delete(row)
        return None
    row.last_seen_at = now
    return user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(DashboardSession).where(DashboardSession.token_hash == _digest(token)))


def purge_sessions(session: Session, now: datetime | None = None) -> int:
    """Delete sessions past their absolute expiry; returns how many."""
    result = session.execute(delete(DashboardSession).where(
        DashboardSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token for a session: an HMAC of it, so it dies with the session."""
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str | None, presented: str | None) -> bool:
    if not session_token or not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, session_token), presented)


def issue_api_token(session: Session, user: DashboardUser) -> str:
    """A new bearer token for ``user`` (earlier ones stay valid until revoked)."""
    token = "hanya_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), revoked=False))
    session.flush()
    return token


def check_api_token(session: Session, token: str | None) -> DashboardUser | None:
    """The active user behind a bearer token, or None."""
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                ApiToken.revoked.is_(False)))
    if row is None:
        return None
    user = session.get(DashboardUser, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = utcnow()
    return user


class Actor(Protocol):
    """Whoever acts: a ``DashboardUser`` or the web layer's view of one."""

    @property
    def id(self) -> int: ...
    @property
    def identifier(self) -> str: ...


def terminal_actor() -> str:
    """Who acts at the terminal (``hanya`` commands), as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (a container's anonymous uid)
        return "cli"


def audit(session: Session, user: Actor | str | None, action: str, *,
          object_type: str | None = None, object_id: str | int | None = None,
          detail: str | None = None) -> None:
    """Record who did what to which object, in the caller's transaction. ``user`` is a
    dashboard user, or the name of one acting elsewhere (``cli:<login>`` at the terminal)."""
    if isinstance(user, str):
        user_id, identifier = None, user
    else:
        user_id, identifier = (user.id, user.identifier) if user else (None, "-")
    session.add(AuditEntry(
        user_id=user_id, identifier=identifier[:64],
        action=action[:40], object_type=object_type,
        object_id=str(object_id)[:40] if object_id is not None else None,
        detail=detail[:200] if detail else None))


__all__ = [
    "PERMISSIONS", "SignIn", "SignInResult", "audit", "can", "check_api_token", "check_session",
    "create_user", "csrf_ok", "csrf_token", "end_session", "issue_api_token", "new_access_code",
    "open_session", "purge_sessions", "reset_code", "sign_in",
]
