"""The idea box end to end: SMS signed by the twilio library, Telegram updates as the Bot API
posts them, answers received by the fake providers, the SP/CCM's status change by the CLI."""

from __future__ import annotations

import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.app.cli import app
from bot.core.crypto import Vault
from bot.core.models import Contact, OutboxMessage
from bot.core.recipients import add_recipient
from bot.core.settings import get_settings
from bot.core.sms_encoding import sms_cost
from bot.features.ideas.models import Idea, SensitiveFeedback, next_idea_reference
from tests.support import SmsUser, TelegramUser, buttons

YEAR = datetime.now().year
REF = re.compile(r"I-\d{4}-\d{5}")


def ideas(store) -> list[Idea]:
    with store.session() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def text_of(settings, idea: Idea) -> str:
    """An idea's text is stored encrypted, as a report's."""
    return Vault(settings.secret_key_or_dev()).decrypt(idea.text_enc)


def contact_id(store, settings, address: str) -> int:
    pseudonym = Vault(settings.secret_key_or_dev()).pseudonym(address)
    with store.session() as session:
        return session.scalars(select(Contact.id).where(Contact.pseudonym == pseudonym)).one()


# --- SMS ----------------------------------------------------------------------------------------

def test_sms_idea_from_a_newcomer_is_stored_signed_with_a_reference_in_french(
        client, twilio_api, store, settings):
    user = SmsUser(client, twilio_api, store, "+22790110001")
    [reply] = user.say("IDEE organiser une réunion GTM à Arlit")
    assert f"I-{YEAR}-00001" in reply
    assert "Merci" in reply and "SP/CCM" in reply
    assert "STOP" in reply  # a first contact is told what is kept and how to stop
    [idea] = ideas(store)
    assert (idea.reference, text_of(settings, idea)) == (
        f"I-{YEAR}-00001", "organiser une réunion GTM à Arlit")
    assert (idea.signed, idea.channel, idea.language, idea.theme) == (True, "sms", "fr", None)
    assert idea.contact_id == contact_id(store, settings, "tel:+22790110001")


def test_sms_idea_marked_anonymous_keeps_no_link_to_its_sender(client, twilio_api, store,
                                                               settings):
    user = SmsUser(client, twilio_api, store, "+22790110002")
    [reply] = user.say("idea anonymous more water points at the Assamaka border post")
    assert re.search(rf"anonymously as I-{YEAR}-00001", reply)
    [idea] = ideas(store)
    assert (idea.signed, idea.contact_id, idea.language) == (False, None, "en")
    assert text_of(settings, idea) == "more water points at the Assamaka border post"


def test_sms_idea_keyword_alone_gets_the_form_to_use_and_stores_nothing(client, twilio_api,
                                                                       store):
    user = SmsUser(client, twilio_api, store, "+22790110003")
    [reply] = user.say("IDEE")
    assert "IDEE ANONYME" in reply
    assert ideas(store) == []


def test_two_ideas_get_consecutive_references(client, twilio_api, store):
    user = SmsUser(client, twilio_api, store, "+22790110004")
    user.say("IDEE une")
    [reply] = user.say("IDEE deux")
    assert f"I-{YEAR}-00002" in reply
    assert [i.reference for i in ideas(store)] == [f"I-{YEAR}-00001", f"I-{YEAR}-00002"]


# --- Telegram -----------------------------------------------------------------------------------

def test_telegram_idea_conversation_text_theme_then_anonymous(client, bot_api, store,
                                                              settings):
    user = TelegramUser(client, bot_api, store, 8100001)
    [ask] = user.say("/idea")
    assert "Écrivez votre idée" in ask["text"]
    [themes] = user.say("Un point d'eau à Séguédine")
    labels = [label for label, _ in buttons(themes)]
    assert labels[:2] == ["Information des migrants", "Sécurité sur la route"]
    assert labels[-1] == "Passer"
    [sign] = user.tap("theme:safety")
    assert [label for label, _ in buttons(sign)] == ["Signée", "Anonyme"]
    [thanks] = user.tap("sign:no")
    assert f"anonymement sous la référence I-{YEAR}-00001" in thanks["text"]
    [idea] = ideas(store)
    assert (text_of(settings, idea), idea.theme, idea.signed, idea.contact_id, idea.channel) == (
        "Un point d'eau à Séguédine", "safety", False, None, "telegram")


def test_confidential_feedback_is_kept_apart_encrypted_and_named_officers_are_told(
        client, bot_api, store, settings):
    settings.idea_sensitive_officers = ["Point focal PSEA"]
    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        add_recipient(session, vault, name="Point focal PSEA", address="telegram:8100999",
                      language="fr", subscriptions=["alerts"])
        add_recipient(session, vault, name="Partenaire", address="telegram:8100998",
                      language="fr", subscriptions=["alerts"], core=False)
    user = TelegramUser(client, bot_api, store, 8100002)
    user.say("/idea un agent demande de l'argent pour le transport")
    user.tap("theme:sensitive")
    [thanks] = user.tap("sign:yes")
    assert "Seuls des agents désignés" in thanks["text"]
    assert ideas(store) == []  # never in the ideas table that digests and partners read
    with store.session() as session:
        feedback = session.scalars(select(SensitiveFeedback)).one()
        assert feedback.follow_up and feedback.signed
        assert "argent" not in feedback.text_enc
        assert vault.decrypt(feedback.text_enc) == "un agent demande de l'argent pour le transport"
    [alert] = bot_api.sent_texts(8100999)
    assert feedback.reference in alert and "argent" not in alert
    assert bot_api.sent_texts(8100998) == []


