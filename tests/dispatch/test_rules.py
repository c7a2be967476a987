"""The pure rules: no database, no HTTP."""

from __future__ import annotations

import pytest

from app.dispatch import lifecycle
from app.dispatch.lifecycle import Stage, Status
from app.dispatch.priority import FLAGS, default_priority
from app.reference.categories import CATEGORIES


def p(category: str, flags: list[str] = [], age: int | None = None) -> int:  # noqa: B006
    return default_priority(
        category_priority=CATEGORIES[category].default_priority,
        category=category,
        flags=flags,
        approx_age=age,
    ).priority


@pytest.mark.parametrize(
    ("category", "flags", "age", "expected"),
    [
        ("ODGJ", [], 35, 2),
        ("ODGJ", ["agitated"], 35, 1),
        ("GEL", [], 40, 3),
        ("GEL", ["injured"], 40, 1),
        ("AJ", [], 3, 1),
        ("AJ", [], 12, 2),
        ("unknown", ["child"], None, 2),
        ("PENG", [], 70, 2),
        ("PENG", ["elderly"], None, 2),
        ("PD", ["shackled"], 30, 2),
        ("PASUNG", [], 30, 2),
        ("JENAZAH", ["deceased"], None, 2),
        ("JENAZAH", ["deceased", "injured", "agitated"], None, 2),
        ("KTK", [], 25, 1),
        ("FM", [], 50, 4),
        ("ABT", [], 2, 1),
    ],
)
def test_priority_rules(category: str, flags: list[str], age: int | None, expected: int) -> None:
    assert p(category, flags, age) == expected


def test_flags_only_raise_priority() -> None:
    for code in CATEGORIES:
        base = p(code)
        for flag in FLAGS:
            if flag != "deceased":
                assert p(code, [flag]) <= base, (code, flag)


def test_reasons_explain_the_result() -> None:
    d = default_priority(category_priority=2, category="ODGJ", flags=["agitated"], approx_age=30)
    assert d.reasons == ("category ODGJ: P2", "subject agitated or violent: P1")


def test_every_category_has_a_valid_default() -> None:
    assert all(1 <= c.default_priority <= 4 for c in CATEGORIES.values())
    assert {"ODGJ", "OT", "PASUNG", "JENAZAH", "PENGAMEN", "unknown"} <= set(CATEGORIES)
    assert (
        len(
            [
                c
                for c in CATEGORIES.values()
                if c.parent is None
                and c.code not in {"ODGJ", "OT", "PASUNG", "JENAZAH", "PENGAMEN", "unknown"}
            ]
        )
        == 26
    )


def test_lifecycle_graph() -> None:
    # Every state is reachable from received, and closed/cancelled are terminal.
    reachable = {Status.received}
    frontier = [Status.received]
    while frontier:
        for nxt in lifecycle.TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(Status)
    assert lifecycle.TRANSITIONS[Status.closed] == frozenset()
    assert not lifecycle.can_transition(Status.received, Status.on_scene)
    assert lifecycle.can_transition(Status.on_scene, Status.resolved)


def test_4ct_stages() -> None:
    assert lifecycle.stages_reached(Status.verified) == []
    assert lifecycle.stages_reached(Status.on_scene) == [Stage.temu]
    assert lifecycle.stages_reached(Status.resolved) == [Stage.temu, Stage.tanggap, Stage.tindak]
    assert lifecycle.stages_reached(Status.closed)[-1] == Stage.tuntas


def test_shifts_in_the_teams_zone() -> None:
    from datetime import UTC, date, datetime

    from app.dispatch.shifts import THREE_EIGHTS, TWO_TWELVES, current, shifts_on

    wib = shifts_on(date(2026, 11, 22), THREE_EIGHTS, "Asia/Jakarta")
    assert [(w.name, w.starts_at.hour) for w in wib] == [("Pagi", 0), ("Siang", 8), ("Malam", 16)]
    wita = shifts_on(date(2026, 11, 22), THREE_EIGHTS, "Asia/Makassar")
    assert wita[0].starts_at == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    # 02:00 WIB on the 23rd is still the night shift of the 22nd.
    night = current(datetime(2026, 11, 22, 19, 0, tzinfo=UTC), THREE_EIGHTS, "Asia/Jakarta")
    assert (night.name, night.day) == ("Malam", date(2026, 11, 22))
    assert current(datetime(2026, 11, 22, 1, 0, tzinfo=UTC), TWO_TWELVES, "Asia/Jayapura").name == "Siang"
