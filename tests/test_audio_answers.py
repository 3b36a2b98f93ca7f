"""Recorded answers (issue 24): recordings in content/<lang>/audio/, checked, converted, sent
as Telegram voice notes (uploaded once per bot, then by file id), the "listen" choice kept on
the contact, a voice note answered with the menu heard, and the outbox's pace with audio.

Recordings are generated here with espeak-ng (a synthetic voice, never shipped as a person's)
and converted with ffmpeg: the tests skip, saying why, where either is missing.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.app.content_reload import ContentWatcher
from bot.app.runtime import ContentSource
from bot.core.audio import MENU, probe, text_hash
from bot.core.channel_registry import ChannelTraits
from bot.core.content import load_content
from bot.core.crypto import Vault
from bot.core.messages import Outgoing, Reply
from bot.core.models import Contact
from bot.core.outbox import Limits, Sender
from bot.core.render import render
from bot.core.settings import Settings
from bot.features.editor.audio_import import OPUS_ARGS, import_recording
from bot.features.editor.check import check_content
from tests.conftest import copy_content
from tests.fakes._server import Upload
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import fixture_update
from tests.support import TelegramUser, buttons
from tests.test_outbox_faults import deliver_all, queue

TOOLS = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(TOOLS), reason=f"needs {' and '.join(TOOLS)} to generate recordings "
                        "(apt-get install -y espeak-ng ffmpeg)")

BY = "espeak-ng (synthetic test voice)"
WORDS = {"fr": "Urgence. Appelez le dix-sept.", "en": "Emergency. Call seventeen."}


def speak(language: str, words: str, target: Path) -> Path:
    """A WAV of ``words`` in espeak-ng's voice, then an MP3 of it (what editors often have)."""
    wav = target.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", language, "-w", str(wav), words], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav),
                    str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def sounds(tmp_path_factory) -> dict[str, Path]:
    """MP3s spoken once per session: French and English emergency, the French menu."""
    folder = tmp_path_factory.mktemp("sounds")
    return {"fr": speak("fr", WORDS["fr"], folder / "fr.mp3"),
            "en": speak("en", WORDS["en"], folder / "en.mp3"),
            "fr-menu": speak("fr", "Menu. Droits, dangers, santé, urgence.",
                             folder / "fr-menu.mp3")}


@pytest.fixture
def tree(tmp_path, sounds) -> Path:
    """A copy of the shipped content with recordings imported (MP3 converted to OGG/Opus)."""
    copy_content(tmp_path)
    content = tmp_path / "content"
    on = date(2026, 12, 1)
    import_recording(content, "fr", "emergency", sounds["fr"], recorded_by=BY, recorded_on=on)
    import_recording(content, "fr", MENU, sounds["fr-menu"], recorded_by=BY, recorded_on=on)
    import_recording(content, "en", "emergency", sounds["en"], recorded_by=BY, recorded_on=on)
    return content


@pytest.fixture
def recorded(settings: Settings, tree: Path) -> Settings:
    return settings.model_copy(update={"content_dir": tree, "locales_dir": tree.parent /
                                       "locales", "content_reload_seconds": 0.2})


def audio_findings(content: Path) -> list:
    report = check_content(content, content.parent / "locales")
    return [f for f in report.findings if "/audio/" in f.file]


def set_fr_emergency_text(content: Path, text: str) -> None:
    path = content / "fr" / "topics.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["emergency"]["text"] = text
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


# --- content: import, check, load --------------------------------------------------------------

def test_an_mp3_is_converted_to_ogg_opus_with_who_when_and_the_text_version(tree):
    index = yaml.safe_load((tree / "fr" / "audio" / "recordings.yaml").read_text("utf-8"))
    entry = index["recordings"]["emergency"]
    assert entry["file"] == "emergency.ogg" and entry["recorded_by"] == BY
    assert entry["recorded_on"] == date(2026, 12, 1)
    fr_text = yaml.safe_load((tree / "fr" / "topics.yaml").read_text("utf-8"))["emergency"]["text"]
    assert entry["source_hash"] == text_hash(fr_text)
    assert (tree / "fr" / "audio" / "emergency.ogg").read_bytes()[:4] == b"OggS"
    assert 1.0 < probe(tree / "fr" / "audio" / "emergency.ogg") < 10.0
    content = load_content(tree, tree.parent / "locales")
    assert content.recording("fr", "emergency") is not None
    assert content.recording("ha", "emergency") is None  # never another language's voice
    assert content.has_recordings("fr") and not content.has_recordings("ha")


