"""The pure parts: the receipt number, and the episodes read from a timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.dispatch.fourct import TARGET_MINUTES
from app.dispatch.lifecycle import Stage
from app.family.episodes import Step, reopened
from app.family.vocab import receipt_number

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_receipt_numbers_name_the_regency_and_day_and_differ() -> None:
    assert receipt_number("21.71", T0, entropy=0) == "BAST/21.71/20261130/000000"
    assert receipt_number("21.71", T0, entropy=(1 << 30) - 1) == "BAST/21.71/20261130/ZZZZZZ"
    drawn = {receipt_number("52.71", T0) for _ in range(2000)}
    assert len(drawn) > 1990 and all(len(n.rsplit("/", 1)[1]) == 6 for n in drawn)


def _changed(after: str, at: datetime, **more: str) -> Step:
    return Step("incident.status_changed", at, {"before": "x", "after": after, **more})


def test_each_reopening_is_an_episode_stamped_by_what_follows_it() -> None:
    steps = [
        _changed("resolved", T0),
        Step("incident.reopened", T0 + timedelta(hours=1), {"reason": "kabur", "episode": 2}, "t.sup"),
        _changed("resolved", T0 + timedelta(hours=2)),
        _changed("closed", T0 + timedelta(hours=3)),
        Step("incident.reopened", T0 + timedelta(days=30), {"reason": "lagi", "episode": 3}),
        # A crew step sent late carries when it happened (never before the episode began).
        _changed("resolved", T0 + timedelta(days=31), client_at=(T0 + timedelta(days=29)).isoformat()),
    ]
    second, third = reopened(steps, 1, TARGET_MINUTES)
    assert (second.number, second.reason, second.by) == (2, "kabur", "t.sup")
    assert second.stamps == {
        Stage.tanggap: T0 + timedelta(hours=1),
        Stage.tindak: T0 + timedelta(hours=2),
        Stage.tuntas: T0 + timedelta(hours=3),
    }
    # P1: tindak 240 min after the reopening; met in 60.
    assert second.deadlines[Stage.tindak] == T0 + timedelta(hours=5) and second.breached(T0) == []
    assert third.stamps[Stage.tindak] == third.started_at and Stage.tuntas not in third.stamps
    late = third.started_at + timedelta(days=2)
    assert third.breached(late) == ["tuntas"]