@pytest.mark.parametrize(("sms", "thanks", "signed"), [
    ("IDEE PRIVE un agent demande de l'argent", "Seuls des agents désignés", True),
    ("idee anonyme prive un agent demande de l'argent", "Seuls des agents désignés", False),
    ("IDEA PRIVATE ANONYMOUS un agent demande de l'argent", "Only named SP/CCM officers", False),
    ("SHAWARA SIRRI un agent demande de l'argent", "SP/CCM", True),
])
def test_an_sms_idea_marked_private_is_confidential_feedback_as_on_telegram(
        client, twilio_api, bot_api, store, settings, sms, thanks, signed):
    settings.idea_sensitive_officers = ["Point focal PSEA"]
    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        add_recipient(session, vault, name="Point focal PSEA", address="telegram:8100997",
                      language="fr", subscriptions=["alerts"])
    user = SmsUser(client, twilio_api, store, "+22790110031")
    reply = user.say_all(sms)  # a newcomer first gets the privacy notice
    assert thanks in reply and f"I-{YEAR}-00001" in reply
    assert ideas(store) == []  # never where digests and partners read
    with store.session() as session:
        feedback = session.scalars(select(SensitiveFeedback)).one()
        assert vault.decrypt(feedback.text_enc) == "un agent demande de l'argent"
        assert (feedback.signed, feedback.contact_id is not None) == (signed, signed)
    [alert] = bot_api.sent_texts(8100997)
    assert feedback.reference in alert and "argent" not in alert


def test_the_sms_idea_usage_tells_how_to_send_it_privately(client, twilio_api, store):
    [usage] = SmsUser(client, twilio_api, store, "+22790110032").say("IDEE")
    assert "IDEE ANONYME" in usage and "IDEE PRIVE" in usage


def test_idea_private_on_telegram_skips_the_theme_question(client, bot_api, store):
    user = TelegramUser(client, bot_api, store, 8100003)
    [sign] = user.say("IDEE PRIVE un agent demande de l'argent")
    assert [label for label, _ in buttons(sign)] == ["Signée", "Anonyme"]
    [thanks] = user.tap("sign:no")
    assert "Seuls des agents désignés" in thanks["text"]
    assert ideas(store) == []


# --- the SP/CCM's answer ------------------------------------------------------------------------

@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI reads its settings from the environment, as in production."""
    for name, value in {"HANYA_DATABASE_URL": settings.database_url,
                        "HANYA_SECRET_KEY": settings.secret_key.get_secret_value(),
                        "HANYA_SPOOL_DIR": str(settings.spool_dir)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_status_change_reaches_a_signed_telegram_submitter_in_their_language(
        client, bot_api, store, cli_env):
    user = TelegramUser(client, bot_api, store, 8100003)
    user.say("/start")
    user.tap("lang:en")
    user.tap("point:agadez")
    user.say("/idea a GTM meeting in Arlit every quarter")
    user.tap("theme:coordination")
    [thanks] = user.tap("sign:yes")
    reference = REF.search(thanks["text"]).group(0)
    before = len(bot_api.sent(8100003))
    result = CliRunner().invoke(app, ["idea", "status", reference.lower(), "discussed",
                                      "--answer", "Next GTM meeting: 12 March, Arlit"])
    assert result.exit_code == 0, result.output
    assert "submitter told" in result.output
    [told] = bot_api.wait_sent(before + 1, chat_id=8100003, timeout=10)[before:]
    assert told["text"] == (f"Your idea {reference}: discussed at a GTM meeting.\n"
                            "Answer from the SP/CCM: Next GTM meeting: 12 March, Arlit")
    [idea] = ideas(store)
    assert (idea.status, idea.answer) == ("discussed", "Next GTM meeting: 12 March, Arlit")


def test_status_change_reaches_a_signed_sms_submitter_and_spares_an_anonymous_one(
        client, twilio_api, store, cli_env):
    signed = SmsUser(client, twilio_api, store, "+22790110005")
    signed.say("IDEE former les agents de Dirkou")
    anonymous = SmsUser(client, twilio_api, store, "+22790110006")
    anonymous.say("IDEE ANONYME une radio locale à Agadez")
    for reference in (f"I-{YEAR}-00001", f"I-{YEAR}-00002"):
        result = CliRunner().invoke(app, ["idea", "status", reference, "acted"])
        assert result.exit_code == 0, result.output
    told = twilio_api.wait_sent(2, to="+22790110005", timeout=10)[-1]
    assert told.body == f"Votre idée I-{YEAR}-00001 : mise en oeuvre."
    assert sms_cost(told.body).encoding == "GSM-7"  # œ spelt oe: one cheap SMS
    with store.session() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued == 3  # two thanks and one status message: nothing for the anonymous idea


def test_unknown_reference_or_status_is_refused_with_a_clear_message(cli_env, store):
    result = CliRunner().invoke(app, ["idea", "status", "I-2026-99999", "discussed"])
    assert result.exit_code != 0 and "no idea I-2026-99999" in result.output
    result = CliRunner().invoke(app, ["idea", "status", "I-2026-00001", "maybe"])
    assert result.exit_code != 0 and "unknown status 'maybe'" in result.output


# --- references under concurrency ---------------------------------------------------------

def test_references_stay_unique_when_many_sessions_take_one_at_once(store):
    taken: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            with store.session() as session:
                reference = next_idea_reference(session, 2026)
            with lock:
                taken.append(reference)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [f"I-2026-{n:05d}" for n in range(1, 41)]
