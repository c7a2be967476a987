"""The dispatch engine's reasons in the reader's language. The engine writes them in Bahasa Indonesia, with
values, into the events (app/dispatch/engine.py, reasons.py), where they stay as written; the console shows
them in English by the catalogue's templates below, matched against the Indonesian side, most specific
first, and applied again to the values they capture (a reason holds others: "tidak ada regu yang memenuhi
syarat: 2 regu terlalu jauh (40 menit); 1 regu di luar sif"). The reasons for a priority
(app/dispatch/priority.py) are written in English and go the other way. A reason no template knows is
shown as written.

Templates use `{name}`; `n`, `m`, `p`, `q`, `minutes` and `cost` stand for numbers."""

from __future__ import annotations

import re
from functools import cache

from app.console import i18n, labels
from app.console.i18n import N_
from app.dispatch.reasons import CAPABILITY_NAMES, SKILL_NAMES

TEMPLATES = (
    # Why a crew cannot take an incident (app/dispatch/engine.py, candidates.py).
    N_("out of service"),
    N_("off shift"),
    N_("weighing another offer"),
    N_("handling another case"),
    N_("handling another case; divert that case first"),
    N_("already handling this incident"),
    N_("given another case"),
    N_("declined or did not answer this offer (asked again later)"),
    N_("area outside its coverage"),
    N_("lacks the skill {skills}"),
    N_("its vehicle lacks {equipment}"),
    N_("too far ({minutes} min)"),
    N_("its shift ends in {minutes} min"),
    # What a choice costs besides the travel.
    N_("{minutes} min travel"),
    N_("last free crew with {what}"),
    N_("arrives after the temu target"),
    N_("no female officer"),
    N_("no counsellor"),
    N_("too few seats: {n} people, {m} seats (two trips needed)"),
    N_("shift ends in {minutes} min"),
    # Why an incident waits or was escalated (app/dispatch/reasons.py).
    N_("no crew on duty now"),
    N_("all {n} qualified crews are busy ({m} crews on duty)"),
    N_("no crew qualifies: {parts}"),
    N_("{n} crew(s): {why}"),
    N_("{n} offers not taken; still offered to free crews"),
    N_("waiting: the qualified crews were given older or more urgent cases"),
    # A decision: the group it was planned in, the crew chosen and its cost.
    N_("handover"),
    N_("still reachable in time"),
    N_("{crew}: cost {cost} min ({notes})"),
    N_("nearest crew {crew} was given another case that suits it better"),
    # Diversions, handovers, ends of shift (app/dispatch/engine.py, app/services/dispatch/).
    N_("diverted from a P{p} case (not yet on scene) to a P1 case"),
    N_(
        "diverted from a P{p} case that will surely miss its temu target "
        "to a P{q} case still reachable in time"
    ),
    N_("{why}: {minutes} min travel"),
    N_("diverted to a P{p} case"),
    N_("end of shift"),
    N_("end of shift {crew}"),
    N_("handover from {crew}; case status {status}"),
    N_("the previous crew"),
    N_("crew dispatched by hand: {reason}"),
    N_("crew dispatched"),
    # Why an incident has its priority (app/dispatch/priority.py, in English).
    N_("category {category}: P{p}"),
    N_("{why}: P{p}"),
    N_("subject deceased"),
    N_("subject agitated or violent"),
    N_("subject injured"),
    N_("child under 5"),
    N_("child"),
    N_("elderly"),
    N_("shackled (pasung)"),
)
_NUMBERS = {"n", "m", "p", "q", "minutes", "cost"}
# "pengemudi (driver)": a skill or a piece of equipment named with its code.
_CODED = re.compile(r"^(?P<name>[^()]+) \((?P<code>[a-z_]+)\)$")
_NAMES = {**SKILL_NAMES, **CAPABILITY_NAMES}
_ENGLISH = {**labels.SKILL, **labels.CAPABILITY}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(p) if i % 2 == 0 else (rf"(?P<{p}>[\d.,]+)" if p in _NUMBERS else f"(?P<{p}>.+?)")
        for i, p in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.S)


@cache
def _templates(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(the other language's side as a pattern, `lang`'s side), the longest fixed text first."""
    to_id = i18n.catalogue("id")
    pairs = [(to_id[en], en) if lang == "en" else (en, to_id[en]) for en in TEMPLATES if en in to_id]
    pairs.sort(key=lambda pair: -len(re.sub(r"\{\w+\}", "", pair[0])))
    return tuple((_pattern(source), target) for source, target in pairs)


def in_words(text: str, lang: str) -> str:
    """A reason as it was written (the engine's in Indonesian, the priority's in English), in `lang`."""
    if not text or lang not in i18n.LANGUAGES:
        return text
    return _translate(text, lang, depth=0)


def _translate(text: str, lang: str, depth: int) -> str:
    if depth > 8:
        return text
    for pattern, target in _templates(lang):
        m = pattern.match(text)
        if m:
            values = {
                k: v if k in _NUMBERS else _translate(v, lang, depth + 1) for k, v in m.groupdict().items()
            }
            return target.format(**values)
    coded = _CODED.match(text)
    if lang == "en" and coded and coded.group("code") in _NAMES:
        return _ENGLISH[coded.group("code")].lower()
    for sep in ("; ", ", "):
        if sep in text:
            return sep.join(_translate(part, lang, depth + 1) for part in text.split(sep))
    return text
