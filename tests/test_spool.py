"""SMS spooled while the store was down go through the intake when it is back (bot/core/spool.py):
handled in their person's order, behind nothing that came later, and once."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.models import InboundMessage, IntakeMessage
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, wait_handled
from tests.fakes.twilio_signing import signed_sms_form
from tests.test_failures import store_outage
from tests.test_intake import accepting_only, count, handle_all

NUMBER = "+22791230001"
SIDS = [f"SM{n:032x}" for n in range(0x5A0001, 0x5A0005)]


def post(client, twilio_api, body: str, sid: str) -> int:
    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    form, headers = signed_sms_form(url, twilio_api.auth_token, from_=NUMBER, to=SERVICE_NUMBER,
                                    body=body, message_sid=sid)
    return client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code


def test_spooled_sms_go_through_the_intake_in_their_order_and_once(settings, store, twilio_api,
                                                                   monkeypatch):
    import webhooks.app
    from webhooks.app import spool_ingest

    async def flushed_by_the_test(*_args) -> None:  # not by the app every 5 s meanwhile
        return None

    monkeypatch.setattr(webhooks.app, "_flush_spool_forever", flushed_by_the_test)

    with accepting_only(settings) as client:  # handled below, when the test says so
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        with store_outage(client):
            assert post(client, twilio_api, "INFO", SIDS[0]) == 200
            assert post(client, twilio_api, "1", SIDS[1]) == 200
        # The store is back, and an SMS comes before the spool is flushed: it waits behind.
        assert post(client, twilio_api, "2", SIDS[2]) == 200
        assert len(runtime.spool.pending()) == 3 and count(store, IntakeMessage) == 0

        runtime.spool.flush(spool_ingest(client.app.state.intake))  # type: ignore[attr-defined]
        assert runtime.spool.pending() == []
        # Into the intake, not past it: nothing handled yet, the three waiting in order.
        assert count(store, InboundMessage) == 0
        with store.session() as session:
            waiting = session.scalars(select(IntakeMessage.external_id)
                                      .order_by(IntakeMessage.id)).all()
        assert waiting == SIDS[:3]
        assert post(client, twilio_api, "3", SIDS[3]) == 200  # the spool empty: straight in
        assert post(client, twilio_api, "INFO", SIDS[0]) == 200  # Twilio's late retry
        handle_all(runtime)
    with store.session() as session:
        handled = session.scalars(select(InboundMessage.external_id)
                                  .order_by(InboundMessage.id)).all()
    assert handled == SIDS  # once each, in the order they were sent


def test_a_spooled_sms_that_cannot_be_ingested_is_set_aside_and_holds_back_no_other(
        client, store, twilio_api):
    from webhooks.app import spool_ingest

    runtime = client.app.state.runtime
    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    for sid in ("SM-spooled-before-ids-were-checked", SIDS[0]):
        form, _ = signed_sms_form(url, twilio_api.auth_token, from_=NUMBER,
                                  to=SERVICE_NUMBER, body="INFO", message_sid=sid)
        runtime.spool.put("sms", form)
    runtime.spool.flush(spool_ingest(client.app.state.intake))
    wait_handled(store)
    with store.session() as session:
        assert session.scalars(select(InboundMessage.external_id)).all() == [SIDS[0]]
    assert runtime.spool.pending() == [] and len(runtime.spool.set_aside()) == 1
    ready = client.get("/readyz").json()
    assert ready["spooled_sms"] == 0 and ready["spool_set_aside"] == 1
