"""`hanya idea list` and `idea status --answer` on an idea nobody can be told about (issue 21):
the officer's view of the idea box at the terminal, audited like the dashboard's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.app.cli import app
from bot.core.models import OutboxMessage
from bot.core.settings import get_settings
from bot.features.dashboard.models import AuditEntry
from bot.features.ideas.models import Idea, SensitiveFeedback
from tests.support import SmsUser

YEAR = datetime.now(UTC).year
SIGNED, ANONYMOUS = "+22790120001", "+22790120002"


@pytest.fixture
def hanya(settings, store, monkeypatch):
    """The CLI reads its settings from the environment, as in production."""
    for name, value in {"HANYA_DATABASE_URL": settings.database_url,
                        "HANYA_SECRET_KEY": settings.secret_key.get_secret_value(),
                        "HANYA_SPOOL_DIR": str(settings.spool_dir),
                        "HANYA_IDEA_SENSITIVE_OFFICERS": "Aissa,Moussa"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    # rich cuts columns to the terminal's width, read once when the console was made (the
    # module may have been imported by another test, before COLUMNS was set)
    from bot.app import cli_digest
    monkeypatch.setattr(cli_digest.console, "width", 200)

    def run(*args: str, input: str | None = None, code: int = 0) -> str:
        result = CliRunner().invoke(app, ["idea", *args], input=input, env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result.output
    yield run
    get_settings.cache_clear()


@pytest.fixture
def box(client, twilio_api, store):
    """Three ideas (signed, anonymous, signed by someone who then erased everything) and one
    confidential feedback, on three different days."""
    SmsUser(client, twilio_api, store, SIGNED).say("IDEE former les agents de Dirkou")
    SmsUser(client, twilio_api, store, ANONYMOUS).say("IDEE ANONYME une radio locale a Agadez")
    gone = SmsUser(client, twilio_api, store, "+22790120003")
    gone.say("IDEE des lampes solaires a Assamaka")
    gone.say("SUPPRIMER")
    gone.say("OUI")
    SmsUser(client, twilio_api, store, SIGNED).say("IDEE PRIVE un agent demande de l'argent")
    with store.session() as session:
        for number, day in ((1, 3), (2, 10), (3, 10), (4, 20)):
            for model in (Idea, SensitiveFeedback):
                session.execute(update(model).where(model.reference == f"I-{YEAR}-{number:05d}")
                                .values(created_at=datetime(YEAR, 1, day, 23, 30, tzinfo=UTC)))
    return store


def _audit(store) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        return [(a.action, a.object_id, a.detail) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.identifier.like("cli%")).order_by(AuditEntry.id))]


def _queued(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_list_shows_references_dates_and_statuses_in_niamey_time_without_text_or_person(
        hanya, box):
    output = hanya("list")
    assert "3 submission(s)" in output
    for number in (1, 2, 3):
        assert f"I-{YEAR}-{number:05d}" in output
    assert f"I-{YEAR}-00004" not in output  # confidential: not without a named officer
    assert "1 confidential submission(s) not listed: --officer NAME" in output
    # 23:30 UTC on the 3rd is half past midnight on the 4th in Niamey (UTC+1).
    assert "received (Africa/Niamey)" in output and f"{YEAR}-01-04 00:30" in output
    assert "anonymous" in output
    for secret in ("Dirkou", "radio", SIGNED, SIGNED.lstrip("+"), ANONYMOUS.lstrip("+")):
        assert secret not in output


def test_list_filters_by_status_and_niamey_days(hanya, box):
    hanya("status", f"I-{YEAR}-00001", "discussed")
    only = hanya("list", "--status", "discussed")
    assert f"I-{YEAR}-00001" in only and f"I-{YEAR}-00002" not in only
    window = hanya("list", "--since", f"{YEAR}-01-05", "--until", f"{YEAR}-01-11")
    assert "2 submission(s)" in window
    assert f"I-{YEAR}-00002" in window and f"I-{YEAR}-00003" in window
    assert f"I-{YEAR}-00001" not in window
    assert "not a day: write it YYYY-MM-DD" in hanya("list", "--since", "3 jan", code=2)
    assert "unknown status 'maybe'" in hanya("list", "--status", "maybe", code=2)


def test_a_named_officer_lists_confidential_feedback_and_the_reading_is_audited(hanya, box):
    output = hanya("list", "--officer", "Aissa")
    assert f"I-{YEAR}-00004" in output and "confidential" in output
    assert "4 submission(s)" in output and "not listed" not in output
    assert "agent demande" not in output
    assert ("sensitive.list", None, "Aissa") in _audit(box)
    refused = hanya("list", "--officer", "Ibrahim", code=2)
    assert "HANYA_IDEA_SENSITIVE_OFFICERS" in refused
    hanya("show", f"I-{YEAR}-00004", "--officer", "Moussa")
    assert ("sensitive.view_text", f"I-{YEAR}-00004", "Moussa") in _audit(box)


def test_an_answer_to_an_anonymous_idea_says_nobody_will_receive_it_and_waits_for_a_yes(
        hanya, box):
    queued = _queued(box)
    reference = f"I-{YEAR}-00002"
    refused = hanya("status", reference, "acted", "--answer", "Radio prévue", code=1)
    assert f"{reference} is anonymous: nobody will receive this answer" in refused
    assert "leave out --answer to set the status only, or add --yes" in refused
    with box.session() as session:
        idea = session.scalars(select(Idea).where(Idea.reference == reference)).one()
        assert (idea.status, idea.answer) == ("received", None)  # nothing recorded
    # Confirmed at the prompt: recorded, nothing queued, and said so.
    confirmed = hanya("status", reference, "acted", "--answer", "Radio prévue", input="y\n")
    assert "nobody will receive this answer" in confirmed and "submitter told" not in confirmed
    with box.session() as session:
        idea = session.scalars(select(Idea).where(Idea.reference == reference)).one()
        assert (idea.status, idea.answer) == ("acted", "Radio prévue")
    assert _queued(box) == queued
    assert ("idea.status", reference, "acted") in _audit(box)


def test_an_answer_to_an_erased_submitter_is_refused_and_yes_records_it(hanya, box):
    reference = f"I-{YEAR}-00003"
    refused = hanya("status", reference, "acted", "--answer", "Lampes livrées", code=1)
    assert "has no submitter to tell (they erased their data or said STOP)" in refused
    recorded = hanya("status", reference, "acted", "--answer", "Lampes livrées", "--yes")
    assert "nobody will receive this answer" in recorded


def test_a_signed_idea_is_answered_without_a_question_and_audited(hanya, box):
    queued = _queued(box)
    output = hanya("status", f"I-{YEAR}-00001", "discussed", "--answer", "Formation en mars")
    assert "(submitter told)" in output and "nobody" not in output
    assert _queued(box) == queued + 1
    assert ("idea.status", f"I-{YEAR}-00001", "discussed") in _audit(box)
