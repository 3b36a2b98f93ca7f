"""/metrics: scraped as Prometheus would, its figures move with traffic, and only a bearer of the
token (or, with none set, this machine) may read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.testclient import TestClient

from tests.support import SmsUser

TOKEN = "metrics-token-for-tests"


def _scrape(client: TestClient, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]],
                                                         float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def _value(figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def local(settings, store) -> Iterator[TestClient]:
    """The app as a scraper on this machine sees it (no token set)."""
    from webhooks.app import create_app

    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        yield client


def test_figures_move_with_traffic(local, twilio_api, store):
    before = _scrape(local)
    person = SmsUser(local, twilio_api, store, "+22790004001")
    twilio_api.script(429, 20429, times=1)  # one refusal on the way: retried, then sent
    person.say("INFO")
    person.say("4")
    after = _scrape(local)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("hanya_webhook_accepted_total", channel="sms") == 2
    assert moved("hanya_messages_handled_total", channel="sms") == 2
    assert moved("hanya_sends_total", channel="sms") == len(twilio_api.sent("+22790004001"))
    assert moved("hanya_provider_throttled_total", channel="sms") == 1
    assert moved("hanya_send_errors_total", channel="sms", code="20429") == 1
    assert _value(after, "hanya_intake_waiting") == 0
    assert _value(after, "hanya_intake_oldest_age_seconds") == 0
    assert _value(after, "hanya_dead_letters") == 0
    text = local.get("/metrics").text
    assert "+22790004001" not in text and "INFO" not in text


def test_a_waiting_message_shows_in_the_backlog_and_its_age(local, store):
    from datetime import timedelta

    from bot.core.models import IntakeMessage, utcnow

    with store.session() as session:
        session.add(IntakeMessage(channel="sms", external_id="SM" + "0" * 32, route="r",
                                  payload_enc="x", received_at=utcnow() - timedelta(minutes=3),
                                  # taken by a process still at work: the intake here leaves it
                                  claimed_until=utcnow() + timedelta(minutes=5)))
    figures = _scrape(local)
    assert _value(figures, "hanya_intake_waiting") == 1
    assert 170 < _value(figures, "hanya_intake_oldest_age_seconds") < 400
    with store.session() as session:  # leave nothing for the intake to choke on
        session.query(IntakeMessage).delete()


def test_without_a_token_only_this_machine_may_scrape(client):
    assert client.get("/metrics").status_code == 404  # the test client is not 127.0.0.1


def test_with_a_token_only_its_bearer_may_scrape(settings, store):
    from webhooks.app import create_app

    guarded = settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    with TestClient(create_app(guarded), client=("127.0.0.1", 50000)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 404
        assert _scrape(client, Authorization=f"Bearer {TOKEN}")


def test_json_log_lines_are_one_object_each_and_keep_personal_data_out(capsys):
    import json
    import logging

    from bot.core.logs import JsonLines

    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    log = logging.getLogger("hanya.test.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("outbox %s failed for good after %s tries: %s", 12, 8, "PermanentSendError")
    finally:
        log.removeHandler(handler)
    [line] = capsys.readouterr().err.strip().splitlines()
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"] == "hanya.test.json"
    assert record["message"] == "outbox 12 failed for good after 8 tries: PermanentSendError"


def test_refused_sign_ins_are_counted_by_reason(settings, store):
    from tests.dashboard_support import add_user, csrf_of
    from webhooks.app import create_app

    add_user(store, "officer-m", "officer")
    # https, as the dashboard's cookies are Secure; from this machine, as /metrics wants
    with TestClient(create_app(settings), base_url="https://testserver",
                    client=("127.0.0.1", 50000)) as local:
        before = _scrape(local)
        page = local.get("/dashboard/sign-in")
        refused = local.post("/dashboard/sign-in", data={
            "identifier": "officer-m", "code": "not-the-code", "csrf": csrf_of(page.text),
            "next": "/dashboard"}, follow_redirects=False)
        assert refused.status_code == 401
        after = _scrape(local)
        assert (_value(after, "hanya_sign_in_refused_total", reason="wrong")
                - _value(before, "hanya_sign_in_refused_total", reason="wrong")) == 1
        assert "officer-m" not in local.get("/metrics").text  # no identifier in a label


def test_each_gateway_phone_s_last_sign_of_life_is_exported(settings, store):
    from datetime import UTC, datetime

    from webhooks.android_sms_liveness import LIVENESS
    from webhooks.app import create_app

    phone = settings.model_copy(update={
        "android_sms_url": "http://127.0.0.1:9/api", "android_sms_username": "u",
        "android_sms_password": SecretStr("p"), "android_sms_signing_key": SecretStr("k"),
        "android_sms_name": "airtel-1"})
    with TestClient(create_app(phone), client=("127.0.0.1", 50000)) as client:
        LIVENESS.forget("airtel-1")
        assert _value(_scrape(client), "hanya_gateway_phone_last_seen_timestamp_seconds",
                      phone="airtel-1") == 0
        LIVENESS.alive("airtel-1")
        seen = _value(_scrape(client), "hanya_gateway_phone_last_seen_timestamp_seconds",
                      phone="airtel-1")
        assert abs(seen - datetime.now(UTC).timestamp()) < 60
