"""Suggests, for a post or a call-center description: a category or "not a case" with its reason, urgency
flags, a priority hint, a place and a confidence. An operator always verifies: this only fills the form and
orders the queue.

Three voices are combined (see `decide`):
- the lexicon (app/triage/lexicon.py): keywords and their weights, on stemmed words, skipping denied ones;
- the rule cues (app/triage/cues.py): paraphrases per category, signs of a non-case, flags;
- the model (app/triage/model.py): a linear model over words, character n-grams and the cues, trained on
  the labelled posts; it weighs what the rules see against each other.
Without the model artefact the rules decide alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from app.dispatch.priority import default_priority
from app.reference.categories import CATEGORIES, UNKNOWN
from app.triage import cues as cue_rules
from app.triage import lexicon
from app.triage.features import analyse
from app.triage.model import Model, shipped
from app.triage.notcase import REASONS
from app.triage.places import datelined_elsewhere, elsewhere, find_place
from app.triage.text import stem, words

NONE = "none"
# Rule scores are capped here and scaled to 0..1 before they are added to the model's probabilities.
RULE_CAP = 6.0


@dataclass(frozen=True, slots=True)
class Params:
    """How much the rules count beside the model (chosen by cross-validation on the train part)."""

    rules: float = 0.35  # weight of the category rules (0.25 until session 10; pooled 5-fold CV)
    not_case: float = 1.25  # weight of the non-case cues
    help: float = 0.3  # a plea for help ("tolong", "kasihan", "pelapor") counts against "not a case"
    min_rule: int = 2  # without a model: the least rule score that names a category
    unsupported: float = 0.4  # a category no rule supports needs this much of the model, else "unknown"
    outrank: float = 1.0  # how far behind a more specific category may be and still win (OUTRANKS)
    carer_gone: float = 0.35  # how far behind AT may be and still win when a child's carers are gone
    mind_signs: float = 0.5  # how far behind ODGJ may be and still win when its signs are seen (MIND_BEATS)


PARAMS = Params()
# Missing one of these costs most: a strong rule for them wins over a weaker model category.
CRITICAL = frozenset({"ODGJ", "PASUNG", "JENAZAH", "ABT", "AT", "AJ", "AKTK"})
# When the rules see X outright (score >= 3), X is the more specific reading of these categories: a body is
# a body whoever it was, a shackled ODGJ is pasung, a homeless elderly man is an elderly case, a child begging
# is a street child, a cheated migrant stranded at a port is a migrant worker, a child whose parents went
# abroad is a neglected child.
OUTRANKS: dict[str, frozenset[str]] = {
    "JENAZAH": frozenset({"LUT", "OT", "GEL", "ABT", "AT", "ODGJ", "PMBS", "TRAF", "PEMU"}),
    "PASUNG": frozenset({"ODGJ", "LUT", "AT", "OT", "NAPZA"}),  # tied each night "karena ngamuk": restraint
    "ABT": frozenset({"AT", "AJ", "OT", "PMBS"}),  # not PENG: a beggar with a baby in arms is the beggar
    "AKTK": frozenset({"AT", "KTK", "AJ", "OT"}),
    "AJ": frozenset({"PENGAMEN", "PENG", "AT", "GEL"}),
    "LUT": frozenset({"GEL", "OT"}),
    "TRAF": frozenset({"PMBS", "OT", "PASUNG"}),  # held by an agent is trafficking, not a shackled man
    "KTK": frozenset(
        {"LUT", "OT", "GEL", "NAPZA"}
    ),  # a parent beaten by a son on drugs: the parent  # a beaten grandmother is a victim of violence first
    "PMBS": frozenset({"OT", "GEL"}),
    "NAPZA": frozenset({"ODGJ", "PENG"}),
    "ADK": frozenset({"PD", "AT"}),
    "PD": frozenset({"OT"}),
    # the victims of a fire or a flood are disaster victims, the elderly and the babies among them too
    "KBS": frozenset({"KBA", "LUT", "ABT", "FM", "OT"}),
    "KBA": frozenset({"LUT", "ABT", "FM", "OT"}),
    "PEMU": frozenset({"GEL"}),  # a scavenger sleeping in his cart
    "ODHA": frozenset({"KTK", "GEL", "OT", "ODGJ", "TS"}),  # turned out for being HIV-positive
    "PRSE": frozenset({"FM"}),  # a poor widow with children heads the household herself
    "AMPK": frozenset({"AT", "ABT", "AKTK"}),  # a girl married off under age
    "BWBLP": frozenset({"GEL", "OT"}),
    # a child caught stealing or in a brawl is a child before the law, not a brawl or a street child
    "ABH": frozenset({"KBS", "AT", "AJ", "OT", "NAPZA"}),
    # a child left behind by a parent who went to work abroad is the child's case, not the migrant's
    "AT": frozenset({"PMBS", "OT"}),
}
# A child left without care for a stated reason (cues "at:carer") is AT rather than these, when AT is close.
CARER_GONE_BEATS = frozenset({"AJ", "ABH", "PMBS", "LUT", "GEL", "OT", "FM", "PENG"})
# A person seen with the signs of a disturbed mind (talking to himself, raging, cannot be asked) is ODGJ
# rather than these, though he sleeps rough, wanders or does not know his home, when ODGJ is close.
MIND_BEATS = frozenset({"GEL", "OT", "PENG", "PEMU"})
CHILD = frozenset({"ABT", "AT", "AJ", "AKTK", "ABH", "ADK", "AMPK"})
# Subjects who suffer what the post tells, whatever violent words it has.
VICTIMS = frozenset(
    {"AKTK", "KTK", "TRAF", "ABT", "AT", "PASUNG", "JENAZAH", "PMBS", "FM", "LUT", "KBA", "ADK", "PD"}
)
IMPLIED_FLAGS = {"PASUNG": "shackled", "JENAZAH": "deceased", "LUT": "elderly"}


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str  # a category code, or "unknown" (not a case, or not known)
    confidence: float
    flags: tuple[str, ...]
    urgent: bool
    region_code: str | None
    place: str | None
    matched: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)
    not_case: str | None = None  # reason code when the post is not a case
    not_case_text: str | None = None  # the reason in Indonesian
    priority: int | None = None  # the priority the rules would give (app/dispatch/priority.py)

    @property
    def label(self) -> str:
        """The category, or "none" when not a case (as the labelled sets write it)."""
        return NONE if self.not_case else self.category

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "confidence": self.confidence,
            "flags": list(self.flags),
            "urgent": self.urgent,
            "region_code": self.region_code,
            "place": self.place,
            "matched": list(self.matched),
            "scores": self.scores,
            "not_case": self.not_case,
            "not_case_text": self.not_case_text,
            "priority": self.priority,
        }


def _needle(term: str) -> tuple[bool, tuple[str, ...]]:
    """(as written?, words): stemmed words, or for "=term" the words as written (matched unstemmed)."""
    if term.startswith("="):
        return True, tuple(words(term[1:]))
    return False, tuple(stem(w) for w in words(term))


# (as written?, first word) -> [(rest of the words, what it names, weight, kind)]; kinds below
_Index = dict[tuple[bool, str], list[tuple[tuple[str, ...], str, int, int]]]
CATEGORY, FLAG, URGENT = 0, 1, 2


def _index(entries: list[tuple[str, str, int, int]]) -> _Index:
    index: _Index = defaultdict(list)
    for term, name, weight, kind in entries:
        raw, needle = _needle(term)
        if needle:
            index[(raw, needle[0])].append((needle[1:], name, weight, kind))
    return dict(index)


@lru_cache(maxsize=1)
def _compiled() -> _Index:
    """The lexicon's category, flag and urgency terms in one index by first word: one pass over a post finds
    every term (a post is scanned once, not once per term nor once per kind)."""
    return _index(
        [(t, code, w, CATEGORY) for code, terms in lexicon.CATEGORY_TERMS.items() for t, w in terms]
        + [(t, flag, 1, FLAG) for flag, terms in lexicon.FLAG_TERMS.items() for t in terms]
        + [(t, "urgent", 1, URGENT) for t in lexicon.URGENT_TERMS]
    )


def _matches(
    index: _Index, stemmed: tuple[str, ...], raw: tuple[str, ...], neg: list[bool]
) -> tuple[list[tuple[str, str, int]], ...]:
    """Per kind (category, flag, urgent): (term as found, name, weight) for each term occurring outside a
    negation scope (once per term, in the order first found)."""
    out: tuple[dict[tuple[str, str], int], ...] = ({}, {}, {})
    get = index.get
    pairs = ((False, stemmed), (True, raw))
    for i in range(len(stemmed)):
        if neg[i]:
            continue
        for as_written, seq in pairs:
            entries = get((as_written, seq[i]))
            if not entries:
                continue
            for rest, name, weight, kind in entries:
                if seq[i + 1 : i + 1 + len(rest)] == rest:
                    out[kind][(" ".join(seq[i : i + 1 + len(rest)]), name)] = weight
    return tuple([(term, name, weight) for (term, name), weight in found.items()] for found in out)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules saw in a post (everything `decide` needs besides the model)."""

    rules: dict[str, float]
    not_case: dict[str, int]
    help: bool
    flags: frozenset[str]
    matched: tuple[str, ...]
    urgent: bool
    cue_names: tuple[str, ...]


