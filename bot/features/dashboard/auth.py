"""Dashboard authentication: access codes, throttling, sessions, CSRF tokens, roles and audit.

Framework-free on purpose: the web layer (``webhooks/dashboard``) and the CLI both call these
functions inside a store session (``sign_in`` opens its own, around the verification), and the
tests can drive them without HTTP.
"""

from __future__ import annotations

import functools
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
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.core.audit import terminal_actor  # noqa: F401 - the CLIs' actor, re-exported
from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.core.store import Store
from bot.features.dashboard import sign_in_guard as guard
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


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the identifier is unknown, so timing does not reveal which exist.
    Made at the first sign-in, not at import: an Argon2 hash costs ~0.1-0.9 s, and every
    `hanya` command that imports this module paid it at start (issue #23)."""
    return _hasher.hash("no such user")

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
    """A fresh access code for ``user``; ends every open session and API token (whoever held
    the old code may have made them)."""
    code = new_access_code()
    user.code_hash, user.failed_attempts, user.locked_until = _hasher.hash(code), 0, None
    session.execute(delete(DashboardSession).where(DashboardSession.user_id == user.id))
    revoke_api_tokens(session, user)
    return code


def set_active(session: Session, user: DashboardUser, active: bool) -> None:
    """Deactivate or reactivate ``user``. Either way its sessions and API tokens end, so that a
    reactivated account starts with none of what it held before."""
    user.active = active
    session.execute(delete(DashboardSession).where(DashboardSession.user_id == user.id))
    revoke_api_tokens(session, user)


class SignIn(Enum):
    OK = "ok"
    REFUSED = "refused"  # unknown identifier or wrong code: the same answer for both
    THROTTLED = "throttled"  # too many failures from this address for this identifier, known or not


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: DashboardUser | None = None
    token: str | None = None
    retry_after: float = 0.0


def sign_in(store: Store, settings: Settings, identifier: str, code: str,
            old_token: str | None = None, now: datetime | None = None,
            client: str = "") -> SignInResult:
    """Check an identifier and code from ``client`` (its address); on success open a new
    session (and close ``old_token``). No account is ever locked: failures hold back this
    client for this identifier only (``bot/features/dashboard/sign_in_guard.py``).

    The Argon2 verification runs between two short transactions, never inside one: on SQLite
    a transaction holds the write lock, and the webhooks waited behind every verification."""
    now = now or utcnow()
    with store.session() as session:
        wait = guard.held_back(session, settings, client, identifier, now)
        if wait:  # not even verified: the same answer whether the identifier exists or not
            audit(session, None, "sign_in.throttled")
            return SignInResult(SignIn.THROTTLED, retry_after=wait)
        user = session.scalar(select(DashboardUser).where(
            DashboardUser.identifier == identifier.strip(), DashboardUser.active.is_(True)))
        user_id, code_hash = (user.id, user.code_hash) if user else (None, _dummy_hash())
    right = _verify(code_hash, code) and user_id is not None
    with store.session() as session:
        user = session.get(DashboardUser, user_id) if user_id is not None else None
        if user is None or not user.active or user.code_hash != code_hash:
            right = False  # gone, deactivated or given a new code meanwhile
        if not right:
            audit(session, user, "sign_in.refused",
                  detail=None if user else "unknown identifier")
            return _failed(session, settings, client, identifier, now)
        assert user is not None
        return _signed_in(session, settings, user, code, client, identifier, old_token, now)


def _signed_in(session: Session, settings: Settings, user: DashboardUser, code: str,
               client: str, identifier: str, old_token: str | None,
               now: datetime) -> SignInResult:
    if _hasher.check_needs_rehash(user.code_hash):
        user.code_hash = _hasher.hash(_normalise_code(code))
    user.failed_attempts, user.locked_until, user.last_sign_in_at = 0, None, now
    guard.forget(session, settings, client, identifier)
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


def _failed(session: Session, settings: Settings, client: str, identifier: str,
            now: datetime) -> SignInResult:
    wait = guard.record_failure(session, settings, client, identifier, now)
    if wait:
        return SignInResult(SignIn.THROTTLED, retry_after=wait)
    return SignInResult(SignIn.REFUSED)


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


def revoke_api_tokens(session: Session, user: DashboardUser, token_id: int | None = None) -> int:
    """Revoke ``user``'s live API tokens (or only ``token_id``); returns how many."""
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    result = session.execute(query.values(revoked=True))
    return int(getattr(result, "rowcount", 0) or 0)


def live_api_tokens(session: Session, user_ids: list[int]) -> dict[int, int]:
    """How many unrevoked API tokens each of ``user_ids`` holds."""
    rows = session.execute(select(ApiToken.user_id, func.count()).where(
        ApiToken.user_id.in_(user_ids), ApiToken.revoked.is_(False)).group_by(ApiToken.user_id))
    return {user_id: int(n) for user_id, n in rows}


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


def audit(session: Session, user: Actor | str | None, action: str, *,
          object_type: str | None = None, object_id: str | int | None = None,
          detail: str | None = None) -> None:
    """Record who did what to which object, in the caller's transaction. ``user`` is a
    dashboard user, or the name of one acting elsewhere (``cli:<login>`` at the terminal): the
    ``bot.core.audit.Audit`` handed to features that cannot import this module."""
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
    "create_user", "csrf_ok", "csrf_token", "end_session", "issue_api_token", "live_api_tokens",
    "new_access_code", "open_session", "purge_sessions", "reset_code", "revoke_api_tokens",
    "set_active", "sign_in",
]
