"""Daily and weekly digests end to end: seeded reports, ideas, exchanges and failures; the CLI
queues the digests; the app's sender delivers them to the fake Bot API and fake Twilio, where the
numbers are checked as the SP/CCM and a partner read them."""

from __future__ import annotations

import re
import struct
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.app.cli import app
from bot.core.crypto import Vault
from bot.core.models import Contact, InboundMessage, InfoRequest, OutboxMessage
from bot.core.recipients import Recipient, add_recipient
from bot.core.settings import get_settings
from bot.features.committees.models import DUPLICATE, NOTHING, Committee, Report
from bot.features.digests.models import DigestRun
from bot.features.ideas.models import Idea, SensitiveFeedback
from tests.conftest import wait_outbox_drained
from tests.fakes.telegram_api import Upload

TZ = ZoneInfo("Africa/Niamey")
TODAY = datetime.now(TZ).date()
CORE, PARTNER, CORE_SMS = 9100001, 9100002, "+22790220001"


def at(days_ago: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), tzinfo=TZ)


def fr_day(day: date) -> str:
    return format_date(day, format="medium", locale="fr")


def report(session, number: int, committee: Committee, category: str, days_ago: int,
           counts: tuple[int, int, int], *, urgent: bool = False, status: str = "received",
           reporter: str = "rep-a") -> None:
    total, women, children = counts
    session.add(Report(reference=f"R-2026-{number:05d}", committee_id=committee.id,
                       reporter=reporter, channel="sms", language="fr", category=category,
                       urgent=urgent, point_id=committee.point_id, region=committee.region,
                       occurred_at=at(days_ago, 6), occurred_precision="time",
                       received_at=at(days_ago), total=total, women=women, children=children,
                       status=status))


def seed_reports(session) -> None:
    old = at(30)
    assamaka = Committee(slug="assamaka", name="Comité Assamaka", point_id="assamaka",
                         region="NE001", created_at=old)
    zinder = Committee(slug="zinder", name="Comité Zinder", point_id="zinder", region="NE007",
                       created_at=old)
    dirkou = Committee(slug="dirkou", name="Comité Dirkou", point_id="dirkou", region="NE001",
                       created_at=old)
    session.add_all([assamaka, zinder, dirkou])
    session.flush()
    report(session, 1, assamaka, "expulsion", 1, (120, 25, 15))
    report(session, 2, assamaka, "stranded", 1, (40, 10, 5), urgent=True)
    report(session, 3, zinder, "expulsion", 1, (3, 1, 0), reporter="rep-z")
    report(session, 4, assamaka, "expulsion", 1, (120, 25, 15), status=DUPLICATE)
    report(session, 5, zinder, NOTHING, 1, (0, 0, 0), reporter="rep-z")
    report(session, 6, assamaka, "expulsion", 3, (50, 10, 10))
    report(session, 7, assamaka, "expulsion", 10, (30, 5, 5))  # the week before


