"""The idea box's domain actions, shared by the CLI (``hanya idea status``) and the dashboard."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.engine import ChannelTraits
from bot.core.messages import Reply
from bot.core.models import Contact, utcnow
from bot.core.recipients import PRIORITY_ALERT, enqueue, route_of
from bot.core.render import render
from bot.features.ideas import texts as it
from bot.features.ideas.models import STATUSES, Idea, SensitiveFeedback, find_submission


def set_status(session: Session, vault: Vault, content: Content,
               traits: dict[str, ChannelTraits], reference: str, status: str,
               answer: str | None) -> Idea | SensitiveFeedback:
    """Record the SP/CCM's decision; a signed submitter is told in their language and channel."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    found = find_submission(session, reference)
    if found is None:
        raise LookupError(f"no idea {reference}")
    found.status, found.answer, found.status_changed_at = status, answer, utcnow()
    contact = session.get(Contact, found.contact_id) if found.contact_id else None
    if found.signed and contact is not None and not contact.stopped:
        t = content.translator(found.language)
        lines = [t(it.STATUS_CHANGED, ref=found.reference, status=t(it.STATUS_LABELS[status]))]
        if answer:
            lines.append(t(it.STATUS_ANSWER, answer=answer))
        language = content.languages.get(found.language) or t.language
        for message in render([Reply("\n".join(lines))], traits[contact.channel], language,
                              t).messages:
            enqueue(session, vault, channel=contact.channel, address_enc=contact.address_enc,
                    message=message, priority=PRIORITY_ALERT, contact_id=contact.id,
                    route=route_of(contact.pseudonym), kind="idea", language=language.code)
    return found
