"""Cheap gates before regular expressions: for a pattern, a set of literal strings one of which every match
must contain, derived from the parsed pattern itself (so a gate can never skip a pattern that would match:
no list to keep in step by hand). `search(alternatives, text)` searches only the alternatives whose gate
passes; "any alternative matches" is what the joined pattern `a|b|...` answered, so results are unchanged."""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_MAX = 64  # at most this many strings in a gate (products of alternatives grow fast)

# A node's literal reading: the set of strings it matches when it is literal through and through, else None.
Strings = frozenset[str] | None


def _whole(items: Any) -> Strings:
    """The strings a sequence matches when every item is literal, else None."""
    out: frozenset[str] = frozenset({""})
    for op, av in items:
        part = _literal(op, av)
        if part is None:
            return None
        out = frozenset(a + b for a in out for b in part)
        if len(out) > _MAX:
            return None
    return out


def _literal(op: Any, av: Any) -> Strings:
    if op is _c.LITERAL:
        return frozenset({chr(av)})
    if op is _c.IN:
        if all(o is _c.LITERAL for o, _ in av):
            return frozenset(chr(v) for _, v in av)
        return None
    if op is _c.SUBPATTERN:
        return _whole(av[3])
    if op is _c.BRANCH:
        acc: set[str] = set()
        for alt in av[1]:
            s = _whole(alt)
            if s is None:
                return None
            acc |= s
        return frozenset(acc) if len(acc) <= _MAX else None
    return None


def _best(clauses: list[frozenset[str]]) -> frozenset[str] | None:
    """The most telling clause: its shortest string the longest, then the fewest strings."""
    usable = [c for c in clauses if c and "" not in c]
    return max(usable, key=lambda c: (min(map(len, c)), -len(c))) if usable else None


def _clauses(items: Any) -> list[frozenset[str]]:
    """Sets of strings, each of which some string of must occur in any match of the sequence."""
    out: list[frozenset[str]] = []
    run: frozenset[str] = frozenset({""})

    def close() -> None:
        nonlocal run
        if run != frozenset({""}):
            out.append(run)
        run = frozenset({""})

    for op, av in items:
        part = _literal(op, av)
        if part is not None:
            product = frozenset(a + b for a in run for b in part)
            if len(product) <= _MAX:
                run = product
                continue
            close()
            run = part
            continue
        close()
        if op is _c.SUBPATTERN:
            out.extend(_clauses(av[3]))
        elif op is _c.BRANCH:
            acc: set[str] = set()
            for alt in av[1]:
                best = _best(_clauses(alt))
                if best is None:
                    break
                acc |= best
            else:
                out.append(frozenset(acc))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            out.extend(_clauses(av[2]))
        elif op is _c.ASSERT:  # a lookahead or lookbehind that must hold: its text is in the string too
            out.extend(_clauses(av[1]))
        elif op is _c.ATOMIC_GROUP:
            out.extend(_clauses(av))
    close()
    return out


def needles(pattern: str) -> tuple[str, ...] | None:
    """Strings one of which every match of `pattern` contains, or None when no such set was found."""
    best = _best(_clauses(_parser.parse(pattern)))
    return tuple(sorted(best)) if best is not None else None


# Letters common in Indonesian: a gate keys a needle by the slice of it least made of them.
_COMMON = frozenset("aeinrkt ")


def _key(needle: str) -> str:
    """The four letters of `needle` (three for a word of three) most likely to be absent from a post: they are
    in the post when `needle` is."""
    return _keys(needle)[0]


def _keys(needle: str) -> tuple[str, str]:
    """`_key`, and a second slice of `needle` (another one where it has another, else the same): both are in
    a post's `slices` when `needle` is in the post."""
    n = min(4, len(needle))
    grams = [needle[k : k + n] for k in range(len(needle) - n + 1)]
    first = min(grams, key=lambda g: sum(c in _COMMON for c in g))
    others = [g for g in grams if g != first]
    # the least common of the others, the farthest from the first on a tie (it overlaps it least)
    at = needle.index(first)
    second = min(
        others, key=lambda g: (sum(c in _COMMON for c in g), -abs(needle.index(g) - at)), default=first
    )
    return first, second


# (the slices one of which a match needs, or None; the needles, or None; the pattern)
Gated = tuple[tuple[frozenset[str] | None, tuple[str, ...] | None, re.Pattern[str]], ...]


def gated(patterns: list[str]) -> Gated:
    """Each alternative compiled on its own beside its gate."""
    out = []
    for p in patterns:
        need = needles(p)
        keys = frozenset(map(_key, need)) if need and min(map(len, need)) >= 3 else None
        out.append((keys, need, re.compile(p)))
    return tuple(out)


def slices(text: str) -> frozenset[str]:
    """The text's slices of three and of four characters (what `_key` picks from a needle)."""
    return frozenset(
        [text[k : k + 3] for k in range(len(text) - 2)] + [text[k : k + 4] for k in range(len(text) - 3)]
    )


def search(alternatives: Gated, text: str, grams: frozenset[str]) -> bool:
    """Whether any alternative matches `text` (as `re.search("a|b|...", text)` would say); `grams` are the
    text's `slices`."""
    for keys, need, pat in alternatives:
        if keys is not None and keys.isdisjoint(grams):
            continue
        if need is not None and not any(n in text for n in need):
            continue
        if pat.search(text):
            return True
    return False


class Table:
    """Many groups of gated alternatives (`gated`), answered together for one text: which groups have an
    alternative that matches, as `search` would say for each. The slices of the text are intersected once with
    the keys of every alternative (instead of once per alternative), two keys of a needle asked for instead of
    one; the alternatives that pass are searched at once (their needles are not looked for first: most of them
    are in the text by then, and the search is what answers)."""

    __slots__ = ("_always", "_flat", "_key_alts", "_keys", "size")

    def __init__(self, groups: list[Gated]) -> None:
        # a needle's first key -> (alternative, its second key): an alternative is a candidate when both keys
        # of one of its needles are slices of the text (as `search` asks for one key of one needle)
        # a pattern in several groups (the same text) is one alternative, searched once for all of them
        key_alts: dict[str, list[tuple[int, str]]] = {}
        always: list[int] = []
        flat: list[tuple[list[int], re.Pattern[str]]] = []
        seen: dict[re.Pattern[str], int] = {}
        for gi, alternatives in enumerate(groups):
            for keys, need, pat in alternatives:
                if pat in seen:
                    flat[seen[pat]][0].append(gi)
                    continue
                ai = seen[pat] = len(flat)
                flat.append(([gi], pat))
                if keys is None or need is None:
                    always.append(ai)
                else:
                    for n in need:
                        first, second = _keys(n)
                        key_alts.setdefault(first, []).append((ai, second))
        self._keys = frozenset(key_alts)
        self._key_alts = {k: tuple(v) for k, v in key_alts.items()}
        self._always = tuple(always)
        self._flat = tuple((tuple(gis), pat) for gis, pat in flat)
        self.size = len(groups)

    def matches(self, text: str, grams: frozenset[str]) -> list[bool]:
        """For each group, whether any of its alternatives matches `text` (`grams`: the text's `slices`)."""
        found = [False] * self.size
        candidates = set(self._always)
        key_alts = self._key_alts
        for k in self._keys.intersection(grams):
            candidates.update(ai for ai, second in key_alts[k] if second in grams)
        flat = self._flat
        for ai in candidates:  # in any order: a group's answer is whether any of its alternatives matches
            gis, pat = flat[ai]
            if not all(found[gi] for gi in gis) and pat.search(text):
                for gi in gis:
                    found[gi] = True
        return found
