"""Gateway phones' last sign of life in the store (bot/core/liveness.py): what one process
saw, the others read (the silence watch, /readyz, the operations page); a store away loses
nothing the webhook needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from bot.core.errors import StoreUnavailable
from bot.core.liveness import Liveness
from tests.android_sms_helpers import gateway_settings
from tests.dashboard_support import signed_in
from tests.fakes.android_sms_gateway import FakeGatewayPhone, received_payload, signed_event
from webhooks.android_sms_liveness import LIVENESS
from webhooks.android_sms_watch import SilenceWatch

T0 = datetime(2026, 3, 14, 5, 0, tzinfo=UTC)


def test_what_one_process_saw_the_others_read(store):
    web, watch = Liveness(store), Liveness(store)  # two processes, one store
    web.alive("airtel", at=T0)
    web.failure("moov", "HTTP 503")
    assert watch.seen == {"airtel": T0}
    report = watch.report([_Phone("airtel"), _Phone("moov"), _Phone("zamani")])
    assert report["airtel"]["last_seen"] == T0.isoformat()
    assert (report["moov"]["failure"], report["zamani"]) == (
        "HTTP 503", {"last_seen": None, "last_failure": None, "failure": None})
    assert not web.due("airtel")  # written now and then, not at every sign
    web.alive("airtel", at=T0 + timedelta(seconds=5))
    assert watch.seen["airtel"] == T0  # the store still holds the one written
    assert web.seen["airtel"] == T0 + timedelta(seconds=5)  # its own is merged in


def test_a_store_away_keeps_the_sign_in_memory(store, monkeypatch):
    liveness = Liveness(store)

    def away():
        raise StoreUnavailable("down")

    monkeypatch.setattr(store, "session", away)
    liveness.alive("airtel", at=T0)  # no exception: the webhook goes on
    liveness.failure("moov", "timeout")
    assert liveness.seen == {"airtel": T0}
    assert liveness.due("airtel")  # written again at the next sign
    assert liveness.report([_Phone("moov")])["moov"]["failure"] == "timeout"


def test_the_watch_reads_a_sign_another_process_wrote(store):
    other = Liveness(store)
    other.alive("airtel", at=T0 + timedelta(minutes=50))
    watch = SilenceWatch(_Runtime(store), _WatchSettings(["airtel", "moov"]), Liveness(store),
                         now=T0)
    assert watch.check(T0 + timedelta(minutes=61)) == ["moov"]  # airtel spoke elsewhere


@pytest.fixture
def airtel():
    with FakeGatewayPhone("airtel", signing_key="airtel-signing-key") as phone:
        yield phone


def test_readyz_and_the_operations_page_show_each_phone(settings, store, airtel):
    from webhooks.app import create_app

    LIVENESS.forget("airtel")
    app_settings = gateway_settings(settings, airtel, run_sender=False)
    with TestClient(create_app(app_settings), base_url="https://testserver") as client:
        assert client.get("/readyz").json()["android_sms_phones"]["airtel"]["last_seen"] is None
        body, headers = signed_event("sms:received", received_payload("+22796112233", "INFO"),
                                     airtel.signing_key)
        assert client.post("/webhooks/android-sms", content=body, headers=headers
                           ).status_code == 200
        seen = Liveness(store).seen["airtel"]  # in the store: any process reads it
        assert abs((datetime.now(UTC) - seen).total_seconds()) < 60
        ready = client.get("/readyz").json()["android_sms_phones"]["airtel"]
        assert ready["last_seen"] == seen.isoformat()
        signed_in(client, store, "ops-officer", "officer")
        page = client.get("/dashboard/operations").text
        assert "Téléphones passerelles" in page and "airtel" in page
        assert seen.strftime("%Y-%m-%d %H:%M") in page


class _Phone:
    def __init__(self, name: str) -> None:
        self.name = name


class _WatchSettings:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.android_sms_silent_minutes = 60
        self.timezone = "Africa/Niamey"

    def android_sms_phone_list(self) -> list[_Phone]:
        return [_Phone(name) for name in self.names]


class _Runtime:
    """Enough of the runtime for the watch's alert: no recipient, nobody told."""

    def __init__(self, store) -> None:
        self.store = store
        self.vault = None
        self.content = type("C", (), {"current": None})()
