"""The fake providers in their own process, so they never take the measured process's GIL.

Started by :class:`bench.procs.FakesProc`. Prints one JSON line with the URLs, then answers
commands read from stdin, one per line: ``stats`` (JSON line), ``sends`` (every accepted send,
a JSON line), ``window <JSON list>`` (these WhatsApp addresses wrote: Twilio opens their
24-hour windows), ``reset`` and ``quit``.

With ``--gateway-phones N`` it also runs N Android gateway phones (tests/fakes/
android_sms_gateway.py). The app on a real phone queues what comes faster than Android lets
it send, rather than refusing it (a refusal would make Hanya rest the phone and fail over):
so these phones take every send and count, per phone, the sends that came closer than
``--gateway-rate``'s gap (5 % jitter allowed): ``too_fast`` in ``stats``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from typing import Any

from tests.fakes.android_sms_gateway import FakeGatewayPhone
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio_api import FakeTwilio

GATEWAY_PREFIXES = ("+22796", "+22790")  # made-up operators, one a phone (as the tests')
GATEWAY_USER, GATEWAY_PASSWORD = "sms", "bench-gateway-pass"


def _telegram_stats(api: FakeBotApi) -> dict[str, Any]:
    sends = [c for c in api.calls if c.method == "sendMessage"]
    ok = [c for c in sends if c.ok]
    texts = Counter(str(c.params.get("text", "")) for c in ok)
    return {"ok": len(ok), "rejected_429": api.rejections_429,
            "rejected_429_per_chat": _per_chat_429s(sends),
            "errors": sum(1 for c in sends if not c.ok and c.status != 429),
            "distinct": len(texts), "texts": list(texts.elements()) if len(ok) <= 20000 else [],
            "first_at": min((c.at for c in ok), default=None),
            "last_at": max((c.at for c in ok), default=None),
            # When each 429 came, in seconds after the first send (at start, or all along?).
            "rejected_429_after": _after_first(sends, [c for c in sends if c.status == 429])}


def _after_first(calls: list[Any], picked: list[Any]) -> list[float]:
    first = min((c.at for c in calls), default=0.0)
    return sorted(round(c.at - first, 3) for c in picked)


def _per_chat_429s(sends: list[Any]) -> int:
    """429s answered while the chat had an accepted send less than a second before (the
    per-chat window); the others were the overall window's."""
    last_ok: dict[Any, float] = {}
    count = 0
    for call in sorted(sends, key=lambda c: c.at):
        if call.ok:
            last_ok[call.chat_id] = call.at
        elif call.status == 429 and call.at - last_ok.get(call.chat_id, -10.0) < 1.0:
            count += 1
    return count


def _twilio_stats(api: FakeTwilio) -> dict[str, Any]:
    sent = api.messages
    bodies = Counter(m.body for m in sent)
    return {"ok": len(sent), "rejected_429": api.rejections_429,
            "errors": sum(1 for c in api.calls if not c.ok and c.status != 429),
            "distinct": len(bodies), "texts": list(bodies.elements()) if len(sent) <= 20000 else [],
            "first_at": min((m.at for m in sent), default=None),
            "last_at": max((m.at for m in sent), default=None),
            "rejected_429_after": _after_first(api.calls,
                                               [c for c in api.calls if c.status == 429])}


def gateway_key(index: int) -> str:
    """The signing key set in phone ``index``'s app (the bench signs its webhooks with it)."""
    return f"bench-gateway-key-{index + 1}"


def _too_fast(phones: list[FakeGatewayPhone], rate: float | None) -> int:
    if not rate:
        return 0
    gap, count = 0.95 / rate, 0
    for phone in phones:
        times = sorted(m.at for m in phone.sent())
        count += sum(1 for a, b in zip(times, times[1:], strict=False) if b - a < gap)
    return count


def _gateway_sends(phones: list[FakeGatewayPhone], offset: float) -> list[list[Any]]:
    """The phones' sends on the wall clock (they keep ``time.monotonic()``)."""
    return [["android-sms", m.to, m.at + offset, m.text] for phone in phones
            for m in phone.sent()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--global-rate", type=float, default=None)
    parser.add_argument("--per-chat-rate", type=float, default=None)
    parser.add_argument("--sms-rate", type=float, default=None)
    parser.add_argument("--gateway-phones", type=int, default=0)
    parser.add_argument("--gateway-rate", type=float, default=None, help="per phone, msg/s")
    args = parser.parse_args()
    offset = time.time() - time.monotonic()
    with FakeBotApi(global_rate=args.global_rate, per_chat_rate=args.per_chat_rate) as bot_api, \
            FakeTwilio(rate=args.sms_rate) as twilio_api, contextlib.ExitStack() as stack:
        phones = [stack.enter_context(FakeGatewayPhone(
            f"phone-{i + 1}", GATEWAY_USER, GATEWAY_PASSWORD, gateway_key(i)))
            for i in range(args.gateway_phones)]
        print(json.dumps({"telegram_url": bot_api.url, "telegram_token": bot_api.token,
                          "twilio_url": twilio_api.url, "twilio_sid": twilio_api.account_sid,
                          "twilio_token": twilio_api.auth_token,
                          "gateway": [{"name": p.name, "url": p.url, "username": p.username,
                                       "password": p.password, "signing_key": p.signing_key,
                                       "prefixes": [GATEWAY_PREFIXES[i % 2]]}
                                      for i, p in enumerate(phones)]}), flush=True)
        for line in sys.stdin:  # ends when the parent closes stdin or dies
            command = line.strip()
            if command == "stats":
                print(json.dumps({"telegram": _telegram_stats(bot_api),
                                  "sms": _twilio_stats(twilio_api),
                                  "android-sms": {"ok": sum(len(p.sent()) for p in phones),
                                                  "too_fast": _too_fast(phones,
                                                                        args.gateway_rate)}}),
                      flush=True)
            elif command == "sends":  # every accepted send: channel, address, time, text
                rows = [["telegram", str(c.chat_id), c.at,
                         str(c.params.get("text") or c.params.get("caption") or c.method)]
                        for c in bot_api.calls if c.ok and c.chat_id is not None
                        and c.method.startswith(("send", "edit"))]
                rows += [["whatsapp" if m.to.startswith("whatsapp:") else "sms", m.to, m.at,
                          m.body] for m in twilio_api.messages]
                rows += _gateway_sends(phones, offset)
                print(json.dumps(rows), flush=True)
            elif command.startswith("window "):
                for address in json.loads(command.removeprefix("window ")):
                    twilio_api.whatsapp_inbound(address)
                print("{}", flush=True)
            elif command == "reset":
                bot_api.reset()
                twilio_api.reset()
                print("{}", flush=True)
            elif command == "quit":
                break


if __name__ == "__main__":
    main()
