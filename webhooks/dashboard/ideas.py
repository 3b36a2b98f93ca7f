"""The idea box: list, status and answer (the submitter is told through the outbox).

Sensitive feedback (abuse, exploitation, fraud) is listed only for the officers named in
``HANYA_DASHBOARD_SENSITIVE_VIEWERS``, and every reading of its text is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.core.keywords import clean_text
from bot.features.dashboard import auth
from bot.features.ideas.actions import set_status
from bot.features.ideas.models import STATUSES, THEMES, Idea, SensitiveFeedback, find_submission
from webhooks.dashboard.report_queries import mask_phone_numbers
from webhooks.dashboard.web import (
    CanReadIdeas,
    CsrfChecked,
    Forbidden,
    Viewer,
    no_store,
    render,
    runtime,
)

router = APIRouter()


def sees_sensitive(request: Request, viewer: Viewer) -> bool:
    named = runtime(request).settings.dashboard_sensitive_viewers
    return viewer.can("ideas.answer") and viewer.identifier in named


@router.get("/dashboard/ideas")
def idea_list(request: Request, viewer: CanReadIdeas, status: str = "",
              theme: str = "") -> Response:
    rt = runtime(request)
    query = select(Idea).order_by(Idea.id.desc()).limit(100)
    if status in STATUSES:
        query = query.where(Idea.status == status)
    if theme in THEMES:
        query = query.where(Idea.theme == theme)
    sensitive = sees_sensitive(request, viewer)
    with rt.store.session() as session:
        ideas = session.scalars(query).all()
        texts = {i.id: rt.vault.decrypt(i.text_enc) for i in ideas}
        feedback = session.execute(select(
            SensitiveFeedback.reference, SensitiveFeedback.status, SensitiveFeedback.created_at)
            .order_by(SensitiveFeedback.id.desc()).limit(50)).all() if sensitive else []
    return render(request, "ideas.html", viewer, ideas=ideas, texts=texts, feedback=feedback,
                  sensitive=sensitive, statuses=STATUSES, themes=THEMES, status=status,
                  theme=theme, mask=mask_phone_numbers)


@router.get("/dashboard/ideas/{reference}")
def idea_detail(request: Request, reference: str, viewer: CanReadIdeas) -> Response:
    rt = runtime(request)
    with rt.store.session() as session:
        found = find_submission(session, reference)
        if found is None:
            return render(request, "not_found.html", viewer, status_code=404)
        if isinstance(found, SensitiveFeedback):
            if not sees_sensitive(request, viewer):
                raise Forbidden(viewer)
            text = rt.vault.decrypt(found.text_enc)
            auth.audit(session, viewer, "sensitive.view_text", object_type="sensitive",
                       object_id=found.reference)
        else:
            text = rt.vault.decrypt(found.text_enc)
    return render(request, "idea.html", viewer, item=found, statuses=STATUSES,
                  text=mask_phone_numbers(clean_text(text)),
                  sensitive=isinstance(found, SensitiveFeedback))


@router.post("/dashboard/ideas/{reference}")
def idea_answer(request: Request, reference: str, viewer: CsrfChecked,
                status: Annotated[str, Form()],
                answer: Annotated[str, Form(max_length=600)] = "") -> Response:
    """Set the status (and an answer): ``bot.features.ideas.actions.set_status`` tells a signed
    submitter."""
    if not viewer.can("ideas.answer"):
        raise Forbidden(viewer)
    rt = runtime(request)
    with rt.store.session() as session:
        found = find_submission(session, reference)
        if found is None:
            return render(request, "not_found.html", viewer, status_code=404)
        if isinstance(found, SensitiveFeedback) and not sees_sensitive(request, viewer):
            raise Forbidden(viewer)
        if status not in STATUSES:
            return no_store(RedirectResponse(f"/dashboard/ideas/{found.reference}",
                                             status_code=303))
        set_status(session, rt.vault, rt.content.current, rt.inbox.traits, found.reference, status,
                   clean_text(answer).strip() or None)
        auth.audit(session, viewer, "idea.status", object_type="idea",
                   object_id=found.reference, detail=status)
    if status and hasattr(request.app.state, "sender"):
        request.app.state.sender.wake()
    return no_store(RedirectResponse(f"/dashboard/ideas/{found.reference}", status_code=303))
