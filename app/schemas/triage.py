"""The triage's suggestion for a post or a report's description (app/triage/), as the operator sees it."""

from __future__ import annotations

from pydantic import Field

from app.schemas.common import Strict


class SuggestionOut(Strict):
    category: str = Field(description='a category code, or "unknown"')
    confidence: float
    flags: list[str]
    urgent: bool
    region_code: str | None
    place: str | None
    matched: list[str]
    scores: dict[str, float]
    not_case: str | None = Field(
        default=None,
        description="why not a case: KIASAN, BERITA, IKLAN, TANYA, OPINI, SUDAH_DITANGANI, NEGASI, LAIN",
    )
    not_case_text: str | None = Field(default=None, description="the reason, in Indonesian")
    priority: int | None = Field(default=None, description="the priority the rules give what it reads (hint)")