def test_the_cli_imports_a_recording(recorded, sounds, monkeypatch):
    from bot.app.cli import app

    monkeypatch.setenv("HANYA_CONTENT_DIR", str(recorded.content_dir))
    monkeypatch.setenv("HANYA_LOCALES_DIR", str(recorded.locales_dir))
    from bot.core import settings as settings_module
    settings_module.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["content", "audio-import", "en", "dangers",
                                          str(sounds["en"]), "--by", "A. Tester"])
    finally:
        settings_module.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (recorded.content_dir / "en" / "audio" / "dangers.ogg").exists()
    refused = CliRunner().invoke(app, ["content", "audio-import", "en", "nothing",
                                       str(sounds["en"]), "--by", "A. Tester"])
    assert refused.exit_code == 1 and "neither a topic" in refused.output


def test_check_accepts_recordings_and_lists_them(tree):
    findings = audio_findings(tree)
    assert [f for f in findings if f.severity in ("error", "warning")] == []
    assert any(f.severity == "info" and "2 recording(s)" in f.message for f in findings)


def test_a_stale_recording_is_listed_and_not_played_after_its_text_changes(tree):
    set_fr_emergency_text(tree, "Un autre texte d'urgence, changé depuis l'enregistrement.")
    stale = [f for f in audio_findings(tree) if f.severity == "warning"]
    assert len(stale) == 1 and "older text" in stale[0].message and stale[0].language == "fr"
    content = load_content(tree, tree.parent / "locales")
    assert content.recordings["fr"]["emergency"].stale
    assert content.recording("fr", "emergency") is None
    assert content.recording("fr", MENU) is not None  # the menu's titles did not change


def test_broken_unconverted_long_and_orphan_recordings_are_refused_or_warned(tree):
    audio = tree / "fr" / "audio"
    (audio / "emergency.ogg").write_bytes(b"OggS but not really an opus stream" * 10)
    (audio / "health.mp3").write_bytes((audio.parent.parent.parent / "locales" /
                                        "messages.pot").read_bytes()[:100])
    long = audio / "long.ogg"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=48000:cl=mono", "-t", "95", *OPUS_ARGS, str(long)], check=True)
    index = audio / "recordings.yaml"
    data = yaml.safe_load(index.read_text("utf-8"))
    fr = yaml.safe_load((tree / "fr" / "topics.yaml").read_text("utf-8"))
    data["recordings"]["dangers"] = {"file": "long.ogg", "recorded_by": BY,
                                     "recorded_on": date(2026, 12, 1),
                                     "source_hash": text_hash(fr["dangers"]["text"])}
    data["recordings"]["weather"] = dict(data["recordings"]["dangers"])
    index.write_text(yaml.safe_dump(data), "utf-8")
    findings = audio_findings(tree)
    errors = [f.message for f in findings if f.severity == "error"]
    warnings = [f.message for f in findings if f.severity == "warning"]
    assert any("'emergency'" in m and "not an OGG/Opus" in m for m in errors)
    assert any(".mp3 is not played" in m and "audio-import" in m for m in errors)
    assert any("'weather'" in m and "belongs to no text" in m for m in errors)
    assert any("'dangers' lasts 95 s" in m for m in warnings)


def test_live_reload_refuses_a_broken_recording_and_keeps_the_last_good_content(recorded,
                                                                                 tree):
    source = ContentSource(recorded)
    before = source.current.recording("fr", "emergency")
    assert before is not None
    watcher = ContentWatcher(source)
    time.sleep(0.01)
    (tree / "fr" / "audio" / "emergency.ogg").write_bytes(b"not a recording at all")
    assert watcher.poll() is False
    assert "emergency" in (source.last_error or "")
    assert source.current.recording("fr", "emergency") == before  # still served


# --- rendering: which channels get a voice note -------------------------------------------------

