"""Every code of the assessment form has an Indonesian label, and no code means two things."""

from __future__ import annotations

from app.facilities import assessment as a

VOCABULARIES = (
    a.Condition,
    a.PhysicalSign,
    a.MentalSign,
    a.Need,
    a.Risk,
    a.Consent,
    a.LegalBasis,
    a.AssessorRole,
    a.Place,
)


def test_every_code_has_one_label() -> None:
    codes = [str(v) for vocabulary in VOCABULARIES for v in vocabulary]
    assert len(codes) == len(set(codes)), "a code in two vocabularies would share one label"
    assert sorted(codes) == sorted(a.LABELS)
    assert all(a.LABELS[c] and a.LABELS[c] != c for c in codes)
