"""Dashboard tables: staff and partner accounts, their sessions, API tokens and the audit log.

Nothing here holds a phone number or a chat id. Access codes are Argon2id hashes; session and
API tokens are kept as SHA-256 digests (they are long random strings, so a fast hash is enough
and a stolen database yields no usable token).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base, utcnow

ROLES = ("admin", "officer", "partner", "editor")


class DashboardUser(Base):
    """Someone who signs in to the dashboard: an identifier (a pseudonym, not a name) and a role."""

    __tablename__ = "dashboard_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser. The cookie holds the token; the row holds only its digest."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A bearer token for a partner platform's read-only access to ``/api/v1``."""

    __tablename__ = "dashboard_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInThrottle(Base):
    """Failed sign-ins of one client address for one identifier (known or not: the two must
    look alike), and until when that pair is held back. The key is a keyed hash of both, so
    neither the address nor the identifier tried is stored. An account is never locked: the
    right code from another address still works."""

    __tablename__ = "dashboard_sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The identifier's own keyed hash: an administrator's "unlock" frees it from every address.
    identifier_key: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    """Who did what, when, to which object. The identifier is copied so the trail outlives users."""

    __tablename__ = "dashboard_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="SET NULL")
    )
    identifier: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(24))
    object_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(200))


__all__ = ["ROLES", "ApiToken", "AuditEntry", "DashboardSession", "DashboardUser",
           "SignInThrottle"]
