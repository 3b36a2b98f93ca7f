"""SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE: 200 concurrent writers, all
stored, no "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from bot.models import InboundMessage
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER
from tests.fakes.twilio_signing import signed_sms_form
from tests.reliability.servers import server


def test_200_concurrent_sms_on_one_server_are_all_stored(settings, store, twilio_api):
    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    forms = [signed_sms_form(url, twilio_api.auth_token, from_=f"+2279400{i:04d}",
                             to=SERVICE_NUMBER, body="INFO") for i in range(200)]
    with server(settings) as app, httpx.Client(timeout=60) as http, \
            ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(
            lambda f: http.post(f"{app.url}/webhooks/twilio/sms", data=f[0],
                                headers=f[1]).status_code, forms))
        spooled = len(list(settings.spool_dir.glob("*.msg"))) if settings.spool_dir.exists() else 0
    assert statuses == [200] * 200
    assert spooled == 0, "a message fell back to the spool: the store refused a write"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 200
