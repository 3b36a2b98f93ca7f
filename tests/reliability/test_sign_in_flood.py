"""A flood of sign-ins for made-up identifiers (each an Argon2id verification, 64 MiB) must
not stall the webhooks: verifications are capped (bot/features/dashboard/sign_in_guard.py), the rest
answered 429
before any hashing. Real uvicorn processes; figures in SECURITY.md."""

from __future__ import annotations

import itertools
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import PUBLIC_URL, SERVICE_NUMBER
from tests.fakes.twilio_signing import signed_sms_form
from tests.reliability.servers import server

FLOODERS = 40
SMS = 10
# Twilio gives up after 15 s. Without the cap, the same flood took a signed SMS to a median
# of 40 s here (6.3 s in the review, on a quieter machine). The bounds are generous on purpose:
# the 2-core machine that runs the tests may be shared; the figures are in SECURITY.md.
MEDIAN_BOUND_SECONDS, MAX_BOUND_SECONDS = 5.0, 15.0


def flood(url: str, stop: threading.Event, statuses: list[int], names: itertools.count) -> None:
    with httpx.Client(timeout=60) as http:
        page = http.get(f"{url}/dashboard/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        # The cookie is Secure (the public URL is https) and this server plain http: sent by hand.
        cookie = {"Cookie": f"hanya_presign={page.cookies['hanya_presign']}"}
        http.cookies.clear()
        while not stop.is_set():
            response = http.post(f"{url}/dashboard/sign-in", headers=cookie, data={
                "identifier": f"made-up-{next(names)}", "code": "aaaa-bbbb-cccc-dddd",
                "csrf": csrf, "next": "/dashboard"})
            statuses.append(response.status_code)


def sms_latencies(url: str, auth_token: str, first: int) -> list[float]:
    seconds = []
    with httpx.Client(timeout=60) as http:
        for i in range(SMS):
            data, headers = signed_sms_form(f"{PUBLIC_URL}/webhooks/twilio/sms", auth_token,
                                            from_=f"+2279500{first + i:04d}",
                                            to=SERVICE_NUMBER, body="INFO")
            began = time.perf_counter()
            response = http.post(f"{url}/webhooks/twilio/sms", data=data, headers=headers)
            seconds.append(time.perf_counter() - began)
            assert response.status_code == 200
            time.sleep(0.1)
    return seconds


def measure(settings, twilio_api, **extra: str) -> dict[str, float]:
    """SMS webhook latencies alone, then during the flood; how the flood was answered."""
    statuses: list[int] = []
    stop, names = threading.Event(), itertools.count()
    with server(settings, **extra) as app:
        alone = sms_latencies(app.url, twilio_api.auth_token, 0)
        with ThreadPoolExecutor(FLOODERS) as pool:
            for _ in range(FLOODERS):
                pool.submit(flood, app.url, stop, statuses, names)
            time.sleep(1.0)  # the flood under way
            try:
                during = sms_latencies(app.url, twilio_api.auth_token, 100)
            finally:
                stop.set()
    return {"alone_median": statistics.median(alone), "alone_max": max(alone),
            "flood_median": statistics.median(during), "flood_max": max(during),
            "sign_ins": len(statuses), "refused_429": statuses.count(429),
            "verified_401": statuses.count(401)}


def test_signed_sms_keep_their_latency_during_a_flood_of_sign_ins(settings, store, twilio_api):
    figures = measure(settings, twilio_api)
    print("flood figures:", {k: round(v, 3) for k, v in figures.items()})
    assert figures["refused_429"] > 0 and figures["verified_401"] > 0
    assert figures["flood_median"] < MEDIAN_BOUND_SECONDS, figures
    assert figures["flood_max"] < MAX_BOUND_SECONDS, figures
