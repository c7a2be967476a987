"""The dispatch engine's reasons in the reader's language, translated by their codes, never by their words.

The engine and the dispatch services give a reason as a sentence in Bahasa Indonesia that carries a code and
its values (app/dispatch/reasons.py: `Reason`); the events keep both (`reason` and `reason_why`, `reasons`
and `reasons_why`, a refusal's `reason` and `why`, a candidate's `notes` and `notes_why`). The console draws
the code's template below through the catalogue, with the values put in, themselves translated when they are
reasons or skill and equipment codes. So a sentence reworded in the engine changes nothing here; a code
without a template here fails a test (tests/console/test_reasons.py enumerates the engine's codes).

A stored text without its code (events written before the codes, a crew's status reason, the priority's
reasons, which are stored in English as written by app/dispatch/priority.py) is read back into its code and
values with the producer's own sentences (SENTENCES there, not a copy): a sentence that no longer matches is
shown as written, never mistranslated.

Templates use `{name}`, the same names as the engine's sentences."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from app.console import i18n, labels
from app.console.i18n import N_
from app.dispatch import priority
from app.dispatch import reasons as engine_reasons

# The engine's codes (app/dispatch/reasons.py: SENTENCES) and the priority's (app/dispatch/priority.py), in
# English; the Indonesian in the catalogue.
TEMPLATES: dict[str, str] = {
    # Why a crew cannot take an incident.
    "out_of_service": N_("out of service"),
    "off_shift": N_("off shift"),
    "offered": N_("weighing another offer"),
    "busy": N_("handling another case"),
    "busy.this_incident": N_("already handling this incident"),
    "busy.divert_first": N_("handling another case; divert that case first"),
    "busy.given_other": N_("given another case"),
    "declined": N_("declined or did not answer this offer (asked again later)"),
    "outside_coverage": N_("area outside its coverage"),
    "lacks_skill": N_("lacks the skill {skills}"),
    "lacks_vehicle": N_("its vehicle lacks {equipment}"),
    "too_far": N_("too far ({minutes} min)"),
    "shift_ends": N_("its shift ends in {minutes} min"),
    # What a choice costs besides the travel.
    "cost.travel": N_("{minutes} min travel"),
    "cost.last_of_kind": N_("last free crew with {what}"),
    "cost.late": N_("arrives after the temu target"),
    "cost.no_female_officer": N_("no female officer"),
    "cost.no_counsellor": N_("no counsellor"),
    "cost.too_few_seats": N_("too few seats: {n} people, {m} seats (two trips needed)"),
    "cost.shift_overrun": N_("shift ends in {minutes} min"),
    # Why an incident waits or was escalated.
    "no_crew_on_duty": N_("no crew on duty now"),
    "all_busy": N_("all {n} qualified crews are busy ({m} crews on duty)"),
    "none_qualified": N_("no crew qualifies: {parts}"),
    "crews": N_("{n} crew(s): {why}"),
    "offers_not_taken": N_("{n} offers not taken; still offered to free crews"),
    "waits": N_("waiting: the qualified crews were given older or more urgent cases"),
    "handover.waits": N_("handover: {why}"),
    # A decision: the group it was planned in, the crew chosen and its cost.
    "group.handover": N_("handover"),
    "group.in_time": N_("still reachable in time"),
    "group.priority": N_("P{p}"),
    "group.closest_idle": N_("nearest free crew"),
    "chosen": N_("{crew}: cost {cost} min ({notes})"),
    "chosen.closest_idle": N_("{crew}"),
    "nearest_given_other": N_("nearest crew {crew} was given another case that suits it better"),
    # Diversions, handovers, ends of shift.
    "diverted.for_p1": N_("diverted from a P{p} case (not yet on scene) to a P1 case"),
    "diverted.in_time": N_(
        "diverted from a P{p} case that will surely miss its temu target "
        "to a P{q} case still reachable in time"
    ),
    "diverted.travel": N_("{why}: {minutes} min travel"),
    "diverted.crew": N_("{crew} {why}"),
    "diverted.to": N_("diverted to a P{p} case"),
    "end_of_shift": N_("end of shift"),
    "end_of_shift.crew": N_("end of shift {crew}"),
    "handover.from": N_("handover from {crew}; case status {status}"),
    "handover.previous": N_("the previous crew"),
    "several": N_("{parts}"),
    # Why an incident has its priority (app/dispatch/priority.py).
    "priority.category": N_("category {category}: P{p}"),
    "priority.lifted": N_("{why}: P{p}"),
    "priority.deceased": N_("subject deceased"),
    "priority.agitated": N_("subject agitated or violent"),
    "priority.injured": N_("subject injured"),
    "priority.under_5": N_("child under 5"),
    "priority.child": N_("child"),
    "priority.elderly": N_("elderly"),
    "priority.shackled": N_("shackled (pasung)"),
    "priority.triage": N_("triage of the description ({category}; {flags}): P{p}"),
}
# Every sentence a reason may have been stored as: the engine's (Indonesian) and the priority's (English).
PRODUCED = {**engine_reasons.SENTENCES, **priority.SENTENCES}
_NUMBERS = {"n", "m", "p", "q", "minutes", "cost"}
_ENGLISH_NAMES = {**labels.SKILL, **labels.CAPABILITY}
_CODED = re.compile(r"^(?P<name>[^()]+) \((?P<code>[a-z_]+)\)$")
Named = Callable[[str], str]


def _same(text: str) -> str:
    return text


def in_words(value: object, lang: str, named: Named = _same, *, text: object = None) -> str:
    """A reason in `lang`: `value` is its code and values as an event keeps them ({"code", "params"}) or a
    stored text; `text` the stored text shown when the code is unknown. `named` puts crews' names for
    their ids."""
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT
    if isinstance(value, engine_reasons.Reason):
        value = value.data()
    if isinstance(value, Mapping):
        drawn = _render(value, lang, named, depth=0)
        if drawn is not None:
            return drawn
        return named(str(text)) if text else ""
    if not value:
        return named(str(text)) if text else ""
    stored = str(value)
    parsed = parse(stored)
    if parsed is not None:
        drawn = _render(parsed, lang, named, depth=0)
        if drawn is not None:
            return drawn
    return named(stored)


def _render(data: Mapping[str, Any], lang: str, named: Named, depth: int) -> str | None:
    code = data.get("code")
    template = TEMPLATES.get(code) if isinstance(code, str) else None
    params = data.get("params") or {}
    if template is None or depth > 8 or not isinstance(params, Mapping):
        return None
    values: dict[str, str] = {}
    for key, raw in params.items():
        value = _value(str(key), raw, lang, named, depth)
        if value is None:
            return None
        values[str(key)] = value
    try:
        return i18n.gettext_for(lang)(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return None


def _value(key: str, raw: object, lang: str, named: Named, depth: int) -> str | None:
    if isinstance(raw, Mapping):
        return _render(raw, lang, named, depth + 1)
    if isinstance(raw, list | tuple):
        if key in engine_reasons.CODE_LISTS:
            codes = [str(c) for c in raw]
            if lang == "en":
                return ", ".join(_ENGLISH_NAMES.get(c, c).lower() for c in codes)
            return engine_reasons.names_text(codes)
        parts = [_value("", part, lang, named, depth + 1) for part in raw]
        return None if any(p is None for p in parts) else "; ".join(str(p) for p in parts)
    if isinstance(raw, str):
        # A value that is itself a reason stored as text (a refusal built from a plain text).
        parsed = parse(raw) if key == "why" else None
        drawn = _render(parsed, lang, named, depth + 1) if parsed is not None else None
        return drawn if drawn is not None else named(raw)
    return str(raw)


def each(texts: object, whys: object, lang: str, named: Named = _same) -> list[str]:
    """A list of reasons (an event's `reasons` beside its `reasons_why`) in `lang`."""
    if isinstance(texts, str):
        return [in_words(texts, lang, named)]
    listed = list(texts) if isinstance(texts, list | tuple) else []
    coded = list(whys) if isinstance(whys, list | tuple) else []
    return [
        in_words(coded[n] if n < len(coded) and coded[n] else text, lang, named, text=text)
        for n, text in enumerate(listed)
    ]


# ---- stored texts without their codes -------------------------------------------------------------------


def _pattern(sentence: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", sentence)
    regex = "".join(
        re.escape(p) if i % 2 == 0 else (rf"(?P<{p}>[\d.,]+)" if p in _NUMBERS else f"(?P<{p}>.+?)")
        for i, p in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.S)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(sentence as a pattern, code), the longest fixed text first (the most specific)."""
    ordered = sorted(PRODUCED.items(), key=lambda kv: -len(re.sub(r"\{\w+\}", "", kv[1])))
    # A sentence that is only a value ("{parts}", "{crew}") would match any text: never read back.
    return tuple(
        (_pattern(sentence), code) for code, sentence in ordered if not re.fullmatch(r"\{\w+\}", sentence)
    )


def parse(text: str, depth: int = 0) -> dict[str, Any] | None:
    """A stored reason's code and values, read with the sentences it was written from, or None."""
    if depth > 8:
        return None
    for pattern, code in _patterns():
        m = pattern.match(text)
        if m is None:
            continue
        params: dict[str, Any] = {}
        for key, raw in m.groupdict().items():
            if key in engine_reasons.CODE_LISTS:
                coded = [_CODED.match(part) for part in raw.split(", ")]
                if not all(coded):
                    break
                params[key] = [c.group("code") for c in coded if c]
            elif key in ("why", "parts", "notes", "crew"):
                pieces = raw.split("; ") if key in ("parts", "notes") else [raw]
                read = [parse(piece, depth + 1) or piece for piece in pieces]
                params[key] = read if key in ("parts", "notes") else read[0]
            else:
                params[key] = raw
        else:
            return {"code": code, "params": params}
    if "; " in text:
        pieces = [parse(piece, depth + 1) for piece in text.split("; ")]
        if all(pieces):
            return {"code": "several", "params": {"parts": pieces}}
    return None
