"""Persons (klien), the subjects of an incident, match proposals and links, merges and splits."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import HTMLResponse

from app.api.deps import CurrentPrincipal, SessionDep
from app.reporting import person_page
from app.schemas.common import problem_responses
from app.schemas.person_export import PersonExport
from app.schemas.persons import (
    LinkIn,
    LinkOut,
    MatchesOut,
    MergeIn,
    MergeOut,
    OutcomeIn,
    PersonCreate,
    PersonDetail,
    PersonFields,
    PersonOut,
    PersonPatch,
    ProposalOut,
    ProposalRejectIn,
    RejectIn,
    SplitIn,
    SubjectOut,
    SubjectsIn,
    UnlinkIn,
)
from app.services.persons import dossier, links, merges, proposals, records, subjects

router = APIRouter(tags=["persons"])
_errors = problem_responses(401, 403, 404, 409, 415, 422)
Ordinal = Annotated[int, Path(ge=1, le=100, description="the subject's number in the incident, from 1")]
Reveal = Annotated[
    bool, Query(description="NIK, KK and family phones in full (operators, supervisors, admins; audited)")
]


@router.post("/persons", status_code=201, response_model=PersonOut, responses=_errors)
async def create_person(body: PersonCreate, principal: CurrentPrincipal, session: SessionDep) -> PersonOut:
    """A new person record (klien), held by the caller's kab/kota unless `region_code` names another."""
    person = await records.create(session, principal, body, region_code=None)
    return records.render(person, reveal=False)


@router.get("/persons/{person_id}", response_model=PersonDetail, responses=_errors)
async def get_person(
    person_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, reveal: Reveal = False
) -> PersonDetail:
    """A person with his history: the incidents he was a subject of, merges, and his current and past
    placements. Every read is audited."""
    return await dossier.detail(session, principal, person_id, reveal=reveal)


