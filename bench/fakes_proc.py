"""The fake providers in their own process, so they never take the measured process's GIL.

Started by :class:`bench.procs.FakesProc`. Prints one JSON line with the URLs, then answers
commands read from stdin, one per line: ``stats`` (JSON line), ``sends`` (every accepted send,
a JSON line), ``reset`` and ``quit``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio_api import FakeTwilio


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--global-rate", type=float, default=None)
    parser.add_argument("--per-chat-rate", type=float, default=None)
    parser.add_argument("--sms-rate", type=float, default=None)
    args = parser.parse_args()
    with FakeBotApi(global_rate=args.global_rate, per_chat_rate=args.per_chat_rate) as bot_api, \
            FakeTwilio(rate=args.sms_rate) as twilio_api:
        print(json.dumps({"telegram_url": bot_api.url, "telegram_token": bot_api.token,
                          "twilio_url": twilio_api.url, "twilio_sid": twilio_api.account_sid,
                          "twilio_token": twilio_api.auth_token}), flush=True)
        for line in sys.stdin:  # ends when the parent closes stdin or dies
            command = line.strip()
            if command == "stats":
                print(json.dumps({"telegram": _telegram_stats(bot_api),
                                  "sms": _twilio_stats(twilio_api)}), flush=True)
            elif command == "sends":  # every accepted send: channel, address, time, text
                rows = [["telegram", str(c.chat_id), c.at,
                         str(c.params.get("text") or c.params.get("caption") or c.method)]
                        for c in bot_api.calls if c.ok and c.chat_id is not None
                        and c.method.startswith(("send", "edit"))]
                rows += [["sms", m.to, m.at, m.body] for m in twilio_api.messages]
                print(json.dumps(rows), flush=True)
            elif command == "reset":
                bot_api.reset()
                twilio_api.reset()
                print("{}", flush=True)
            elif command == "quit":
                break


if __name__ == "__main__":
    main()
