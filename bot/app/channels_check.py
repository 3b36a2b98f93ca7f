"""``hanya channels check``: for each installed channel, whether it is set up, reachable and
set up as Hanya expects, one line each (the same findings as ``hanya doctor``'s, which it
reuses for Telegram and Twilio SMS).

* telegram: ``getMe`` and ``getWebhookInfo`` (the webhook on ``HANYA_PUBLIC_URL``);
* sms (Twilio): the account (``GET /Accounts/{sid}.json``, active) and the number (one of the
  account's, its SMS webhook ours);
* whatsapp (Twilio): the account, the sender (Twilio's Messaging API ``GET
  /v2/Channels/Senders``: ``HANYA_TWILIO_WHATSAPP_NUMBER`` online, its webhook ours; the
  sandbox's shared number is only a warning), the editors' templates file, and whether
  Twilio can fetch recordings (HANYA_PUBLIC_URL not this machine; else text only);
* android-sms: each gateway phone's ``GET /health`` (pass, warn, fail) and ``GET /webhooks``
  (``sms:received`` and the delivery reports posted to ours), as the app documents them.

A channel not set up is said so, and is not a problem; any error makes the command exit 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import yaml

from bot.app import doctor
from bot.app.doctor import Finding, error, ok, warning
from bot.core import channel_registry, provider_templates
from bot.core.settings import Settings
from bot.core.texts import N_
from webhooks import channels as _installed  # noqa: F401 - each channel registers itself
from webhooks import recording_links

__all__ = ["check", "CHECKS"]

# Twilio's shared WhatsApp sandbox number: fine to try, never for people in Niger.
SANDBOX = "whatsapp:+14155238886"
GATEWAY_EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")

Check = Callable[[Settings, httpx.Client, datetime], Iterator[Finding]]


def check(settings: Settings, *, timeout: float = 5.0,
          now: datetime | None = None) -> list[Finding]:
    """Every installed channel's findings, by rank."""
    now = now or datetime.now(UTC)
    findings: list[Finding] = []
    with httpx.Client(timeout=timeout) as client:
        for channel in channel_registry.installed():
            if channel.sender(settings) is None:
                findings.append(ok(channel.name, N_("not set up (off)")))
                continue
            run = CHECKS.get(channel.name)
            if run is None:
                findings.append(warning(channel.name, N_("set up; no check is known for it")))
                continue
            found = [_named(channel.name, f) for f in run(settings, client, now)]
            findings.extend(found or [ok(channel.name, N_("set up"))])
    return findings


def _named(name: str, finding: Finding) -> Finding:
    """The line names its channel (a gateway phone's: ``android-sms/<phone>``)."""
    if finding.check.startswith(name):
        return finding
    return Finding(finding.level, name, finding.text, finding.values, finding.blocking)


def _telegram(settings: Settings, client: httpx.Client, now: datetime) -> Iterator[Finding]:
    yield from doctor._telegram(settings, client, now)  # noqa: SLF001 - the doctor's own check


def _twilio_account(settings: Settings, client: httpx.Client) -> Iterator[Finding]:
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not sid or token is None:
        yield error("Twilio", N_("HANYA_TWILIO_ACCOUNT_SID and HANYA_TWILIO_AUTH_TOKEN are "
                                 "needed"))
        return
    try:
        response = client.get(f"{settings.twilio_api_url}/2010-04-01/Accounts/{sid}.json",
                              auth=(sid, token.get_secret_value()))
    except httpx.HTTPError as exc:
        yield doctor._unreachable("Twilio", "Twilio", exc)  # noqa: SLF001
        return
    if response.status_code == 401:
        yield error("Twilio", N_("Twilio refuses the account SID and auth token: copy them again "
                                 "from the Twilio console"))
    elif response.status_code != 200:
        yield error("Twilio", N_("{provider} answered {status}"), provider="Twilio",
                    status=response.status_code)
    elif (status := response.json().get("status")) != "active":
        yield error("Twilio", N_("the Twilio account is {status}, not active"), status=status)
    else:
        yield ok("Twilio", N_("the account is active"))


def _sms(settings: Settings, client: httpx.Client, now: datetime) -> Iterator[Finding]:
    account = list(_twilio_account(settings, client))
    yield from account
    if all(f.level == "ok" for f in account):
        yield from doctor._twilio(settings, client, now)  # noqa: SLF001 - the number's check


def _messaging_url(api_url: str) -> str:
    """Twilio's Messaging API: its own host in production, the same base in tests."""
    return api_url.replace("://api.", "://messaging.", 1)


