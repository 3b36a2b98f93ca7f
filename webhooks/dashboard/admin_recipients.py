"""Admin page for the recipients of alerts and digests: add, change subscriptions, deactivate.

An address is typed once, into the add form, and stored only as the Vault's pseudonym and
ciphertext (``bot.core.recipients.add_recipient``): no page shows it again, and neither does the
audit log (it records the recipient's number, channel and subscriptions).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from bot.core.recipients import (
    SUBSCRIPTIONS,
    Recipient,
    add_recipient,
    parse_address,
    subscriptions_text,
)
from bot.features.dashboard import auth
from webhooks.dashboard.web import (
    CanManageRecipients,
    CsrfChecked,
    Forbidden,
    Viewer,
    render,
    runtime,
)

router = APIRouter()
NAME_MAX = 80  # Recipient.name
# Form fields that may be repeated (one checkbox per subscription).
Subscriptions = Annotated[list[str] | None, Form()]


def _page(request: Request, viewer: Viewer, status_code: int = 200,
          **context: Any) -> Response:
    rt = runtime(request)
    with rt.store.session() as session:
        recipients = session.execute(
            select(Recipient.id, Recipient.name, Recipient.channel, Recipient.language,
                   Recipient.subscriptions, Recipient.core, Recipient.active)
            .order_by(Recipient.name, Recipient.id)).all()
    return render(request, "recipients.html", viewer, status_code=status_code,
                  recipients=recipients, subscriptions=SUBSCRIPTIONS,
                  recipient_languages=rt.content.current.languages, **context)


def _allowed(viewer: Viewer) -> None:
    if not viewer.can("recipients"):
        raise Forbidden(viewer)


@router.get("/dashboard/admin/recipients")
def recipients(request: Request, viewer: CanManageRecipients) -> Response:
    return _page(request, viewer)


@router.post("/dashboard/admin/recipients")
def add(request: Request, viewer: CsrfChecked,
        name: Annotated[str, Form(max_length=NAME_MAX)],
        address: Annotated[str, Form(max_length=64)],
        language: Annotated[str, Form(max_length=8)],
        subscriptions: Subscriptions = None,
        core: Annotated[str, Form(max_length=3)] = "yes") -> Response:
    """Add (or, for an address already known, update) a recipient; the address is not echoed."""
    _allowed(viewer)
    rt = runtime(request)
    chosen = subscriptions or []
    if (not name.strip() or not chosen or core not in ("yes", "no")
            or language not in rt.content.current.languages):
        return _page(request, viewer, status_code=400, error="recipient")
    try:
        parsed = parse_address(address)
        with rt.store.session() as session:
            recipient = add_recipient(session, rt.vault, name=name.strip(), address=parsed,
                                      language=language, subscriptions=chosen,
                                      core=core == "yes")
            auth.audit(session, viewer, "recipient.add", object_type="recipient",
                       object_id=recipient.id, detail=_detail(recipient))
            saved = recipient.name
    except ValueError:
        return _page(request, viewer, status_code=400, error="recipient")
    return _page(request, viewer, saved=saved)


@router.post("/dashboard/admin/recipients/{recipient_id}/subscriptions")
def change_subscriptions(request: Request, recipient_id: int, viewer: CsrfChecked,
                         subscriptions: Subscriptions = None) -> Response:
    _allowed(viewer)
    rt = runtime(request)
    try:
        stored = subscriptions_text(subscriptions or [])
    except ValueError:
        stored = ""
    if not stored:
        return _page(request, viewer, status_code=400, error="subscriptions")
    with rt.store.session() as session:
        recipient = session.get(Recipient, recipient_id)
        if recipient is None:
            return _page(request, viewer, status_code=404, error="missing")
        recipient.subscriptions = stored
        auth.audit(session, viewer, "recipient.subscriptions", object_type="recipient",
                   object_id=recipient.id, detail=stored)
        saved = recipient.name
    return _page(request, viewer, saved=saved)


@router.post("/dashboard/admin/recipients/{recipient_id}/{action}")
def change_state(request: Request, recipient_id: int, action: str,
                 viewer: CsrfChecked) -> Response:
    """``deactivate`` (nothing more is sent to it) or ``activate``."""
    _allowed(viewer)
    rt = runtime(request)
    with rt.store.session() as session:
        recipient = session.get(Recipient, recipient_id)
        if recipient is None or action not in ("deactivate", "activate"):
            return _page(request, viewer, status_code=404, error="missing")
        recipient.active = action == "activate"
        auth.audit(session, viewer, f"recipient.{action}", object_type="recipient",
                   object_id=recipient.id)
        saved = recipient.name
    return _page(request, viewer, saved=saved)


def _detail(recipient: Recipient) -> str:
    """What the audit log keeps of a recipient: never its address."""
    audience = "core" if recipient.core else "partner"
    return f"{recipient.channel} {recipient.language} {recipient.subscriptions} {audience}"