def test_only_channels_that_play_voice_notes_get_one(tree):
    content = load_content(tree, tree.parent / "locales")
    recording = content.recording("fr", "emergency")
    reply = Reply("Urgence", voice=(str(recording.path), recording.digest), menu_button=True)
    language, t = content.languages["fr"], content.translator("fr")
    telegram = ChannelTraits("telegram", buttons=True, location=True, voice=True)
    sms = ChannelTraits("sms", buttons=False, location=False, max_segments=3)
    whatsapp = ChannelTraits("whatsapp", buttons=False, location=False)
    [voice] = render([reply], telegram, language, t).messages
    assert voice.voice_path == str(recording.path) and voice.text == "Urgence"  # as caption
    for traits in (sms, whatsapp):
        assert all(m.voice_path is None for m in render([reply], traits, language, t).messages)
    long = Reply("x" * 1500, voice=(str(recording.path), recording.digest))
    first, second = render([long], telegram, language, t).messages
    assert (first.voice_path, first.text) == (str(recording.path), "")  # text just after
    assert second.voice_path is None and second.text == "x" * 1500


# --- Telegram, end to end -----------------------------------------------------------------------

@pytest.fixture
def app(recorded, store):
    from webhooks.app import create_app

    with TestClient(create_app(recorded)) as client:
        yield client


def french_user(app, bot_api, store, chat: int) -> TelegramUser:
    user = TelegramUser(app, bot_api, store, chat)
    user.say("/start")
    user.tap("lang:fr")
    user.tap("point:agadez")
    return user


def voice_calls(bot_api: FakeBotApi) -> list:
    return bot_api.calls_to("sendVoice")


def test_the_language_menu_marks_languages_that_have_recordings(app, bot_api, store):
    user = TelegramUser(app, bot_api, store, 7_240_001)
    labels = dict((data, label) for label, data in buttons(user.say("salut")[0]))
    assert labels["lang:fr"].endswith("\U0001f50a") and labels["lang:en"].endswith("\U0001f50a")
    assert not labels["lang:ha"].endswith("\U0001f50a")


def test_listen_uploads_once_per_bot_then_sends_the_file_id(app, bot_api, store, recorded):
    first = french_user(app, bot_api, store, 7_240_011)
    topic = first.tap("topic:emergency")
    offered = [data for _, data in buttons(topic[-1])]
    assert "listen:once:emergency" in offered and "listen:all:emergency" in offered
    assert voice_calls(bot_api) == []  # nothing is sent as voice until asked
    heard = first.tap("listen:once:emergency")
    assert len(heard) == 1 and heard[0]["caption"]  # the topic's title as caption
    [upload] = voice_calls(bot_api)
    assert isinstance(upload.params["voice"], Upload)
    assert upload.params["voice"].data[:4] == b"OggS"
    second = french_user(app, bot_api, store, 7_240_012)
    second.tap("topic:emergency")
    assert "voice" in second.tap("listen:once:emergency")[0]
    by_id = voice_calls(bot_api)[1]
    assert isinstance(by_id.params["voice"], str)  # the file id, not a second upload
    ids = json.loads((recorded.spool_dir.parent / "telegram_voice_ids.json").read_text())
    bot = bot_api.token.split(":")[0]
    assert list(ids[bot].values()) == [by_id.params["voice"]]  # kept on disk, per bot


def test_the_file_id_outlives_a_restart_and_an_unknown_id_is_uploaded_again(
        recorded, store, bot_api):
    from webhooks.app import create_app

    with TestClient(create_app(recorded)) as client:
        french_user(client, bot_api, store, 7_240_021).tap("listen:once:emergency")
    with TestClient(create_app(recorded)) as client:
        french_user(client, bot_api, store, 7_240_022).tap("listen:once:emergency")
    upload, by_id = voice_calls(bot_api)
    assert isinstance(upload.params["voice"], Upload) and isinstance(by_id.params["voice"], str)
    with FakeBotApi(token=bot_api.token) as other:  # Telegram no longer knows the id
        moved = recorded.model_copy(update={"telegram_api_url": other.url})
        with TestClient(create_app(moved)) as client:
            french_user(client, other, store, 7_240_023).tap("listen:once:emergency")
        refused, again = other.calls_to("sendVoice")
        assert isinstance(refused.params["voice"], str)
        assert isinstance(again.params["voice"], Upload)
        assert any("voice" in m for m in other.sent(7_240_023))


