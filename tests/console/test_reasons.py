"""The dispatch engine's reasons (written in Indonesian, with values) in English on an English console,
and the priority's reasons (written in English) in Indonesian; nested reasons translated part by part. No
database: the reasons come from the engine's own functions where they can."""

from __future__ import annotations

import re

from app.console import i18n
from app.console.reasons import TEMPLATES, in_words
from app.dispatch import reasons
from app.dispatch.priority import default_priority
from app.dispatch.reasons import Refusal

INDONESIAN = re.compile(r"\b(regu|menit|sif|kasus|tawaran|tidak|terlalu|keahlian|kendaraannya|biaya)\b")


def test_every_template_has_an_indonesian_side_with_the_same_values() -> None:
    to_id = i18n.catalogue("id")
    for template in TEMPLATES:
        assert template in to_id, template
        assert sorted(re.findall(r"\{(\w+)\}", template)) == sorted(re.findall(r"\{(\w+)\}", to_id[template]))


def test_why_an_incident_waits_in_english() -> None:
    refused = {
        "a": Refusal(reasons.TOO_FAR, "terlalu jauh (40 menit)"),
        "b": Refusal(reasons.TOO_FAR, "terlalu jauh (40 menit)"),
        "c": Refusal(reasons.LACKS_SKILL, "tidak punya keahlian " + reasons.skill_text({"body_handling"})),
        "d": Refusal(reasons.OFF_SHIFT, "di luar sif"),
    }
    why = reasons.summarise(refused, on_duty=4, qualified_if_free=0).text
    assert in_words(why, "id") == why
    assert in_words(why, "en") == (
        "no crew qualifies: 2 crew(s): too far (40 min); 1 crew(s): off shift; "
        "1 crew(s): lacks the skill body handling"
    )
    busy = reasons.summarise(
        {"a": Refusal(reasons.DECLINED, "menolak atau tidak menjawab tawaran ini (ditanya lagi nanti)")},
        on_duty=5,
        qualified_if_free=3,
    ).text
    assert in_words(busy, "en") == (
        "all 3 qualified crews are busy (5 crews on duty); "
        "1 crew(s): declined or did not answer this offer (asked again later)"
    )
    assert in_words(reasons.summarise({}, on_duty=0, qualified_if_free=0).text, "en") == "no crew on duty now"
    assert (
        in_words(reasons.offers_not_taken(3).text, "en") == "3 offers not taken; still offered to free crews"
    )


def test_a_decision_s_reasons_in_english() -> None:
    chosen = (
        "Regu Pagi 1: biaya 31.5 menit (12 menit perjalanan; tanpa konselor; sif berakhir dalam 20 menit)"
    )
    assert (
        in_words(chosen, "en")
        == "Regu Pagi 1: cost 31.5 min (12 min travel; no counsellor; shift ends in 20 min)"
    )
    assert in_words("masih bisa tepat waktu", "en") == "still reachable in time"
    diverted = "dialihkan dari kasus P3 (belum tiba di lokasi) ke kasus P1: 9 menit perjalanan"
    assert in_words(diverted, "en") == "diverted from a P3 case (not yet on scene) to a P1 case: 9 min travel"
    seats = "kursi kurang: 6 orang, 4 kursi (perlu dua kali jalan)"
    assert in_words(seats, "en") == "too few seats: 6 people, 4 seats (two trips needed)"
    vehicle = "kendaraannya tanpa " + reasons.capability_text({"secure_transport", "stretcher"})
    assert in_words(vehicle, "en") == "its vehicle lacks secure transport, stretcher"
    for text in (
        chosen,
        diverted,
        seats,
        vehicle,
        "akhir sif",
        "sedang menangani kasus lain; alihkan dulu kasus itu",
    ):
        assert not INDONESIAN.search(in_words(text, "en").replace("Regu Pagi", "")), in_words(text, "en")


def test_the_priority_s_reasons_in_indonesian_and_unknown_text_as_written() -> None:
    decision = default_priority(
        category_priority=3, category="ODGJ", flags=["agitated", "child"], approx_age=None
    )
    assert [in_words(r, "id") for r in decision.reasons] == [
        "kategori ODGJ: P3",
        "subjek mengamuk atau membahayakan: P1",
    ]
    assert [in_words(r, "en") for r in decision.reasons] == list(decision.reasons)
    assert in_words("catatan bebas dari supervisor", "en") == "catatan bebas dari supervisor"
    assert in_words("", "en") == ""