def seed_usage(session, vault: Vault) -> None:
    people = [Contact(channel="sms", pseudonym=f"p{n}", address_enc=vault.encrypt(f"tel:+2279{n}"),
                      state_data={}) for n in range(6)]
    session.add_all(people)
    session.flush()
    for n in range(12):  # this week: 12 exchanges from 5 people
        session.add(InboundMessage(channel="sms", external_id=f"now-{n}", kind="text",
                                   contact_id=people[n % 5].id, received_at=at(1 + n % 6)))
    for n in range(7):  # the week before: 7 from 3 people
        session.add(InboundMessage(channel="sms", external_id=f"before-{n}", kind="text",
                                   contact_id=people[n % 3].id, received_at=at(9)))
    for n in range(8):
        point, region, lang = ("agadez", "NE001", "fr") if n < 6 else ("niamey", "NE008", "en")
        session.add(InfoRequest(at=at(2), channel="sms", language=lang, point_id=point,
                                region=region, topic="rights" if n < 6 else "health"))
    for _ in range(4):
        session.add(InfoRequest(at=at(12), channel="sms", language="fr", point_id="agadez",
                                region="NE001", topic="rights"))
    session.add_all([
        Idea(reference="I-2026-00001", text_enc=vault.encrypt("organiser une réunion GTM à Arlit"),
             theme="coordination", signed=True, contact_id=people[0].id, channel="sms",
             language="fr", created_at=at(1)),
        Idea(reference="I-2026-00002", text_enc=vault.encrypt("une radio locale à Agadez"),
             signed=False, channel="telegram", language="fr", created_at=at(1, 18)),
        Idea(reference="I-2026-00004", text_enc=vault.encrypt("ancienne idée"), signed=False,
             channel="sms", language="fr", created_at=at(11)),
        SensitiveFeedback(reference="I-2026-00003", text_enc=vault.encrypt("SECRET-ABUS"),
                          channel="sms", language="fr", created_at=at(1))])
    for days_ago in (1, 1, 10):  # two failures yesterday, one long ago
        session.add(OutboxMessage(channel="sms", address_enc="x", payload_enc="g1.lost",
                                  status="failed", attempts=8, next_attempt_at=at(days_ago)))


@pytest.fixture
def seeded(store, settings):
    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        seed_reports(session)
        seed_usage(session, vault)
        add_recipient(session, vault, name="Permanence SP/CCM", address=f"telegram:{CORE}",
                      language="fr", subscriptions=["daily", "weekly"])
        add_recipient(session, vault, name="Partenaire", address=f"telegram:{PARTNER}",
                      language="en", subscriptions=["daily", "weekly"], core=False)
        add_recipient(session, vault, name="SG astreinte", address=f"tel:{CORE_SMS}",
                      language="fr", subscriptions=["daily"])


