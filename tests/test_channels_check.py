"""`hanya channels check` (bot/app/channels_check.py): one line per channel, against the fake
Telegram Bot API, the fake Twilio (account, number, WhatsApp sender) and a fake gateway phone
(health, webhooks); exit 1 on a problem."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from bot.app.channels_check import GATEWAY_EVENTS, check
from tests.android_sms_helpers import gateway_settings
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, WEBHOOK_SECRET
from tests.fakes.android_sms_gateway import FakeGatewayPhone

WHATSAPP = "whatsapp:+22780000001"


@pytest.fixture
def airtel():
    with FakeGatewayPhone("airtel", signing_key="airtel-signing-key") as phone:
        yield phone


@pytest.fixture
def all_set(settings, bot_api, twilio_api, airtel):
    """Every channel set up as Hanya expects."""
    token = settings.telegram_token.get_secret_value()
    httpx.post(f"{bot_api.url}/bot{token}/setWebhook",
               data={"url": f"{PUBLIC_URL}/webhooks/telegram", "secret_token": WEBHOOK_SECRET})
    twilio_api.own_number(SERVICE_NUMBER, f"{PUBLIC_URL}/webhooks/twilio/sms")
    twilio_api.whatsapp_sender(WHATSAPP, f"{PUBLIC_URL}/webhooks/twilio/whatsapp")
    for event in GATEWAY_EVENTS:
        airtel.register_webhook(f"{PUBLIC_URL}/webhooks/android-sms", event)
    return gateway_settings(settings, airtel, twilio_whatsapp_number=WHATSAPP)


def lines(findings) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for f in findings:
        by.setdefault(f.check, []).append(f"{f.level} {f.message()}")
    return by


def test_every_channel_set_up_right_is_ok(all_set):
    found = check(all_set)
    assert {f.level for f in found} == {"ok"}, [f.line() for f in found]
    by = lines(found)
    assert by["whatsapp"][-1] == ("ok the sender is online, its webhook is "
                                  f"{PUBLIC_URL}/webhooks/twilio/whatsapp")
    assert by["android-sms/airtel"] == [f"ok reachable and healthy, its webhooks post to "
                            f"{PUBLIC_URL}/webhooks/android-sms"]
    assert "ok the account is active" in by["sms"]
    assert any("webhook on" in line for line in by["telegram"])


def test_each_problem_is_a_line_and_the_command_exits_1(all_set, twilio_api, airtel,
                                                        monkeypatch):
    twilio_api.account_status = "suspended"
    airtel.health = "fail"
    airtel.webhooks.clear()
    by = lines(check(all_set))
    assert by["sms"] == ["error the Twilio account is suspended, not active"]
    assert "error the Twilio account is suspended, not active" in by["whatsapp"]
    phone = by["android-sms/airtel"]
    assert phone[0].startswith("error the app says it is unwell (fail)")
    assert phone[1].startswith(f"error no webhook to {PUBLIC_URL}/webhooks/android-sms "
                               "for sms:received, sms:sent")

    from bot.app import cli

    monkeypatch.setattr(cli, "get_settings", lambda: all_set)
    result = CliRunner().invoke(cli.app, ["channels", "check"])
    assert result.exit_code == 1, result.output
    assert "suspended" in result.output and "Traceback" not in result.output


def test_a_sender_offline_an_unreachable_phone_and_a_channel_off(settings, twilio_api, airtel,
                                                                 monkeypatch):
    twilio_api.whatsapp_sender(WHATSAPP, f"{PUBLIC_URL}/webhooks/twilio/whatsapp",
                               status="OFFLINE")
    set_up = gateway_settings(settings, airtel, twilio_whatsapp_number=WHATSAPP,
                              telegram_token=None)
    airtel.offline()
    by = lines(check(set_up, timeout=2))
    assert by["telegram"] == ["ok not set up (off)"]
    assert "error the WhatsApp sender is OFFLINE, not ONLINE" in by["whatsapp"]
    assert by["android-sms/airtel"][0].startswith("error cannot reach airtel")


def test_all_right_the_command_exits_0(all_set, monkeypatch):
    from bot.app import cli

    monkeypatch.setattr(cli, "get_settings", lambda: all_set)
    result = CliRunner().invoke(cli.app, ["channels", "check"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) >= 5  # a line each, at least
