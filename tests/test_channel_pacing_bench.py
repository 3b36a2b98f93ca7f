"""bench/channel_pacing.py at a tiny scale: its accounting, and one real drain per new channel
(the sender against the fakes, at the configured pace, nothing lost or doubled)."""

from __future__ import annotations

import pytest

from bench.channel_pacing import measure, rows, tally


def test_the_accounting_counts_duplicates_losses_and_the_rate():
    result = tally("whatsapp", queued=5, texts=["a", "b", "b", "c"], times=[0.0, 0.5, 1.0, 1.5],
                   failed=2, waiting=0, pace=2.0)
    # 3 distinct taken of 5 queued, "b" twice, 2 failed and never taken: lost
    assert (result.delivered, result.duplicates, result.lost) == (3, 1, 2)
    assert result.rate == pytest.approx(2 / 1.5) and result.ratio == pytest.approx(2 / 3)
    taken_late = tally("android-sms", queued=2, texts=["a", "b"], times=[0.0, 1.0], failed=1,
                       waiting=0, pace=1.0)
    assert taken_late.lost == 0  # failed by the sender, taken anyway: not lost
    [speed, safety] = rows([result, taken_late])[:2]
    assert speed["verdict"] == "MISSED" and safety["value"] == "2 / 1"
    assert safety["verdict"] == "MISSED"


def test_two_phones_sending_side_by_side_are_counted_each_from_its_first_send():
    # Each phone at 0, 1, 2 s: 1/s each, 2/s together (4 gaps in 2 s, not 5)
    both = tally("android-sms", queued=6, texts=list("abcdef"),
                 times=[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], failed=0, waiting=0, pace=2.0, senders=2)
    assert both.rate == pytest.approx(2.0) and both.ratio == pytest.approx(1.0)
    assert rows([both])[0]["verdict"] == "met"


@pytest.mark.parametrize(("channel", "pace", "phones"), [("whatsapp", 8.0, 1),
                                                         ("android-sms", 4.0, 2)])
def test_a_tiny_drain_keeps_the_pace_and_loses_nothing(database_url, store, channel, pace,
                                                       phones):
    messages = 12
    result = measure(database_url, channel, messages=messages, recipients=4, pace=pace,
                     phones=phones, timeout=30)
    assert (result.delivered, result.duplicates, result.lost, result.waiting) == (
        messages, 0, 0, 0)
    # At the configured pace, never faster; the gateway's two phones side by side too (they
    # reached 0.65 here while a far slot of one phone held the other's back: bot/core/outbox.py).
    # The floor is below make bench's 0.9: 12 messages last about 1.3 s, so one 0.14 s stall of
    # a shared CI machine reads 0.899 (the PostgreSQL pass of 2026-12-03); the bench's long drain
    # on a quiet machine keeps the 0.9 target.
    assert 0.8 <= result.ratio <= 1.05, result
    [speed, safety] = rows([result])
    assert safety == {"section": "3", "figure": f"{channel}: lost / sent twice",
                      "value": "0 / 0", "target": "0 / 0", "verdict": "met"}
    configured = pace * (phones if channel == "android-sms" else 1)  # all phones together
    assert speed["reference"] == f"{configured:g}/s configured"


def test_make_bench_reports_both_new_channels_in_section_3_unless_skipped(monkeypatch):
    from argparse import Namespace

    from bench.__main__ import _arguments, channel_pacing_section

    notes: list[str] = []
    args = Namespace(quick=True, reps=1, pacing_messages=12, pacing_whatsapp_rate=8.0,
                     pacing_gateway_messages=8)
    found = channel_pacing_section(args, notes)
    assert [(r.section, r.figure.split(":")[0]) for r in found] == [
        ("3", "12 WhatsApp messages to Twilio"), ("3", "whatsapp"),
        ("3", "8 SMS through the gateway phones"), ("3", "android-sms")]
    assert [r.verdict for r in found] == ["met"] * 4 and "configured pace" in notes[0]
    monkeypatch.setattr("sys.argv", ["bench", "--skip", "pacing"])
    assert "pacing" in _arguments().skip