def evidence(text: str, scope: str | None = None) -> Evidence:
    """`scope`: the team's kab/kota; a post about somewhere else is news, not a case here."""
    index = _compiled()
    raw, stemmed, denied = analyse(text)
    neg = [n and w in cue_rules.DENIABLE_WORDS for w, n in zip(raw, denied, strict=True)]
    cues = cue_rules.analyse(text)
    scores: dict[str, float] = defaultdict(float)
    matched: list[str] = []
    in_categories, in_flags, in_urgent = _matches(index, stemmed, raw, neg)
    for term, code, weight in in_categories:
        scores[code] += weight
        matched.append(term)
    for code, weight in cues.category.items():
        scores[code] += weight
    flags = {flag for _, flag, _ in in_flags} | cues.flags
    urgent = bool(in_urgent)
    not_case, names = cues.not_case, cues.names
    if scope and elsewhere(text, scope):
        # a dateline ("Brebes: ...") says so more plainly than a "di Surabaya" inside the post
        strength = 3 if datelined_elsewhere(text, scope) else 2
        not_case = {**not_case, "BERITA": max(not_case.get("BERITA", 0), strength)}
        names = (*names, "elsewhere" if strength == 2 else "dateline")
    return Evidence(dict(scores), not_case, cues.help, frozenset(flags), tuple(matched), urgent, names)