def test_always_listen_is_kept_on_the_contact_across_sessions(recorded, store, bot_api):
    from webhooks.app import create_app

    chat = 7_240_031
    with TestClient(create_app(recorded)) as client:
        user = french_user(client, bot_api, store, chat)
        user.tap("topic:emergency")
        replies = user.tap("listen:all:emergency")
        assert "voice" in replies[-1] and "voice" not in replies[0]  # said, then heard
    with store.session() as session:
        assert session.scalars(select(Contact)).one().listen is True
    with TestClient(create_app(recorded)) as client:  # another day, a restarted service
        user = TelegramUser(client, bot_api, store, chat, seen=len(bot_api.sent(chat)))
        menu = user.say("menu")
        assert "voice" in menu[-1] and "Agadez" in menu[-1]["caption"]  # the menu, heard
        assert any(data.startswith("topic:") for _, data in buttons(menu[-1]))
        topic = user.tap("topic:emergency")
        assert "voice" in topic[0]  # the answer as a voice note, its text with it or after
        assert "17" in "".join(m.get("text", "") + m.get("caption", "") for m in topic)
        assert "listen:off" in [data for _, data in buttons(topic[-1])]
        user.tap("listen:off")
        assert all("voice" not in m for m in user.tap("topic:emergency"))
    with store.session() as session:
        assert session.scalars(select(Contact)).one().listen is False


def test_a_voice_note_gets_the_menu_heard_or_the_text_hint(app, bot_api, store):
    from tests.support import _update_ids

    fr = french_user(app, bot_api, store, 7_240_041)
    fr.post(fixture_update("message_voice", next(_update_ids), 7_240_041))
    heard = fr._replies()
    assert len(heard) == 1 and "voice" in heard[0] and "Agadez" in heard[0]["caption"]
    assert any(data == "topic:emergency" for _, data in buttons(heard[0]))
    en = TelegramUser(app, bot_api, store, 7_240_042)  # English: no menu recording
    en.say("/start")
    en.tap("lang:en")
    en.tap("point:agadez")
    en.post(fixture_update("message_voice", next(_update_ids), 7_240_042))
    replies = en._replies()
    assert all("voice" not in m for m in replies)
    assert "Please send text" in replies[0]["text"]


def test_sms_answers_are_unchanged_by_recordings(recorded, store, twilio_api):
    from tests.support import SmsUser
    from webhooks.app import create_app

    with TestClient(create_app(recorded)) as client:
        user = SmsUser(client, twilio_api, store, "+22790240051")
        user.say("bonjour")
        user.say("3")  # Français
        menu = user.say("1")
        assert menu and "\U0001f50a" not in "".join(menu)
    assert twilio_api.sent() and all(m.media_url == () for m in twilio_api.sent())


# --- the outbox with audio: same pace, each message once --------------------------------------

def test_voice_notes_keep_the_outbox_pace_and_go_once_each(store, settings, tree):
    content = load_content(tree, tree.parent / "locales")
    recording = content.recording("fr", "emergency")
    vault = Vault(settings.secret_key_or_dev())
    voice = Outgoing(text="Urgence", voice_path=str(recording.path),
                     voice_digest=recording.digest)
    from bot.core.recipients import PRIORITY_REPLY, enqueue

    for n in range(3):
        with store.session() as session:
            enqueue(session, vault, channel="telegram", address_enc=vault.encrypt(
                "telegram:4124"), message=voice, priority=PRIORITY_REPLY)
        queue(store, vault, "telegram:4124", f"text {n}")
    from webhooks.telegram import TelegramSender

    with FakeBotApi(global_rate=30, per_chat_rate=1) as api:
        sender = Sender(store, vault, {"telegram": TelegramSender(
            api.token, api.url, voice_ids=settings.spool_dir.parent / "ids.json")},
            limits=Limits(chat_burst=1, margin=1.25))
        asyncio.run(deliver_all(sender, store))
        assert api.rejections_429 == 0
        sent = api.sent(4124)
        assert len(sent) == 6  # each once
        assert ["voice" in m for m in sent] == [True, False] * 3  # in order
        calls = [c for c in api.calls if c.chat_id == 4124 and c.method.startswith("send")]
        arrivals = [c.at for c in calls]
        assert min(b - a for a, b in zip(arrivals, arrivals[1:])) >= 1.0
        voices = api.calls_to("sendVoice")
        assert isinstance(voices[0].params["voice"], Upload)
        assert all(isinstance(c.params["voice"], str) for c in voices[1:])


