"""A gateway phone gone silent: the duty recipients are told once, in their language, and
again when it is back (webhooks/android_sms_watch.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage
from bot.core.recipients import add_recipient
from tests.android_sms_helpers import gateway_settings
from tests.committee_helpers import vault
from tests.fakes.android_sms_gateway import FakeGatewayPhone
from webhooks.android_sms_liveness import Liveness
from webhooks.android_sms_watch import SilenceWatch

T0 = datetime(2026, 3, 14, 5, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings, store):
    from webhooks.app import create_app

    with FakeGatewayPhone("airtel") as airtel, FakeGatewayPhone("moov") as moov:
        quiet = gateway_settings(settings, airtel, moov, run_sender=False)
        with TestClient(create_app(quiet)) as client:
            yield client.app.state.runtime, quiet


def queued(store, vault) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.channel, Outgoing.unseal(vault, row.payload_enc).text) for row in rows]


def test_a_silent_phone_is_alerted_once_and_its_return_too(runtime, store):
    rt, settings = runtime
    with store.session() as session:
        add_recipient(session, vault(settings), name="Permanence", address="tel:+22790000001",
                      language="fr", subscriptions=["alerts"], channel="android-sms")
        add_recipient(session, vault(settings), name="GTM", address="telegram:777",
                      language="ha", subscriptions=["alerts"])
    liveness = Liveness()
    watch = SilenceWatch(rt, settings, liveness, now=T0)
    liveness.seen["moov"] = T0 + timedelta(minutes=50)
    assert watch.check(T0 + timedelta(minutes=59)) == []
    assert watch.check(T0 + timedelta(minutes=61)) == ["airtel"]
    assert watch.check(T0 + timedelta(minutes=90)) == []  # told once
    [(sms_channel, french), (chat_channel, hausa)] = queued(store, rt.vault)
    assert (sms_channel, chat_channel) == ("android-sms", "telegram")
    assert french.startswith("Le téléphone passerelle airtel ne donne plus signe de vie "
                             "depuis 14 mars 2026 06:00")
    assert hausa.startswith("Wayar hanyar sadarwa airtel ta yi shiru")
    liveness.seen["airtel"] = T0 + timedelta(minutes=95)
    assert watch.check(T0 + timedelta(minutes=96)) == ["airtel"]
    assert queued(store, rt.vault)[-2][1] == "Le téléphone passerelle airtel répond de nouveau."
    assert watch.check(T0 + timedelta(minutes=112)) == ["moov"]  # 62 minutes after its last


def test_no_watch_without_phones_or_with_alerts_off(settings):
    from webhooks.android_sms_watch import watch

    assert watch(None, settings, lambda: None, None) is None  # type: ignore[arg-type]
    with FakeGatewayPhone() as phone:
        off = gateway_settings(settings, phone, android_sms_silent_minutes=0)
        assert watch(None, off, lambda: None, None) is None  # type: ignore[arg-type]
