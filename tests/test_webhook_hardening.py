"""The Telegram webhook fails closed without its secret and answers hostile JSON with a 400."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core.models import IntakeMessage
from bot.features.committees.models import SosEvent
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_updates import text_update


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def open_settings(settings):
    """A token and no webhook secret: the misconfiguration an attacker found."""
    return settings.model_copy(update={"telegram_webhook_secret": None})


@pytest.mark.parametrize("header", [None, "", "anything", WEBHOOK_SECRET])
def test_without_its_secret_the_telegram_webhook_refuses_every_update(
        open_settings, store, caplog, header):
    from webhooks.app import create_app

    caplog.set_level(logging.WARNING)
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header is not None else {}
    with TestClient(create_app(open_settings)) as client:
        response = client.post("/webhooks/telegram", headers=headers,
                               json=text_update(900_100_001, 5500000001, "SOS AGADEZ"))
        ready = client.get("/readyz").json()
    assert response.status_code == 403
    assert (count(store, IntakeMessage), count(store, SosEvent)) == (0, 0)
    assert ready["telegram_webhook"].startswith("refusing: HANYA_TELEGRAM_WEBHOOK_SECRET is not")
    said = [r.getMessage() for r in caplog.records if "WEBHOOK_SECRET" in r.getMessage()]
    assert said and all(open_settings.telegram_token.get_secret_value() not in m for m in said)


def test_with_its_secret_the_webhook_is_open_and_readyz_says_so(client):
    assert client.get("/readyz").json()["telegram_webhook"] == "open"


def test_deeply_nested_json_gets_a_400_not_a_500(client, store):
    for body in ("[" * 30000, '{"a":' * 12000, "[" * 30000 + "]" * 30000):
        response = client.post("/webhooks/telegram", content=body.encode(),
                               headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                        "Content-Type": "application/json"})
        assert response.status_code == 400, body[:10]
        assert response.json() == {"detail": "body is not JSON"}
    assert count(store, IntakeMessage) == 0