def _whatsapp(settings: Settings, client: httpx.Client, now: datetime) -> Iterator[Finding]:
    account = list(_twilio_account(settings, client))
    yield from account
    number = settings.twilio_whatsapp_number or ""
    if not number.startswith("whatsapp:+"):
        yield error("WhatsApp", N_("HANYA_TWILIO_WHATSAPP_NUMBER must read whatsapp:+<number>, "
                                   "not {found}"), found=number)
        return
    problems = provider_templates.problems(
        settings.content_dir / provider_templates.FILE,
        set(_languages(settings)))
    for problem in problems:
        yield error("WhatsApp", N_("templates file: {problem}"), problem=problem)
    if not problems:
        yield ok("WhatsApp", N_("templates file readable"))
    if recording_links.public_base(settings) is None:
        yield warning("WhatsApp", N_("HANYA_PUBLIC_URL is {url}, which Twilio cannot reach: "
                                     "recordings are not sent on WhatsApp, answers go as text "
                                     "only"), url=settings.public_url)
    else:
        yield ok("WhatsApp", N_("recordings go as voice notes from {url}/media/recordings/ "
                                "(signed, an hour)"), url=settings.public_url)
    if number == SANDBOX:
        yield warning("WhatsApp", N_("Twilio's shared sandbox number: for trying only, people "
                                     "must join it first"))
        return
    if not all(f.level == "ok" for f in account):
        return
    assert settings.twilio_auth_token is not None and settings.twilio_account_sid
    try:
        response = client.get(f"{_messaging_url(settings.twilio_api_url)}/v2/Channels/Senders",
                              params={"Channel": "whatsapp"},
                              auth=(settings.twilio_account_sid,
                                    settings.twilio_auth_token.get_secret_value()))
    except httpx.HTTPError as exc:
        yield doctor._unreachable("WhatsApp", "Twilio", exc)  # noqa: SLF001
        return
    if response.status_code != 200:
        yield error("WhatsApp", N_("{provider} answered {status}"), provider="Twilio",
                    status=response.status_code)
        return
    sender = next((s for s in response.json().get("senders", [])
                   if s.get("sender_id") == number), None)
    expected = f"{settings.public_url}/webhooks/twilio/whatsapp"
    if sender is None:
        yield error("WhatsApp", N_("{number} is not a WhatsApp sender of this Twilio account"),
                    number=number)
    elif sender.get("status") != "ONLINE":
        yield error("WhatsApp", N_("the WhatsApp sender is {status}, not ONLINE"),
                    status=sender.get("status"))
    elif (sender.get("webhook") or {}).get("callback_url") != expected:
        yield error("WhatsApp", N_("the sender's webhook is {found}, not {expected}: set it in "
                                   "the Twilio console (Messaging, Senders)"),
                    found=(sender.get("webhook") or {}).get("callback_url") or "-",
                    expected=expected)
    else:
        yield ok("WhatsApp", N_("the sender is online, its webhook is {expected}"),
                 expected=expected)


def _languages(settings: Settings) -> list[str]:
    data = yaml.safe_load((settings.content_dir / "languages.yaml").read_text(encoding="utf-8"))
    return [entry["code"] for entry in data.get("languages", [])]


def _android_sms(settings: Settings, client: httpx.Client, now: datetime) -> Iterator[Finding]:
    expected = f"{settings.public_url}/webhooks/android-sms"
    for phone in settings.android_sms_phone_list():
        auth, name = (phone.username, phone.password), f"android-sms/{phone.name}"
        try:
            health = client.get(f"{phone.url}/health", auth=auth)
            hooks = client.get(f"{phone.url}/webhooks", auth=auth)
        except httpx.HTTPError as exc:
            yield doctor._unreachable(name, phone.name, exc)  # noqa: SLF001
            continue
        if health.status_code == 401 or hooks.status_code == 401:
            yield error(name, N_("the phone refuses the username and password: copy them "
                                       "again from the app's Home tab"))
            continue
        status = health.json().get("status") if health.status_code == 200 else None
        if status == "fail" or health.status_code != 200:
            yield error(name, N_("the app says it is unwell ({status}): see its Health "
                                       "screen"), status=status or health.status_code)
        elif status == "warn":
            yield warning(name, N_("the app says warn (battery or queue): see its Health "
                                         "screen"))
        registered = {h.get("event") for h in (hooks.json() if hooks.status_code == 200 else [])
                      if h.get("url") == expected}
        missing = [event for event in GATEWAY_EVENTS if event not in registered]
        if missing:
            yield error(name, N_("no webhook to {expected} for {events}: register them "
                                       "(docs/CHANNELS.md)"), expected=expected,
                        events=", ".join(missing))
        elif status == "pass":
            yield ok(name, N_("reachable and healthy, its webhooks post to {expected}"),
                     expected=expected)


CHECKS: dict[str, Check] = {"telegram": _telegram, "sms": _sms, "whatsapp": _whatsapp,
                            "android-sms": _android_sms}
