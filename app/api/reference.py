"""Reference data: PPKS categories and Kemendagri regions (for the consoles' pickers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from app.errors import NotFound
from app.reference import regions
from app.reference.categories import CATEGORIES
from app.schemas.common import problem_responses

router = APIRouter(tags=["reference"])


class CategoryOut(BaseModel):
    code: str
    name_id: str
    name_en: str
    default_priority: int
    field_response: bool
    parent: str | None
    public: bool


class RegionOut(BaseModel):
    code: str
    name: str
    level: int
    type: str
    path: str
    timezone: str
    postal_code: str | None


@router.get("/categories", response_model=list[CategoryOut])
async def categories() -> list[CategoryOut]:
    return [CategoryOut.model_validate(c, from_attributes=True) for c in CATEGORIES.values()]


@router.get("/regions", response_model=list[RegionOut], responses=problem_responses(404, 422))
async def list_regions(
    parent: Annotated[str | None, Query(pattern=regions.CODE_PATTERN, description="children of")] = None,
) -> list[RegionOut]:
    """The children of `parent` (no parent: the provinces)."""
    if parent is not None and not regions.exists(parent):
        raise NotFound(f"region {parent} not found")
    return [RegionOut.model_validate(r, from_attributes=True) for r in regions.children(parent)]


@router.get("/regions/{code}", response_model=RegionOut, responses=problem_responses(404, 422))
async def get_region(code: Annotated[str, Path(pattern=regions.CODE_PATTERN)]) -> RegionOut:
    region = regions.get_region(code)
    if region is None:
        raise NotFound(f"region {code} not found")
    return RegionOut.model_validate(region, from_attributes=True)
