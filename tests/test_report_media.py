"""A report's photo or voice note on its page (issue 21): kept as Telegram's file id, fetched
through the bot (getFile, then the file) from the fake Bot API only when an officer asks,
streamed to the browser, never stored, each access audited, refused to roles that cannot read
the report, and a clear page (no trace) when Telegram does not give the file."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.features.dashboard.models import AuditEntry
from tests.committee_helpers import make_committee, reports, telegram_member
from tests.dashboard_support import signed_in
from tests.fakes.telegram_updates import fixture_update

CHAT = 5300000077
_ids = itertools.count(810_000_001)


def jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def file_report(client, bot_api, store, settings, kind: str, data: bytes) -> str:
    """A committee member files a report on Telegram with ``kind`` attached (the guided form,
    through the real webhook); returns its reference."""
    member = telegram_member(client, bot_api, store, settings, CHAT, make_committee(store))
    member.say("/report")
    member.tap("cat:expulsion")
    member.tap("place:assamaka")
    member.tap("when:now")
    for answer in ("120", "25", "15", "Arrivés à pied, sans eau"):
        member.say(answer)
    update = fixture_update("message_photo", next(_ids), CHAT)
    update["message"].pop("photo")
    update["message"].pop("caption", None)
    update["message"].update(bot_api.user_file(kind, data))
    member.post(update)
    member._replies()
    member.tap("report:send")
    [report] = reports(store)
    assert report.media_kind == kind and report.media_file_id
    return report.reference


def media_audits(store) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        return list(session.execute(select(
            AuditEntry.identifier, AuditEntry.object_id, AuditEntry.detail).where(
            AuditEntry.action == "report.view_media")).all())


@pytest.fixture
def dash(client):
    return TestClient(client.app, base_url="https://testserver")


def test_an_officer_sees_the_photo_fetched_through_the_bot_and_nothing_is_kept(
        client, dash, bot_api, store, settings, tmp_path):
    photo = jpeg()
    reference = file_report(client, bot_api, store, settings, "photo", photo)
    calls_before = len([c for c in bot_api.calls if c.method == "getFile"])
    signed_in(dash, store, "officer-media", "officer")
    page = dash.get(f"/dashboard/reports/{reference}").text
    assert "Afficher la photo" in page and "/media" not in page  # fetched only when asked
    assert len([c for c in bot_api.calls if c.method == "getFile"]) == calls_before
    shown = dash.get(f"/dashboard/reports/{reference}?media=true").text
    assert f'<img class="media" src="/dashboard/reports/{reference}/media"' in shown
    response = dash.get(f"/dashboard/reports/{reference}/media")
    assert response.status_code == 200 and response.content == photo
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    [get_file] = [c for c in bot_api.calls if c.method == "getFile"][calls_before:]
    assert get_file.params["file_id"] == reports(store)[0].media_file_id
    assert bot_api.file_downloads() == 1
    assert media_audits(store) == [("officer-media", reference, "photo")]
    # Nothing of the file was written anywhere under the test's directories (store, spool,
    # charts): it went from Telegram to the browser through memory.
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or photo[200:264] not in path.read_bytes(), path


def test_a_voice_note_plays_on_the_page(client, dash, bot_api, store, settings):
    voice = b"OggS\x00\x02" + bytes(range(256)) * 40
    reference = file_report(client, bot_api, store, settings, "voice", voice)
    signed_in(dash, store, "officer-voice", "officer")
    page = dash.get(f"/dashboard/reports/{reference}?media=true").text
    assert f'<audio controls preload="auto" src="/dashboard/reports/{reference}/media">' in page
    response = dash.get(f"/dashboard/reports/{reference}/media")
    assert response.content == voice and response.headers["content-type"] == "audio/ogg"
    assert "media-src 'self'" in page_headers(dash, reference)


def page_headers(dash, reference: str) -> str:
    return dash.get(f"/dashboard/reports/{reference}").headers["content-security-policy"]


def test_a_partner_cannot_fetch_it_and_nothing_is_asked_of_telegram(client, dash, bot_api,
                                                                     store, settings):
    reference = file_report(client, bot_api, store, settings, "photo", jpeg())
    calls_before = len(bot_api.calls)
    signed_in(dash, store, "partner-media", "partner")
    assert dash.get(f"/dashboard/reports/{reference}/media").status_code == 403
    assert [c.method for c in bot_api.calls[calls_before:]] == []
    assert media_audits(store) == []
    dash.cookies.clear()
    anonymous = dash.get(f"/dashboard/reports/{reference}/media", follow_redirects=False)
    assert anonymous.status_code == 303 and "/dashboard/sign-in" in anonymous.headers["location"]


def test_a_file_telegram_no_longer_gives_reads_as_a_clear_page(client, dash, bot_api, store,
                                                                settings):
    reference = file_report(client, bot_api, store, settings, "photo", jpeg())
    bot_api._files.clear()  # Telegram forgot it (or the file id is from another bot)
    signed_in(dash, store, "officer-gone", "officer")
    response = dash.get(f"/dashboard/reports/{reference}/media")
    assert response.status_code == 502
    assert "Telegram n" in response.text and "Traceback" not in response.text
    assert settings.telegram_token.get_secret_value() not in response.text
    assert dash.get("/dashboard/reports/R-2026-09999/media").status_code == 404