@router.get(
    "/persons/{person_id}/export",
    response_model=PersonExport,
    responses={200: {"content": {"text/html": {}}}, **_errors},
)
async def export_person(
    person_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    format: Annotated[
        Literal["json", "html"] | None,
        Query(description="json, or html: a printable page in Indonesian (default: by the Accept header)"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> PersonExport | HTMLResponse:
    """Subject access (UU PDP): everything held on one person, NIK and KK unmasked: the record, family
    contacts, incidents with his subject rows and outcomes, assessments (every version), placements,
    family tracing, handovers and repatriations (the family members' phone and NIK masked: theirs, not
    his), links, merges, corrections, and who read his data. For those who handle persons in his kab/kota;
    audited as an export with the purpose "akses subjek data"."""
    doc = await dossier.export(session, principal, person_id)
    html = format == "html" or (format is None and "text/html" in (accept or ""))
    if not html:
        return doc
    return HTMLResponse(person_page.render(doc), headers={"Content-Security-Policy": person_page.CSP})


@router.patch("/persons/{person_id}", response_model=PersonOut, responses=_errors)
async def correct_person(
    person_id: uuid.UUID, body: PersonPatch, principal: CurrentPrincipal, session: SessionDep
) -> PersonOut:
    """Correct a record (the fields sent; null clears one), with a reason that goes to the audit trail."""
    return records.render(await records.correct(session, principal, person_id, body), reveal=False)


@router.post("/persons/{person_id}/merge", response_model=MergeOut, responses=_errors)
async def merge_persons(
    person_id: uuid.UUID, body: MergeIn, principal: CurrentPrincipal, session: SessionDep
) -> MergeOut:
    """Merge another record of the same person (`absorbed_id`) into this one; reversible with /split."""
    return MergeOut.model_validate(
        await merges.merge(session, principal, person_id, body.absorbed_id, body.reason)
    )


@router.post("/persons/{person_id}/split", response_model=MergeOut, responses=_errors)
async def split_persons(
    person_id: uuid.UUID, body: SplitIn, principal: CurrentPrincipal, session: SessionDep
) -> MergeOut:
    """Undo the merge of `absorbed_id` into this record: its links and fields go back."""
    return MergeOut.model_validate(
        await merges.split(session, principal, person_id, body.absorbed_id, body.reason)
    )


@router.get("/incidents/{incident_id}/subjects", response_model=list[SubjectOut], responses=_errors)
async def list_subjects(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[SubjectOut]:
    """The humans of an incident, numbered from 1 (the crew working it sees them masked)."""
    return await subjects.listing(session, principal, incident_id)


@router.post(
    "/incidents/{incident_id}/subjects", status_code=201, response_model=list[SubjectOut], responses=_errors
)
async def add_subjects(
    incident_id: uuid.UUID, body: SubjectsIn, principal: CurrentPrincipal, session: SessionDep
) -> list[SubjectOut]:
    """Add subjects: given, or read from one of the incident's reports (a raid's six children: six)."""
    made = await subjects.add(session, principal, incident_id, body)
    return [subjects.render(s, reveal=True) for s in made]


@router.get(
    "/incidents/{incident_id}/subjects/{ordinal}/matches", response_model=MatchesOut, responses=_errors
)
async def subject_matches(
    incident_id: uuid.UUID, ordinal: Ordinal, principal: CurrentPrincipal, session: SessionDep
) -> MatchesOut:
    """Likely existing persons for this subject, best first, with a score and its reasons in Indonesian."""
    return await links.propose(session, principal, incident_id, ordinal)


@router.get("/incidents/{incident_id}/proposals", response_model=list[ProposalOut], responses=_errors)
async def incident_proposals(
    incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[ProposalOut]:
    """Likely existing persons proposed when the incident's reports arrived (the event
    `subject.matches_proposed` says when), best first, with the score, its reasons, the person's history and
    the operator's answer. Persons masked; each read audited."""
    return await proposals.for_incident(session, principal, incident_id)


@router.post(
    "/incidents/{incident_id}/proposals/{proposal_id}/confirm", response_model=SubjectOut, responses=_errors
)
async def confirm_proposal(
    incident_id: uuid.UUID, proposal_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> SubjectOut:
    """The report's subject is this person: linked (the subject is made from the report if it has none)."""
    subject = await proposals.answer(session, principal, incident_id, proposal_id, confirm=True)
    return subjects.render(subject, reveal=False)


@router.post(
    "/incidents/{incident_id}/proposals/{proposal_id}/reject", response_model=SubjectOut, responses=_errors
)
async def reject_proposal(
    incident_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ProposalRejectIn,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> SubjectOut:
    """Not this person: kept as the subject's rejection (the subject is made from the report if needed)."""
    subject = await proposals.answer(
        session, principal, incident_id, proposal_id, confirm=False, reason=body.reason
    )
    return subjects.render(subject, reveal=False)


@router.post("/incidents/{incident_id}/subjects/{ordinal}/link", response_model=LinkOut, responses=_errors)
async def link_subject(
    incident_id: uuid.UUID, ordinal: Ordinal, body: LinkIn, principal: CurrentPrincipal, session: SessionDep
) -> LinkOut:
    """Confirm that the subject is this person (a proposal, or one found otherwise)."""
    return links.render_link(await links.confirm(session, principal, incident_id, ordinal, body.person_id))


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/person",
    status_code=201,
    response_model=LinkOut,
    responses=_errors,
)
async def new_person_for_subject(
    incident_id: uuid.UUID,
    ordinal: Ordinal,
    body: PersonFields,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> LinkOut:
    """A new person record from what the reports said of the subject (the body adds or corrects), linked."""
    _, link = await links.create_person(session, principal, incident_id, ordinal, body)
    return links.render_link(link)


@router.post("/incidents/{incident_id}/subjects/{ordinal}/reject", status_code=204, responses=_errors)
async def reject_match(
    incident_id: uuid.UUID, ordinal: Ordinal, body: RejectIn, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Not this person: the proposal is not made again for this subject."""
    await links.reject(session, principal, incident_id, ordinal, body.person_id, body.reason)


@router.post("/incidents/{incident_id}/subjects/{ordinal}/unlink", response_model=LinkOut, responses=_errors)
async def unlink_subject(
    incident_id: uuid.UUID, ordinal: Ordinal, body: UnlinkIn, principal: CurrentPrincipal, session: SessionDep
) -> LinkOut:
    """Undo the subject's link (kept in the history, stamped with who, when and why)."""
    return links.render_link(await links.unlink(session, principal, incident_id, ordinal, body.reason))


@router.post(
    "/incidents/{incident_id}/subjects/{ordinal}/outcome", response_model=SubjectOut, responses=_errors
)
async def record_outcome(
    incident_id: uuid.UUID,
    ordinal: Ordinal,
    body: OutcomeIn,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> SubjectOut:
    """How this person's path ended (reunified, shelter, panti, RSJ, hospital, enrolled, ...). The last
    subject to get one closes a resolved incident: its 4CT *tuntas* stage is stamped then. Closing by hand
    while a subject has none is a 409 naming them."""
    subject = await subjects.record_outcome(session, principal, incident_id, ordinal, body)
    return subjects.render(subject, reveal=False)
