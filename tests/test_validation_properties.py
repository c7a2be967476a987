"""Property tests of the validators (hypothesis): whatever comes in, either a clean value or a clear error."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app import identity
from app.schemas.reports import LocationIn, ReportCreate


@given(st.text(alphabet=string.digits + " +-().", max_size=24))
@settings(max_examples=400, deadline=None)
def test_phone_is_e164_or_refused(raw: str) -> None:
    try:
        e164 = identity.normalize_phone(raw)
    except ValueError:
        return
    assert e164.startswith("+") and e164[1:].isdigit() and 8 <= len(e164) <= 16


@given(st.integers(min_value=811, max_value=899), st.integers(min_value=1_000_000, max_value=99_999_999))
@settings(max_examples=200, deadline=None)
def test_indonesian_mobile_written_any_way_is_one_number(prefix: int, rest: int) -> None:
    national = f"0{prefix}{rest}"
    try:
        canonical = identity.normalize_phone(national)
    except ValueError:
        return
    for writing in (f"62{prefix}{rest}", f"+62 {prefix} {rest}", f"0{prefix}-{rest}"):
        assert identity.normalize_phone(writing) == canonical


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=300, deadline=None)
def test_coordinates_inside_indonesia_or_refused(lat: float, lon: float) -> None:
    try:
        loc = LocationIn(lat=lat, lon=lon, region_code="21.71")
    except ValidationError:
        return
    assert loc.lat is not None and loc.lon is not None
    assert -11.2 <= loc.lat <= 6.3 and 94.7 <= loc.lon <= 141.1


@given(
    st.dictionaries(
        st.text(max_size=12), st.one_of(st.none(), st.integers(), st.text(max_size=20)), max_size=6
    )
)
@settings(max_examples=300, deadline=None)
def test_arbitrary_objects_never_crash_validation(junk: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ReportCreate.model_validate(junk)


def test_masks_keep_only_what_recognises() -> None:
    assert identity.mask_phone("+6281234567890") == "+62812****7890"
    assert identity.mask_nik("3171234567890001") == "3171********0001"
    assert identity.mask_name("Siti Aminah") == "S*** A*****"


def test_a_patch_refuses_null_where_a_field_cannot_be_cleared() -> None:
    # Found by the fuzzer: `{"name": null}` on a vehicle was written as it is and the answer was a 500.
    from app.schemas.crews import VehiclePatch

    with pytest.raises(ValidationError, match="name: tidak boleh null"):
        VehiclePatch.model_validate({"name": None})
    assert VehiclePatch.model_validate({"plate": None}).model_fields_set == {"plate"}
    schema = VehiclePatch.model_json_schema()["properties"]
    assert "anyOf" not in schema["name"] and {"type": "null"} in schema["plate"]["anyOf"]
