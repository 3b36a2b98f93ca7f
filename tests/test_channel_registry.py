"""Channels as plug-ins (bot/core/channel_registry.py): the core asks the registry, never compares
channel names, and Telegram and Twilio SMS keep their rules on it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.core import channel_registry
from bot.core.channel_registry import overall_rate, rules
from bot.core.outbox import Limits, Rule
from bot.core.recipients import add_recipient
from tests.committee_helpers import vault

ROOT = Path(__file__).resolve().parent.parent
NAMES = {channel.name for channel in channel_registry.installed()}


def _name_comparisons(path: Path, root: Path = ROOT) -> list[str]:
    """Each ``x == "sms"``, ``x in ("sms", "telegram")`` or ``"telegram" if ...`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            constants = [c for p in parts for c in ast.walk(p)
                         if isinstance(c, ast.Constant) and c.value in NAMES]
            if constants:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def _core_and_conversations() -> list[Path]:
    """Every module of bot/ (its core, features and app, at any depth) and handlers/."""
    return [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "handlers").rglob("*.py"))]


def test_the_core_and_the_conversations_never_compare_channel_names():
    files = _core_and_conversations()
    # the outbox, alerts, digests and recipients live below bot/ since the layout of issue 18:
    # a scan of bot/*.py alone read bot/__init__.py and nothing else
    assert {ROOT / "bot/core/outbox.py", ROOT / "bot/core/recipients.py",
            ROOT / "bot/features/committees/alerts.py",
            ROOT / "bot/features/digests/render.py"} <= set(files)
    assert {"android-sms", "sms", "telegram", "whatsapp"} <= NAMES
    assert [hit for path in files for hit in _name_comparisons(path)] == []


def test_the_scan_sees_a_comparison_of_a_channel_name(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('def pick(channel):\n    return 2 if channel == "whatsapp" else 1\n'
                       'def cost(m):\n    return m.channel in ("sms", "android-sms")\n')
    assert len(_name_comparisons(planted, root=tmp_path)) == 2


def test_telegram_and_twilio_keep_their_rate_rules():
    limits = Limits()
    assert rules(limits, "telegram", "telegram:42") == [
        Rule("telegram", 1.02 / 30), Rule("telegram:42", 1.1 / 1.0, 3)]
    assert rules(limits, "telegram", "telegram:-100") == [
        Rule("telegram", 1.02 / 30), Rule("telegram:-100", 1.1 / (20 / 60), 3)]
    assert rules(limits, "sms", "tel:+22790000000") == [Rule("sms", 1.02 / 10)]
    assert (overall_rate(limits, "telegram"), overall_rate(limits, "sms")) == (30.0, 10.0)
    assert rules(limits, "nowhere", "x:1") == [] and overall_rate(limits, "nowhere") == 0.0


def test_the_android_gateway_is_paced_per_phone_of_the_persons_operator():
    limits = Limits(android_sms_per_phone=0.5,
                    android_sms_phones=(("airtel", ("+22796",)), ("moov", ("+22790",))))
    assert rules(limits, "android-sms", "tel:+22790112233") == [
        Rule("android-sms", 1.02 / 1.0, 2), Rule("android-sms:moov", 1.02 / 0.5)]
    # the phones send side by side: all together may send at once, each at its own pace
    assert rules(limits, "android-sms", "tel:+22391112233")[1].key == "android-sms:airtel"
    assert overall_rate(limits, "android-sms") == 1.0


def test_traits_come_from_each_channel():
    telegram, sms, android = (channel_registry.get(n) for n in ("telegram", "sms", "android-sms"))
    assert (telegram.sms_like, sms.sms_like, android.sms_like) == (False, True, True)
    assert telegram.alert_traits().max_segments is None
    assert sms.alert_traits().max_segments == android.alert_traits().max_segments == 2


def test_a_recipient_is_reached_on_the_channel_asked_for(store, settings):
    with store.session() as session:
        chat = add_recipient(session, vault(settings), name="GTM", address="telegram:5",
                             language="fr", subscriptions=["alerts"])
        phone = add_recipient(session, vault(settings), name="Duty", address="tel:+22790000001",
                              language="fr", subscriptions=["alerts"])
        assert (chat.channel, phone.channel) == ("telegram", "sms")  # as before
        phone = add_recipient(session, vault(settings), name="Duty", address="tel:+22790000001",
                              language="fr", subscriptions=["alerts"], channel="android-sms")
        assert phone.channel == "android-sms"
        again = add_recipient(session, vault(settings), name="Duty", address="tel:+22790000001",
                              language="fr", subscriptions=["daily"])
        assert again.channel == "android-sms"  # an update keeps it
        with pytest.raises(ValueError):
            add_recipient(session, vault(settings), name="x", address="telegram:6",
                          language="fr", subscriptions=["alerts"], channel="android-sms")
