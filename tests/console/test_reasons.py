"""The dispatch engine's reasons (written in Indonesian, with values) in English on an English console,
and the priority's reasons (written in English) in Indonesian; nested reasons translated part by part. No
database: the reasons come from the engine's own functions where they can."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import app
from app.console import i18n
from app.console.reasons import TEMPLATES, in_words
from app.dispatch import priority, reasons
from app.dispatch.priority import default_priority
from app.dispatch.reasons import Refusal

INDONESIAN = re.compile(r"\b(regu|menit|sif|kasus|tawaran|tidak|terlalu|keahlian|kendaraannya|biaya)\b")


def _codes_in_source() -> set[str]:
    """Every reason code the engine and the services can give, read from the source: the keys of the
    producers' SENTENCES, and every literal code passed to Reason(...) or priority's say(...)/lift(...)."""
    codes = set(reasons.SENTENCES) | set(priority.SENTENCES)
    for path in Path(app.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0] if name in ("Reason", "say") else node.args[1] if name == "lift" else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
    return codes


def test_every_reason_code_the_engine_can_give_has_a_translation_in_both_languages() -> None:
    to_id = i18n.catalogue("id")
    codes = _codes_in_source()
    assert {"too_far", "none_qualified", "diverted.travel", "end_of_shift", "priority.triage"} <= codes
    for code in codes:
        assert code in reasons.SENTENCES or code in priority.SENTENCES, f"{code} has no sentence"
        assert code in TEMPLATES, f"{code} has no English template (app/console/reasons.py)"
        english = TEMPLATES[code]
        assert english in to_id, f"{code}: {english!r} has no Indonesian translation"
        produced = {**reasons.SENTENCES, **priority.SENTENCES}[code]
        values = sorted(re.findall(r"\{(\w+)\}", produced))
        assert sorted(re.findall(r"\{(\w+)\}", english)) == values, code
        assert sorted(re.findall(r"\{(\w+)\}", to_id[english])) == values, code


def test_each_sentence_belongs_to_one_code() -> None:
    # A stored text is read back to its code by its sentence, and reasons are shared by their words.
    for sentences in (reasons.SENTENCES, priority.SENTENCES):
        assert len(set(sentences.values())) == len(sentences)


def test_a_reason_is_translated_by_its_code_not_its_words(monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine rewords a sentence: the stored code and values still say the same in English.
    why = reasons.Reason("too_far", minutes=40).data()
    monkeypatch.setitem(reasons.SENTENCES, "too_far", "jaraknya {minutes} menit, terlalu jauh")
    reasons._shared.cache_clear()  # reasons are made once and shared: made again with the new words
    reworded = reasons.Reason("too_far", minutes=40)
    reasons._shared.cache_clear()
    assert str(reworded) == "jaraknya 40 menit, terlalu jauh"
    assert in_words(reworded, "en") == "too far (40 min)"
    assert in_words(why, "en", text="terlalu jauh (40 menit)") == "too far (40 min)"
    assert in_words(why, "id") == "terlalu jauh (40 menit)"
    # An unknown code: the stored text as written.
    assert in_words({"code": "new_code", "params": {}}, "en", text="alasan baru") == "alasan baru"
    assert in_words({"code": "too_far", "params": {"x": {"code": "??"}}}, "en", text="t") == "t"


def test_an_escalation_s_reason_kept_with_its_code_reads_back_the_same() -> None:
    refused = {
        "a": Refusal(reasons.TOO_FAR, reasons.Reason("too_far", minutes=40)),
        "b": Refusal(reasons.LACKS_SKILL, reasons.Reason("lacks_skill", skills=("body_handling",))),
    }
    why = reasons.summarise(refused, on_duty=2, qualified_if_free=0).text
    data = json.loads(json.dumps(reasons.data(why)))
    assert in_words(data, "id") == why
    assert in_words(data, "en") == (
        "no crew qualifies: 1 crew(s): too far (40 min); 1 crew(s): lacks the skill body handling"
    )


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
