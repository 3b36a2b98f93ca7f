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
