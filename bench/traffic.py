"""Realistic inbound traffic, built (and signed) before any clock starts.

Telegram: distinct users walk the information point: "hi" -> language -> place -> two topics.
SMS: distinct numbers walk the same menus by number and name, each request signed with twilio's
own ``RequestValidator`` for the URL the server is configured to rebuild (``PUBLIC_URL``).

The stream goes block by block (``BLOCK`` Telegram users and ``BLOCK // 5`` SMS users): every
user of a block takes step 1, then every user takes step 2, and so on. A user's next step is
then at least a block later in the stream, far more than the requests in flight, so each
person's messages arrive in order while 10,000 different people are served.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from bench.procs import PUBLIC_URL, SERVICE_NUMBER, WEBHOOK_SECRET
from tests.fakes.telegram_updates import callback_update, text_update
from tests.fakes.twilio_api import TEST_AUTH_TOKEN
from tests.fakes.twilio_signing import form_body, signed_sms_form

TELEGRAM_PATH = "/webhooks/telegram"
SMS_PATH = "/webhooks/twilio/sms"
WHATSAPP_PATH = "/webhooks/twilio/whatsapp"
ANDROID_PATH = "/webhooks/android-sms"
PATHS = {"T": TELEGRAM_PATH, "S": SMS_PATH, "W": WHATSAPP_PATH, "A": ANDROID_PATH}
BLOCK = 200
LANGUAGES = ["fr"] * 6 + ["en", "ha", "dje", "ar"]  # mostly French, as on the routes
POINTS = ["agadez", "arlit", "assamaka", "niamey", "dirkou", "zinder", "tahoua", "diffa",
          "maradi", "bilma", "in-guezzam", "gaya"]
TOPICS = ["rights", "dangers", "health", "help_near_you", "going_home", "women_children",
          "emergency"]
SMS_LANGUAGE_NUMBERS = {"fr": "3", "en": "4", "ha": "1"}


@dataclass(frozen=True, slots=True)
class Request:
    kind: str  # "T" (Telegram), "S" (SMS), "W" (WhatsApp), "A" (the Android gateway)
    credential: str  # the secret-token header, the Twilio signature, or (A) "stamp:signature"
    body: str

    @property
    def path(self) -> str:
        return PATHS[self.kind]

    def headers(self) -> dict[str, str]:
        if self.kind == "T":
            return {"Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": self.credential}
        if self.kind == "A":
            stamp, _, signature = self.credential.partition(":")
            return {"Content-Type": "application/json", "X-Timestamp": stamp,
                    "X-Signature": signature}
        return {"Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": self.credential}

    def raw(self, host: str) -> bytes:
        """The whole HTTP/1.1 request, keep-alive."""
        body = self.body.encode()
        head = [f"POST {self.path} HTTP/1.1", f"Host: {host}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in self.headers().items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _telegram_walk(rng: random.Random, chat_id: int, ids: list[int]) -> list[Request]:
    lang = rng.choice(LANGUAGES)
    point = rng.choice(POINTS)
    topics = rng.sample(TOPICS, 2)
    updates = [text_update(ids.pop(), chat_id, "hi", language_code=lang),
               callback_update(ids.pop(), chat_id, f"lang:{lang}", language_code=lang),
               callback_update(ids.pop(), chat_id, f"point:{point}", language_code=lang),
               callback_update(ids.pop(), chat_id, f"topic:{topics[0]}", language_code=lang),
               callback_update(ids.pop(), chat_id, f"topic:{topics[1]}", language_code=lang)]
    return [Request("T", WEBHOOK_SECRET, json.dumps(u, separators=(",", ":"))) for u in updates]


def _sms_walk(rng: random.Random, number: str, sids: list[str]) -> list[Request]:
    lang = rng.choice(list(SMS_LANGUAGE_NUMBERS))
    steps = ["hello", SMS_LANGUAGE_NUMBERS[lang], rng.choice(POINTS[:8]).title(),
             str(rng.randint(1, 7))]
    out = []
    for text in steps:
        form, headers = signed_sms_form(PUBLIC_URL + SMS_PATH, TEST_AUTH_TOKEN, from_=number,
                                        to=SERVICE_NUMBER, body=text, message_sid=sids.pop())
        out.append(Request("S", headers["X-Twilio-Signature"], form_body(form)))
    return out


def build_stream(telegram_users: int, sms_users: int, *, first_chat: int,
                 seed: int = 8) -> list[Request]:
    """Every request of ``telegram_users`` + ``sms_users`` walks, block-interleaved."""
    rng = random.Random(seed)
    n_blocks = max(1, -(-telegram_users // BLOCK))
    sms_per_block = -(-sms_users // n_blocks)
    update_ids = list(range(first_chat * 10 + telegram_users * 5, first_chat * 10, -1))
    sids = [f"SM{first_chat:012x}{i:020x}" for i in range(sms_users * 4, 0, -1)]
    stream: list[Request] = []
    tg_done = sms_done = 0
    for _ in range(n_blocks):
        walks = []
        for _ in range(min(BLOCK, telegram_users - tg_done)):
            walks.append(_telegram_walk(rng, first_chat + tg_done, update_ids))
            tg_done += 1
        for _ in range(min(sms_per_block, sms_users - sms_done)):
            number = f"+2279{(first_chat // 100_000_000) % 10}{sms_done:06d}"
            walks.append(_sms_walk(rng, number, sids))
            sms_done += 1
        rng.shuffle(walks)
        for step in range(5):
            stream.extend(walk[step] for walk in walks if step < len(walk))
    return stream


def write_wrk_file(stream: list[Request], path: Path) -> None:
    """One request a line for bench/requests.lua: kind, credential and body, tab-separated."""
    with path.open("w") as out:
        for req in stream:
            out.write(f"{req.kind}\t{req.credential}\t{req.body}\n")
