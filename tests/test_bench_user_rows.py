"""The benchmark rows of issue #23 at tiny scale: their accounting, not their speed."""

from __future__ import annotations

import pytest

from bench.journeys import gsm7_reference, journey_costs, journey_rows

NUMBERS = ["17", "15", "18"]


def test_the_gsm7_reference_packs_like_one_unpaged_gsm7_text():
    assert gsm7_reference("a" * 160) == 1
    assert gsm7_reference("a" * 161) == 2  # 153 a part once it is long
    assert gsm7_reference("a" * 306) == 2 and gsm7_reference("a" * 307) == 3
    assert gsm7_reference("€" * 80) == 1  # an extension character is two septets
    assert gsm7_reference("ترحيل" * 32) == 1  # 160 letters: counted as if GSM-7, not UCS-2


@pytest.fixture(scope="module")
def costs():
    return journey_costs(["sms", "telegram"], ["fr", "ar"])


def test_journeys_run_through_the_engine_to_where_they_should_end(costs):
    by = {(c.channel, c.language, c.journey): c for c in costs}
    assert len(by) == 2 * 2 * 3
    for channel in ("sms", "telegram"):
        for language in ("fr", "ar"):
            emergency = by[(channel, language, "emergency")]
            assert all(n in emergency.last_text for n in NUMBERS), emergency.last_text
            assert emergency.messages_in == 4  # hello, language, place, topic
            report = by[(channel, language, "committee_report")]
            assert report.messages_in == 1 and report.messages_out == 1
            assert "R-20" in report.last_text  # the confirmation names its reference
    help_sms = by[("sms", "fr", "help_assamaka")]
    assert help_sms.messages_in > 4  # the MORE pages were asked for...
    assert not help_sms.last_text.endswith("MORE")  # ...until the last one


def test_sms_costs_are_billed_segments_against_the_gsm7_bound(costs):
    by = {(c.channel, c.language, c.journey): c for c in costs}
    french = by[("sms", "fr", "emergency")]
    assert french.segments_out >= french.messages_out and french.reference_out > 0
    assert not french.culprits  # French SMS are transliterated to GSM-7
    arabic = by[("sms", "ar", "help_assamaka")]
    assert arabic.segments_out > arabic.reference_out  # UCS-2 and paging make it dearer
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic.culprits)
    assert by[("telegram", "fr", "emergency")].segments_out == 0  # no segments on a chat


def test_the_rows_judge_french_and_english_and_name_what_makes_others_dearer(costs):
    rows = journey_rows(costs)
    sms = [r for r in rows if "on sms" in r.figure]
    assert len(sms) == 3 and all(r.verdict == "met" for r in sms)
    assert any("ar " in r.limit and "Arabic script" in r.limit for r in sms)
    assert all(r.verdict == "" for r in rows if "on telegram" in r.figure)


# --- U1 / U2: end-to-end accounting ----------------------------------------------------------

def _people():
    from bench.e2e import Accepted, Sent

    sent = [Sent("telegram", "1", "walk"), Sent("sms", "+2279", "walk"),
            Sent("telegram", "1", "walk"), Sent("sms", "+2279", "sos")]
    times = [0.0, 0.5, 6.0, 6.5]
    accepted = [Accepted("telegram", "1", 0.3, "a"), Accepted("telegram", "1", 0.4, "a2"),
                Accepted("sms", "+2279", 1.5, "b"), Accepted("telegram", "1", 7.0, "c"),
                Accepted("sms", "+2279", 6.9, "sos"), Accepted("telegram", "999", 3.0, "digest")]
    return sent, times, accepted


def test_each_request_gets_its_first_reply_and_a_planted_loss_is_found():
    from bench.e2e import account

    sent, times, accepted = _people()
    result = account(sent, times, accepted)
    assert result.lost == [] and result.unattributed == 1  # the digest went to nobody of ours
    assert result.latencies["telegram"] == pytest.approx([0.3, 1.0])
    assert result.latencies["sms"] == pytest.approx([1.0, 0.4])
    assert result.sos == pytest.approx([0.4])
    planted = [a for a in accepted if a.text != "sos"]  # the SOS reply never left
    assert account(sent, times, planted).lost == [3]


def test_the_gateway_is_judged_beyond_the_slot_its_phones_pace_allows():
    from bench.e2e import Accepted, Sent, account, paced_floor

    # Three people write at once to the gateway, A and B through phone 1, C through phone 2,
    # each phone at 1 SMS/s. A's reply has three SMS, B's and C's one each: phone 1 sends A's
    # three, then B's; phone 2 sends C's at once. The pace alone puts B's reply 3 s after B
    # wrote.
    sent = [Sent("android-sms", a, "walk") for a in ("1A", "1B", "2C")]
    times = [10.0, 10.0, 10.0]
    accepted = [Accepted("android-sms", address, at, text) for address, at, text in (
        ("1A", 10.1, "a1"), ("2C", 10.1, "c"), ("1A", 11.1, "a2"), ("1A", 12.1, "a3"),
        ("1B", 13.5, "b"))]
    result = account(sent, times, accepted)
    assert result.parts == {0: 3, 1: 1, 2: 1}
    floor = paced_floor(sent, times, result.parts, "android-sms", rate=1.0,
                        sender_of=lambda address: address[0])
    assert floor == pytest.approx({0: 0.0, 1: 3.0, 2: 0.0})
    # B waited 3.5 s, of which 3 were their phone's pace: 0.5 s beyond its slot.
    assert result.by_index[1] - floor[1] == pytest.approx(0.5)
    # A second message of A's, after their reply: its reply's messages are counted apart.
    again = account([*sent, Sent("android-sms", "1A", "walk")], [*times, 20.0],
                    [*accepted, Accepted("android-sms", "1A", 20.3, "a4")])
    assert again.parts[0] == 3 and again.parts[3] == 1


