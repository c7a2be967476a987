"""The pure rules: NIK parts, Indonesian name keys."""

from __future__ import annotations

from datetime import date

import pytest

from app.persons import names
from app.persons.nik import check_kk, parse_nik

TODAY = date(2026, 11, 29)


def test_nik_gives_region_birth_date_and_sex() -> None:
    man = parse_nik("2171060103880007", today=TODAY)
    assert (man.region, man.birth_date, man.sex) == ("217106", date(1988, 3, 1), "male")
    woman = parse_nik("3509014505450003", today=TODAY)
    assert (woman.birth_date, woman.sex) == (date(1945, 5, 5), "female")
    # Born this century: the century is the one not in the future.
    assert parse_nik("2171061208150001", today=TODAY).birth_date == date(2015, 8, 12)
    # An old or unknown region prefix is not refused.
    assert parse_nik("9999990101900001", today=TODAY).region == "999999"


@pytest.mark.parametrize(
    "bad",
    [
        "217106010388000",  # 15 digits
        "21710601038800071",  # 17
        "2171O60103880007",  # a letter O
        "0071060103880007",  # province 00
        "2171063203880007",  # 32 March
        "2171067203880007",  # 72 - 40 = 32 March
        "2171060113880007",  # month 13
        "2171063002880007",  # 30 February
        "2171060103880000",  # serial 0000
    ],
)
def test_bad_niks_are_refused_in_indonesian(bad: str) -> None:
    with pytest.raises(ValueError, match="NIK"):
        parse_nik(bad, today=TODAY)


def test_kk_is_sixteen_digits() -> None:
    assert check_kk("2171060101090012") == "2171060101090012"
    with pytest.raises(ValueError):
        check_kk("12345")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Muhammad", "Mohamad"),
        ("Muhammad", "Muhamad"),
        ("Achmad", "Ahmad"),
        ("Rizki", "Risky"),
        ("Khairul", "Chairul"),
        ("Fatimah", "Fatima"),
        ("Sutrisno", "Soetrisno"),
        ("Zulkifli", "Sulkifli"),
    ],
)
def test_spellings_share_a_key(a: str, b: str) -> None:
    assert names.phonetic_name(a) == names.phonetic_name(b), (names.phonetic_name(a), names.phonetic_name(b))


def test_titles_are_not_the_name_and_every_word_is_a_key() -> None:
    assert names.normalize("Bpk. H. Achmad  Yani, S.Pd") == "achmad yani"
    assert names.keys(["Muhammad Rizki"]) == {"n:md", "n:rsk"}
    assert names.keys(["Andi bin Sulaiman"]) == {"n:and", "n:slmn"}