@pytest.fixture
def cli(settings, monkeypatch):
    for name, value in {"HANYA_DATABASE_URL": settings.database_url,
                        "HANYA_SECRET_KEY": settings.secret_key.get_secret_value(),
                        "HANYA_CHART_DIR": str(settings.chart_dir),
                        "HANYA_SPOOL_DIR": str(settings.spool_dir)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    yield run
    get_settings.cache_clear()


def test_daily_digest_reaches_core_partner_and_sms_recipients_with_the_right_numbers(
        seeded, client, bot_api, twilio_api, store, cli):
    assert "queued for 3 recipient(s)" in cli("digest", "run", "daily", "--send")
    wait_outbox_drained(store)
    yesterday = TODAY - timedelta(days=1)
    [core] = bot_api.sent_texts(CORE)
    assert core == "\n\n".join([
        f"Synthèse quotidienne Hanya du {fr_day(yesterday)}",
        "URGENT : 1 rapport\n• R-2026-00002 Personnes bloquées ou abandonnées (désert), "
        "Assamaka : 40 personnes (10 femmes, 5 enfants)",
        "3 nouveaux rapports\nAgadez\n"
        "  - Expulsion : 1 rapport, 120 personnes (25 femmes, 15 enfants)\n"
        "  - Personnes bloquées ou abandonnées (désert) : 1 rapport, 40 personnes (10 femmes, "
        "5 enfants)\nZinder\n"
        "  - Expulsion : 1 rapport, 3 personnes (1 femmes, 0 enfants)",
        "Comités silencieux depuis plus de 7 jours : Comité Dirkou",
        "Boîte à idées : 2 nouvelles idées\n"
        "• I-2026-00001 [Coordination des acteurs] organiser une réunion GTM à Arlit\n"
        "• I-2026-00002 [sans thème] une radio locale à Agadez",
        "Échecs d'envoi : 2 messages",
    ])
    [partner] = bot_api.sent_texts(PARTNER)
    assert "URGENT: <5 reports" in partner and "R-2026-00002" not in partner
    assert "Expulsion: <5 reports, <5 people (<5 women, 0 children)" in partner  # Zinder
    assert "Expulsion: <5 reports, 120 people (25 women, 15 children)" in partner
    assert "Idea box: <5 new ideas" in partner and "Arlit" not in partner
    assert "Delivery failures" not in partner
    assert partner.endswith("Counts under 5 are shown as <5.")
    [sms] = [m.body for m in twilio_api.sent(CORE_SMS)]
    assert sms.startswith(f"Hanya {yesterday:%d/%m} : 3 rapports (1 urgents), 163 personnes, "
                          "2 idees.\nEnvois en échec : 2.")
    for text in (core, partner, sms):
        assert "SECRET" not in text and "I-2026-00003" not in text  # confidential: never


def test_weekly_digest_compares_two_weeks_and_attaches_a_phone_sized_chart(
        seeded, client, bot_api, store, cli):
    assert "queued for 2 recipient(s)" in cli("digest", "run", "weekly", "--send")
    wait_outbox_drained(store)
    text, photo = bot_api.sent(CORE)
    body = text["text"]
    assert body.startswith(f"Synthèse hebdomadaire Hanya, du {fr_day(TODAY - timedelta(7))} "
                           f"au {fr_day(TODAY - timedelta(1))}")
    assert "4 nouveaux rapports" in body
    assert ("Indicateurs (cette semaine / semaine précédente)\n"
            "Échanges : 12 / 7\n"
            "Contacts uniques : 5 / 3\n"
            "Contributeurs : 4 / 2 (rapporteurs 2, auteurs d'idées 2)\n"
            "Comités actifs : 2 / 1\n"
            "Thèmes des idées : Coordination des acteurs 1, sans thème 1\n"
            "Demandes d'information : 8 / 4\n"
            "  par région : Agadez 6, Niamey 2\n") in body
    assert "par langue : Français 6, English 2" in body
    assert "par sujet : rights 6, health 2" in body
    assert photo["caption"].startswith("Indicateurs Hanya, du ")
    upload = photo["photo"]
    assert isinstance(upload, Upload) and upload.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", upload.data[16:24])  # the PNG's IHDR
    assert (width, height) == (900, 1200)
    assert [c.method for c in bot_api.calls if c.chat_id == CORE] == ["sendMessage", "sendPhoto"]
    partner_text, partner_photo = bot_api.sent(PARTNER)
    assert "Exchanges: 12 / 7" in partner_text["text"]
    assert "Contributors: <5 / <5" in partner_text["text"]
    assert partner_photo["caption"].startswith("Hanya indicators")


def test_the_weekly_chart_goes_only_where_the_channel_sends_pictures(seeded, store, settings):
    import webhooks.channels  # noqa: F401 - the channels installed
    from bot.core.content import load_content
    from bot.features.dashboard.indicators import Period
    from bot.features.digests.digest import build_digest
    from bot.features.digests.render import DigestRenderer

    content = load_content(settings.content_dir, settings.locales_dir)
    with store.session() as session:
        digest = build_digest(session, content, "weekly",
                              Period(TODAY - timedelta(7), TODAY - timedelta(1)), TZ,
                              vault=Vault(settings.secret_key_or_dev()))
    renderer = DigestRenderer(content, 5, settings.chart_dir, 3)

    def read_on(channel: str) -> list:
        return renderer(digest, Recipient(name="x", channel=channel, language="fr", core=True,
                                          address_enc=""))

    telegram, whatsapp = read_on("telegram"), read_on("whatsapp")
    assert telegram[-1].photo_path and telegram[-1].text.startswith("Indicateurs Hanya")
    assert not any(m.photo_path or m.text.startswith("Indicateurs Hanya") for m in whatsapp)
    assert "Échanges : 12 / 7" in "\n".join(m.text for m in whatsapp)


def test_a_digest_is_queued_once_per_period_and_recipient(seeded, store, cli):
    cli("digest", "run", "daily", "--send")
    assert "queued for 0 recipient(s)" in cli("digest", "run", "daily", "--send")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(DigestRun)) == 3
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.priority == 9)) == 3