def decide(
    probs: dict[str, float] | None, ev: Evidence, params: Params = PARAMS
) -> tuple[str, str | None, float, dict[str, float]]:
    """(category or "none", reason when none, confidence, scores per label)."""
    scores: dict[str, float] = {}
    if probs is None:
        top = max(ev.rules.items(), key=lambda kv: (kv[1], kv[0]), default=(UNKNOWN, 0.0))
        nc = max(ev.not_case.items(), key=lambda kv: (kv[1], kv[0]), default=("LAIN", 0))
        if (nc[1] >= 3 and not ev.help) or top[1] < params.min_rule:
            return NONE, nc[0], 0.5, dict(ev.rules)
        return top[0], None, round(min(1.0, top[1] / RULE_CAP), 2), dict(ev.rules)
    none_p = 0.0
    reasons: dict[str, float] = defaultdict(float)
    for label, p in probs.items():
        if label.startswith(NONE):
            none_p += p
            reasons[label.partition(":")[2]] += p
        else:
            scores[label] = p + params.rules * min(ev.rules.get(label, 0.0), RULE_CAP) / RULE_CAP
    for code, s in ev.rules.items():
        if code not in scores and code in CATEGORIES:
            scores[code] = params.rules * min(s, RULE_CAP) / RULE_CAP
    for code, w in ev.not_case.items():
        reasons[code] += w / 3
    # Two different signs of a non-case ("gila" in a sentence about prices) add up, to at most one strong one.
    signs = [*sorted(ev.not_case.values(), reverse=True), 0, 0]
    strength = min(3.0, signs[0] + 0.5 * signs[1])
    scores[NONE] = none_p + params.not_case * strength / 3 - (params.help if ev.help else 0.0)
    label = max(scores, key=lambda k: (scores[k], k))
    if (
        label == NONE
        and "odgj:signs" in ev.cue_names
        and "child" not in ev.flags
        and max(ev.not_case.values(), default=0) < 3
        and scores.get("ODGJ", 0) >= scores[NONE] - params.mind_signs
    ):
        label = "ODGJ"  # two families of a disturbed mind's signs and no strong sign of a non-case
    if label != NONE:
        if not ev.rules.get(label) and probs.get(label, 0.0) < params.unsupported:
            # A case, by the model's guess, but no rule names that kind: the best kind a rule names, if any.
            named = [c for c in scores if c != NONE and ev.rules.get(c)]
            label = max(named, key=lambda c: (scores[c], c)) if named else UNKNOWN
        if label not in (NONE, UNKNOWN):
            label = _outranked(label, ev, scores, params)
    total = sum(max(v, 0.0) for v in scores.values()) or 1.0
    confidence = round(max(scores.get(label, 0.0), 0.0) / total, 2) if label != UNKNOWN else 0.0
    reason = max(reasons, key=lambda r: (reasons[r], r)) if label == NONE else None
    return label, reason, confidence, {k: round(v, 3) for k, v in scores.items() if v > 0.01}


