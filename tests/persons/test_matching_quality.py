"""Matching quality on the labelled records (see tests/persons/quality.py): the figures are printed (run with
-s) and must stay at least what the current matcher reaches; a change that loses ground fails here."""

from __future__ import annotations

from tests.persons import quality


def test_precision_and_recall_of_proposed_links() -> None:
    res = quality.evaluate()
    f = res.figures()
    print(f"\n{res.queries} reports ({res.with_true} of people already known, {res.new} new):")
    for name, value in f.items():
        print(f"  {name:18s} {value:.3f}")
    assert res.queries >= 200 and res.with_true >= 80
    # Every proposal shown (up to 5 per report, from PROPOSE up): the operator finds the right person there.
    assert f["recall"] >= 0.85
    assert f["precision"] >= 0.33
    assert f["top1_precision"] >= 0.6
    # "kuat" proposals: almost always right.
    assert f["strong_precision"] >= 0.92
    assert f["strong_recall"] >= 0.45
    # A new person is seldom shown someone else.
    assert f["new_with_proposal"] <= 0.32


def test_a_nik_settles_it_and_a_contradiction_weighs() -> None:
    from app.persons import match

    same = match.Seen(names=("Joko",), nik="2171060103880007", sex="male")
    assert match.score(same, match.Seen(names=("Budi",), nik="2171060103880007")).score == 1.0
    other_sex = match.score(
        match.Seen(names=("Joko Susilo",), sex="male"), match.Seen(names=("Joko Susilo",), sex="female")
    )
    assert other_sex.score < match.PROPOSE and "jenis kelamin berbeda" in other_sex.reasons
    other_nik = match.score(
        match.Seen(names=("Joko Susilo",), nik="2171060103880007"),
        match.Seen(names=("Joko Susilo",), nik="2171060103880008"),
    )
    assert other_nik.score <= 0.3 and "NIK berbeda" in other_nik.reasons
