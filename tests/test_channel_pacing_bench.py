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


@pytest.mark.parametrize(("channel", "pace", "phones"), [("whatsapp", 8.0, 1),
                                                         ("android-sms", 4.0, 2)])
def test_a_tiny_drain_keeps_the_pace_and_loses_nothing(database_url, store, channel, pace,
                                                       phones):
    messages = 12
    result = measure(database_url, channel, messages=messages, recipients=4, pace=pace,
                     phones=phones, timeout=30)
    assert (result.delivered, result.duplicates, result.lost, result.waiting) == (
        messages, 0, 0, 0)
    # 11 gaps at the configured pace: never faster. Slower is the bench's verdict, not this
    # test's (the gateway phones reach 0.6-0.7 of their pace, a known shortfall: BENCHMARKS.md)
    assert 0.5 <= result.ratio <= 1.1, result
    [speed, safety] = rows([result])
    assert safety == {"section": "3", "figure": f"{channel}: lost / sent twice",
                      "value": "0 / 0", "target": "0 / 0", "verdict": "met"}
    configured = pace * (phones if channel == "android-sms" else 1)  # all phones together
    assert speed["reference"] == f"{configured:g}/s configured"