def _outranked(label: str, ev: Evidence, scores: dict[str, float], params: Params) -> str:
    for _ in range(3):  # JENAZAH over ABT over AT: follow the chain
        better = [
            c
            for c, beaten in OUTRANKS.items()
            if label in beaten
            and ev.rules.get(c, 0) >= 3
            and scores.get(c, 0) >= scores[label] - params.outrank
            # a maid or a grown parent beaten (KTK's adult-victim patterns, >= 3): "anak" is who did it
            and not (
                c == "AKTK" and label == "KTK" and ev.rules.get("KTK", 0) >= 3 and "young" not in ev.flags
            )
        ]
        if not better:
            break
        label = max(better, key=lambda c: (scores[c], c))
    if (
        label in CARER_GONE_BEATS
        and "at:carer" in ev.cue_names
        and ev.rules.get("AT", 0) >= 3
        and scores.get("AT", 0) >= scores[label] - params.carer_gone
        and not (label == "AJ" and "aj:work" in ev.cue_names)
        and not (label == "ABH" and ev.rules.get("ABH", 0) >= 3)
    ):
        # a child whose carers are abroad, in prison, gone or dead: the child's case, even sleeping out (not
        # earning on the street), with a grandmother too old to cope, or next to the migrant parent's words
        label = "AT"
    if (
        label in MIND_BEATS
        and "child" not in ev.flags
        and ev.rules.get("ODGJ", 0) >= 3
        and any(n.startswith("cat:ODGJ:") for n in ev.cue_names)
        and scores.get("ODGJ", 0) >= scores[label] - params.mind_signs
    ):
        label = "ODGJ"  # the signs of a disturbed mind, sleeping rough or lost: the mind first
    if (
        "odgj:signs" in ev.cue_names
        and "child" not in ev.flags
        and label in MIND_BEATS
        and ev.rules.get(label, 0) < 3
    ) or (
        label == "PASUNG"
        and "shackled" not in ev.flags
        and ev.rules.get("PASUNG", 0) < 3
        and any(n.startswith("odgj:") for n in ev.cue_names)
    ):
        # two families of signs (delusion, relapse, raging, self-talk, unreachable, neglect): the mind, over
        # a weak reading of sleeping rough or lost, or of restraint without a word for it (session 14)
        label = "ODGJ"
    if label == "OT" and "child" in ev.flags:
        label = "AT"  # a lost or stranded child is a neglected child
    if (
        label == "ABT"
        and "age:school" in ev.cue_names
        and not ev.rules.get("ABT")
        and ev.rules.get("AT", 0) >= 3
    ):
        label = "AT"  # a child of five or more, no baby word: a lost or left child is a neglected child
    return label


def suggest(
    text: str,
    *,
    region_scope: str | None = None,
    place_name: str | None = None,
    model: Model | None = None,
) -> Suggestion:
    """`region_scope`: the team's kab/kota, whose kecamatan and kelurahan names are looked for."""
    ev = evidence(text, region_scope)
    model = model or shipped()
    probs = model.probabilities_of(text, ev.cue_names) if model else None
    label, reason, confidence, scores = decide(probs, ev, PARAMS)
    category = UNKNOWN if label == NONE else label
    flags = set(ev.flags)
    if category in IMPLIED_FLAGS:
        flags.add(IMPLIED_FLAGS[category])
    if category in CHILD or "young" in flags:
        flags.add("child")
    else:
        flags.discard("child")  # "anaknya", "warga dan anak-anak": someone else's child
    flags.discard("young")
    if category in VICTIMS:
        flags.discard("agitated")  # who hit the child is not the subject; a shackled man "used to rage"
    if category != "JENAZAH":
        flags.discard("deceased")  # "hampir mati kelaparan" is not a body
    if category != "PASUNG":
        flags.discard("shackled")
    if category == "JENAZAH":
        flags -= {"agitated", "sick", "alone"}
    region, place = find_place(text, region_scope, place_name) if region_scope else (None, None)
    hint = None
    if label != NONE:
        cat = CATEGORIES.get(category, CATEGORIES[UNKNOWN])
        hint = default_priority(
            category_priority=cat.default_priority, category=cat.code, flags=flags, approx_age=None
        ).priority
    return Suggestion(
        category=category,
        confidence=confidence,
        flags=tuple(sorted(flags)),
        urgent=label != NONE and (ev.urgent or "agitated" in flags),
        region_code=region,
        place=place,
        matched=ev.matched,
        scores=scores,
        not_case=reason,
        not_case_text=REASONS.get(reason) if reason else None,
        priority=hint,
    )


def warm_up() -> None:
    """Loads the stemmer's dictionary, the model and the patterns at start-up instead of on a request."""
    suggest("ODGJ ngamuk di simpang Jodoh", region_scope="21.71")


__all__ = ["NONE", "Suggestion", "decide", "evidence", "find_place", "suggest", "warm_up"]