# --- the editors' tools: preview, stats --------------------------------------------------------

def test_the_preview_plays_a_recording(recorded, store):
    import re

    from webhooks.app import create_app

    with TestClient(create_app(recorded.model_copy(update={"preview_remote": True}))) as web:
        token = re.search(r'name="csrf" value="([^"]+)"', web.get("/preview").text)[1]
        opened = web.post("/preview/start", data={"language": "fr", "channel": "telegram",
                                                  "csrf": token})
        session = re.search(r"s=([\w-]+)", str(opened.url))[1]
        for choice in ("point:agadez", "topic:emergency", "listen:once:emergency"):
            page = web.post("/preview/send", data={"s": session, "choice": choice,
                                                   "csrf": token})
        [src] = re.findall(r'<audio class="voice" controls preload="none" src="([^"]+)"',
                           page.text)
        played = web.get(src)
        assert played.status_code == 200 and played.headers["content-type"] == "audio/ogg"
        assert played.content == (recorded.content_dir / "fr" / "audio" /
                                  "emergency.ogg").read_bytes()
        assert web.get("/preview/audio/0123456789abcdef").status_code == 404


def test_stats_count_recordings_per_language(recorded, monkeypatch):
    from bot.app.cli import app
    from bot.core.settings import get_settings

    monkeypatch.setenv("HANYA_CONTENT_DIR", str(recorded.content_dir))
    monkeypatch.setenv("HANYA_LOCALES_DIR", str(recorded.locales_dir))
    monkeypatch.setenv("HANYA_SPOOL_DIR", str(recorded.spool_dir))
    set_fr_emergency_text(recorded.content_dir, "Un texte changé depuis l'enregistrement.")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["content", "stats", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    by_code = {entry["code"]: entry for entry in json.loads(result.output)}
    assert (by_code["fr"]["recordings"], by_code["fr"]["stale_recordings"]) == (
        ["menu"], ["emergency"])
    assert by_code["en"]["recordings"] == ["emergency"]
    assert by_code["tmh"]["recordings"] == by_code["tmh"]["stale_recordings"] == []


def test_a_language_with_recordings_and_no_text_of_its_own_is_offered_and_heard(
        settings, store, bot_api, tmp_path, sounds):
    """Issue 24: the day someone records a topic in Tamajaq (which has no text of
    its own: French stands in), the language menu offers Tamajaq with its voice, and a person
    who picks it hears the Tamajaq recording of a topic whose text is the French one."""
    from webhooks.app import create_app

    copy_content(tmp_path)
    content = tmp_path / "content"
    on = date(2026, 12, 1)
    import_recording(content, "tmh", "health", sounds["fr"], recorded_by=BY, recorded_on=on)
    import_recording(content, "tmh", MENU, sounds["fr-menu"], recorded_by=BY, recorded_on=on)
    loaded = load_content(content, tmp_path / "locales")
    assert loaded.texts_from["tmh"] == "fr" and loaded.topic("tmh", "health").language == "fr"
    tamajaq = settings.model_copy(update={"content_dir": content,
                                          "locales_dir": tmp_path / "locales"})
    with TestClient(create_app(tamajaq)) as client:
        user = TelegramUser(client, bot_api, store, 7_240_051)
        labels = dict((data, label) for label, data in buttons(user.say("/start")[-1]))
        assert labels["lang:tmh"] == "Tamajaq → Français \U0001f50a"
        user.tap("lang:tmh")
        user.tap("point:agadez")
        topic = user.tap("topic:health")
        assert "listen:once:health" in [data for _, data in buttons(topic[-1])]
        [heard] = user.tap("listen:once:health")
        assert heard["voice"].data == (content / "tmh" / "audio" / "health.ogg").read_bytes()
        from tests.support import _update_ids

        user.post(fixture_update("message_voice", next(_update_ids), 7_240_051))
        [menu] = user._replies()
        assert menu["voice"].data == (content / "tmh" / "audio" / "menu.ogg").read_bytes()
