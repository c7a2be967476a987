from __future__ import annotations

import uuid

import pytest

from app.live.topics import Subscription, Topic, TopicError, parse


def test_parse() -> None:
    assert parse("region:21.71") == Topic("region", "21.71")
    assert parse("mine") == Topic("mine")
    iid = uuid.uuid4()
    assert parse(f"incident:{iid}") == Topic("incident", str(iid))
    for bad in ("region:2171", "incident:nope", "crew", "everything", "region:"):
        with pytest.raises(TopicError):
            parse(bad)


def test_matching() -> None:
    me, other, iid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    sub = Subscription(me, ("21.71",), frozenset({str(iid)}), mine=True)
    assert sub.matches({"region_code": "21.71.06.1003", "actor_id": other, "incident_id": None})
    assert sub.matches({"region_code": "21.71", "actor_id": other, "incident_id": None})
    assert not sub.matches({"region_code": "21.72.01", "actor_id": other, "incident_id": None})
    assert not sub.matches({"region_code": "35.09.19.1006", "actor_id": other, "incident_id": None})
    assert sub.matches({"region_code": "35.09", "actor_id": me, "incident_id": None})
    assert sub.matches({"region_code": "35.09", "actor_id": other, "incident_id": iid})
    assert not Subscription(me, (), frozenset(), mine=False).matches({"region_code": "21.71", "actor_id": me})