def test_dry_run_prints_the_sms_form_within_budget_and_queues_nothing(seeded, store, cli):
    out = cli("digest", "run", "daily", "--dry-run", "--channel", "sms", "--language", "en",
              "--partner")
    assert out.startswith(f"Hanya {TODAY - timedelta(days=1):%d/%m}: <5 reports (<5 urgent), "
                          "163 people, <5 ideas.")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(DigestRun)) == 0


def test_recipients_are_added_listed_masked_and_removed_by_the_cli(store, cli):
    assert "recipient 1 saved" in cli("digest", "recipients", "add", "OIM Agadez",
                                      "tel:+227 90 12 34 56", "--partner",
                                      "--subscriptions", "weekly", "--language", "en")
    listed = cli("digest", "recipients", "list")
    assert "OIM Agadez" in listed and "tel:…456" in listed and "partner" in listed
    assert "90 12 34" not in listed and "+22790123456" not in listed  # never the full number
    with store.session() as session:
        recipient = session.scalars(select(Recipient)).one()
        assert (recipient.channel, recipient.subscriptions, recipient.core) == (
            "sms", "weekly", False)
    assert "recipient 1 removed" in cli("digest", "recipients", "remove", "1")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Recipient)) == 0


def test_a_malformed_recipient_address_is_refused(store, cli):
    result = CliRunner().invoke(app, ["digest", "recipients", "add", "X", "12345"])
    assert result.exit_code != 0
    assert "telegram:<chat id> or tel:+<country code><number>" in result.output


def test_a_count_no_report_gave_reads_unknown_not_zero(store, settings):
    from bot.core.content import load_content
    from bot.features.dashboard.indicators import Period
    from bot.features.digests.digest import build_digest
    from bot.features.digests.render import Counts, DigestRenderer

    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        arlit = Committee(slug="arlit", name="Comité Arlit", point_id="arlit", region="NE001",
                          created_at=at(30))
        session.add(arlit)
        session.flush()
        report(session, 11, arlit, "expulsion", 1, (None, None, None))  # no count at all
        report(session, 12, arlit, "stranded", 1, (30, None, None), reporter="rep-b")
        report(session, 13, arlit, "stranded", 1, (None, None, None), reporter="rep-c")
        report(session, 14, arlit, "accident", 1, (8, 2, None), reporter="rep-d")
    yesterday = TODAY - timedelta(days=1)
    content = load_content(settings.content_dir, settings.locales_dir)
    with store.session() as session:
        digest = build_digest(session, content, "daily", Period(yesterday, yesterday), TZ,
                              vault=vault)
    renderer = DigestRenderer(content, 5, settings.chart_dir, 3)
    text = renderer.reports(digest, content.translator("fr"), Counts(5, exact=True))
    assert "Expulsion : 1 rapport, nombre de personnes non précisé" in text
    assert "2 rapports, au moins 30 personnes (tous les rapports n'ont pas donné de nombre)" \
        in text
    assert "1 rapport, 8 personnes (2 femmes)" in text
    assert not re.search(r"(?<!\d)0 (personnes|femmes|enfants)", text)


def test_recipients_added_and_removed_at_the_terminal_fill_the_audit_log(store, cli):
    # Issue 21: CLI actions in the audit log the dashboard's fill, never the address itself.
    from bot.features.dashboard.models import AuditEntry

    cli("digest", "recipients", "add", "OIM Agadez", "tel:+227 90 12 34 56")
    cli("digest", "recipients", "remove", "1")
    with store.session() as session:
        entries = session.execute(select(AuditEntry.identifier, AuditEntry.action,
                                         AuditEntry.object_type, AuditEntry.object_id,
                                         AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert [(action, kind, ref) for _who, action, kind, ref, _ in entries] == [
        ("recipient.add", "recipient", "1"), ("recipient.remove", "recipient", "1")]
    assert all(who.startswith("cli") for who, *_ in entries)
    assert not any("90 12 34" in str(entry) or "22790123456" in str(entry) for entry in entries)
