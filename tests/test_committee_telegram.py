"""The guided report on Telegram, end to end: buttons, a photo kept as Telegram's file id, the
summary, the reference; /cancel at any step; counts typed as numbers."""

from __future__ import annotations

import itertools

import pytest

from bot.features.committees.models import RECEIVED
from tests.committee_helpers import make_committee, reports, telegram_member, vault
from tests.fakes.telegram_updates import fixture_update, load_fixture
from tests.support import buttons, texts

CHAT = 5300000001
_ids = itertools.count(800_000_001)


@pytest.fixture
def member(client, bot_api, store, settings):
    committee = make_committee(store)
    return telegram_member(client, bot_api, store, settings, CHAT, committee)


def send_photo(user):
    user.post(fixture_update("message_photo", next(_ids), user.chat_id))
    return user._replies()


def labels(message):
    return [label for label, _ in buttons(message)]


def test_a_full_telegram_report_with_a_photo(member, store, settings):
    [ask] = member.say("/report")
    assert ask["text"] == "Que s'est-il passé ? Choisissez le type d'incident :"
    assert labels(ask)[:3] == ["Expulsion", "Personnes bloquées ou abandonnées (désert)",
                               "Décès"]
    place = member.tap("cat:expulsion")
    assert labels(place[0]) == ["Assamaka", "Un autre lieu"]  # the committee's point first
    assert "partager votre position" in place[1]["text"]
    [when] = member.tap("place:assamaka")
    assert labels(when) == ["Maintenant", "Aujourd'hui", "Hier", "Une autre date"]
    member.tap("when:yesterday")
    member.say("120")
    member.say("25")
    [description] = member.say("15")
    assert labels(description) == ["Passer"]
    [media] = member.say("Arrivés à pied depuis le Point Zéro, sans eau")
    assert labels(media) == ["Passer"]
    [summary] = send_photo(member)
    assert summary["text"].splitlines() == [
        "Vérifiez votre rapport :", "Type : Expulsion", "Lieu : Assamaka",
        summary["text"].splitlines()[3], "Personnes : 120 personnes dont 25 F, 15 E",
        "Description : Arrivés à pied depuis le Point Zéro, sans eau", "Photo jointe"]
    assert summary["text"].splitlines()[3].startswith("Quand : ")
    assert labels(summary) == ["Envoyer", "Annuler"]
    [done] = member.tap("report:send")
    assert done["text"] == "Merci. Rapport reçu : R-2026-00001."
    [report] = reports(store)
    largest = load_fixture("message_photo")["message"]["photo"][-1]["file_id"]
    assert (report.media_kind, report.media_file_id) == ("photo", largest)
    assert (report.category, report.point_id, report.total, report.women, report.children) == (
        "expulsion", "assamaka", 120, 25, 15)
    assert (report.channel, report.status, report.occurred_precision) == (
        "telegram", RECEIVED, "day")
    assert vault(settings).decrypt(report.description_enc).startswith("Arrivés à pied")
    assert report.raw_text_enc is None


def test_the_form_waits_encrypted_until_send(member, store):
    member.say("/report")
    member.tap("cat:death")
    member.tap("place:assamaka")
    member.tap("when:now")
    member.tap("count:unknown")
    member.tap("count:unknown")
    member.tap("count:unknown")
    member.say("corps près du puits")
    from bot.core.models import Contact

    with store.session() as session:
        state = session.query(Contact).one().state_data
    assert "puits" not in str(state)
    assert reports(store) == []


def test_cancel_leaves_the_form_at_any_step_and_records_nothing(member, store):
    member.say("/report")
    member.tap("cat:expulsion")
    member.tap("place:assamaka")
    [cancelled] = member.say("/cancel")
    assert cancelled["text"] == "Rapport annulé : rien n'a été enregistré."
    assert reports(store) == []
    replies = member.say("1")  # back in the information menu
    assert "Rapport" not in texts(replies)


def test_a_shared_location_picks_the_nearest_point(member, store):
    member.say("/report")
    member.tap("cat:stranded")
    member.tap("place:other")
    replies = member.share_location(18.74, 7.40)
    assert replies[0]["text"] == "Lieu le plus proche : Arlit (environ 1 km)."
    assert labels(replies[1]) == ["Maintenant", "Aujourd'hui", "Hier", "Une autre date"]


def test_a_typed_one_is_a_count_not_the_unknown_button(member, store):
    member.say("/report")
    member.tap("cat:death")
    member.tap("place:assamaka")
    member.tap("when:today")
    [women] = member.say("1")
    assert women["text"].startswith("Combien d'entre elles sont des femmes")
    [above] = member.say("3")
    assert above["text"] == "C'est plus que le total (1). Tapez le nombre à nouveau."
    [bad] = member.say("beaucoup")
    assert bad["text"] == "Tapez un nombre (par exemple 12), ou touchez Inconnu."


def test_another_date_is_typed_as_day_and_month(member, store):
    member.say("/report")
    member.tap("cat:arrival")
    member.tap("place:assamaka")
    [ask] = member.tap("when:other")
    assert ask["text"] == "Tapez la date sous la forme jour/mois, par exemple 14/03."
    [bad] = member.say("31/02")
    assert bad["text"].startswith("Cette date n'est pas valable")
    [total] = member.say("01/01")
    assert total["text"].startswith("Combien de personnes au total")


def test_a_one_line_report_works_on_telegram_too(member, store):
    [reply] = member.say("RAPPORT ARLIT ARRIVEE 40 F10")
    assert reply["text"].startswith("Reçu R-2026-00001 : Arlit, arrivée ou passage de personnes, "
                                    "40 personnes dont 10 F.")


def test_a_description_starting_with_a_command_word_is_text_not_an_sos(member, store,
                                                                      bot_api):
    member.say("/report")
    member.tap("cat:medical")
    member.tap("place:assamaka")
    member.tap("when:now")
    member.say("4")
    member.say("1")
    member.say("2")
    [media] = member.say("Urgence médicale : enfants déshydratés")  # URGENCE is an SOS word
    assert labels(media) == ["Passer"]  # the form went on to the photo step
    [summary] = member.tap("report:skip")
    assert "Description : Urgence médicale : enfants déshydratés" in summary["text"]
    [done] = member.tap("report:send")
    assert done["text"].startswith("Merci. Rapport reçu")