def test_the_gateway_row_is_met_or_missed_by_the_time_beyond_its_slot():
    from bench.__main__ import e2e_rows
    from bench.e2e import Accounting, E2EResult

    def gateway_row(latency: float, floor: float) -> dict:
        accounting = Accounting(latencies={"android-sms": [latency]}, by_index={0: latency})
        result = E2EResult(1.0, 1.0, 1, 1, accounting, 0.0, 0, {"web": [1.0], "handling": [1.0]},
                           0.0, 1, 1.0, 1.0, True, 1, {"handled": 1, "outbox_sent": 1},
                           by_channel={"android-sms": 1}, gateway_floor={0: floor})
        [row] = [r for r in e2e_rows(result, "sqlite") if r.figure.startswith("android-sms")]
        return vars(row)

    # 6 s, of which 5 the phones' pace: met; the same 6 s with 1 s of pace: missed.
    paced = gateway_row(6.0, 5.0)
    assert paced["verdict"] == "met" and "beyond its slot p99 1.00" in paced["value"]
    assert gateway_row(6.0, 1.0)["verdict"] == "MISSED"


def test_lost_and_doubled_count_what_the_store_and_the_providers_say():
    from bench.e2e import Accounting, E2EResult

    def result(answered: int, store: dict, accepted: int, lost: list[int]) -> E2EResult:
        return E2EResult(1.0, 1.0, 4, answered, Accounting(lost=lost), 0.0, 0,
                         {"web": [1.0], "handling": [1.0]}, 0.0, 5, 1.0, 1.0, True,
                         accepted, store)
    fine = result(4, {"handled": 4, "outbox_sent": 6}, 6, [])
    assert (fine.lost, fine.doubled) == (0, 0)
    assert result(4, {"handled": 3, "outbox_sent": 6}, 6, []).lost == 1  # never handled
    assert result(4, {"handled": 4, "outbox_sent": 6, "outbox_failed": 2}, 6, []).lost == 2
    assert result(4, {"handled": 4, "outbox_sent": 6}, 6, [2]).lost == 1  # no reply
    assert result(4, {"handled": 4, "outbox_sent": 6}, 7, []).doubled == 1  # sent twice


def test_the_bound_is_each_channel_at_its_limit_and_each_chat_at_one_a_second():
    from bench.e2e import SMS_RATE, TELEGRAM_RATE, Accepted, _bound

    replies = [Accepted("telegram", str(i % 10), 1.0 + i / 1000, "t") for i in range(600)]
    replies += [Accepted("sms", "+1", 2.0, "s") for _ in range(100)]
    assert _bound(replies, 0.0) == pytest.approx(max(1.0 + 600 / TELEGRAM_RATE,
                                                     2.0 + 100 / SMS_RATE, 60 / 1.0))


def test_a_tiny_end_to_end_run_answers_everyone_once(tmp_path):
    from bench.databases import fresh_database
    from bench.e2e import run

    with fresh_database("sqlite") as url:
        result = run(url, rate=20, seconds=2, members=1, digest=False, sos_at=0.5)
    assert 30 <= result.requests <= 40 and result.answered == result.requests
    assert (result.lost, result.doubled, result.backlog_left) == (0, 0, 0)
    assert result.accounting.sos and result.store["handled"] == result.requests
    # U2's row reads the SOS it inserted (from a new number), and every request's time is
    # split into its stages, each no earlier than the one before.
    from bench.e2e import NEW_SOS, STAGES

    assert result.new_sos == result.accounting.by_index[result.sos_index] > 0
    spent = result.stages
    assert spent is not None and spent.skipped == 0
    assert all(len(spent.by_stage[stage]) == result.requests for stage in STAGES[1:])
    [new] = [one for name, one in spent.sos.items() if NEW_SOS[-4:] in name]
    assert list(new) == list(STAGES)
    assert new["reply queued"] <= new["reply marked sent"]
    # Every channel's people were answered: WhatsApp (signed as Twilio signs it) and the
    # gateway phones (signed as the app signs it) too, none faster than its pace
    assert set(result.accounting.latencies) == {"telegram", "sms", "whatsapp", "android-sms"}
    assert all(result.by_channel[channel] for channel in result.accounting.latencies)
    assert result.gateway_too_fast == 0


def test_a_pinned_server_runs_on_the_one_cpu_it_is_given():
    from pathlib import Path

    from bench.procs import Server

    with Server("bench.bare_app:app", {}, taskset="0") as server:
        status = Path(f"/proc/{server.pids[0]}/status").read_text()
    assert "Cpus_allowed_list:\t0\n" in status


def test_make_bench_is_sized_for_ten_minutes_and_full_gives_the_issues_sizes(monkeypatch):
    from bench.__main__ import _arguments

    monkeypatch.delenv("HANYA_BENCH_QUICK", raising=False)
    monkeypatch.setattr("sys.argv", ["bench", "--make"])
    short = _arguments()
    assert (short.e2e_seconds, short.reps) == (30.0, 2)
    assert short.burst_messages / short.burst_seconds == pytest.approx(10_000 / 60)
    monkeypatch.setattr("sys.argv", ["bench", "--full"])
    full = _arguments()
    assert (full.e2e_seconds, full.burst_messages, full.burst_seconds) == (600.0, 10_000, 60.0)
    assert (full.reps, full.messages, full.cli_runs) == (3, 10_000, 5)
