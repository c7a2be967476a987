"""Words for the console: statuses, flags, priorities and timeline events, marked for translation (N_) and
translated when a page is drawn."""

from __future__ import annotations

from app.console.i18n import N_

STATUS = {
    "received": N_("Received"),
    "verified": N_("Verified"),
    "dispatched": N_("Dispatched"),
    "en_route": N_("En route"),
    "on_scene": N_("On scene"),
    "handling": N_("Handling"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
}

PRIORITY = {1: N_("Emergency"), 2: N_("Urgent"), 3: N_("Normal"), 4: N_("Low")}

# The questions that decide priority, asked while taking a call (app/dispatch/priority.py reads the flags).
FLAGS = {
    "agitated": N_("Danger to self or others (raging, violent)"),
    "injured": N_("Injured"),
    "child": N_("A child"),
    "alone": N_("Alone, no one with them"),
    "elderly": N_("Elderly"),
    "sick": N_("Sick"),
    "pregnant": N_("Pregnant"),
    "shackled": N_("Shackled or confined (pasung)"),
    "deceased": N_("Deceased"),
}

SEX = {"unknown": N_("Unknown"), "male": N_("Male"), "female": N_("Female")}

REJECTION = {
    "hoax": N_("Hoax"),
    "duplicate": N_("Duplicate"),
    "out_of_scope": N_("Out of scope"),
}

STAGES = {"temu": N_("Find"), "tanggap": N_("Respond"), "tindak": N_("Act"), "tuntas": N_("Finish")}

EVENTS = {
    "incident.created": N_("Incident opened"),
    "report.received": N_("Report received"),
    "incident.reports_added": N_("Reports added"),
    "incident.status_changed": N_("Status changed"),
    "incident.category_changed": N_("Category changed"),
    "incident.priority_changed": N_("Priority changed"),
    "incident.merged": N_("Merged"),
    "incident.note_added": N_("Note added"),
    "incident.escalated": N_("Escalated to the supervisor"),
    "incident.escalation_cleared": N_("Escalation cleared"),
    "incident.dispatched_manually": N_("Dispatched by hand"),
    "incident.diverted": N_("Crew diverted"),
    "incident.handed_over": N_("Handed over"),
    "incident.reopened": N_("Reopened"),
    "offer.made": N_("Offered to a crew"),
    "offer.accepted": N_("Crew accepted"),
    "offer.declined": N_("Crew declined"),
    "offer.expired": N_("Offer expired"),
    "offer.withdrawn": N_("Offer withdrawn"),
    "referral.created": N_("Referred to an agency"),
    "referral.unrouted": N_("A routing rule found no agency"),
    "referral.acknowledged": N_("Agency acknowledged"),
    "referral.accepted": N_("Agency accepted"),
    "referral.declined": N_("Agency declined"),
    "referral.completed": N_("Agency completed"),
    "referral.cancelled": N_("Referral cancelled"),
    "assignment.released": N_("Crew released"),
    "incident.4ct_breached": N_("4CT target missed"),
    "incident.location_changed": N_("Place corrected"),
    "subject.added": N_("Subject added"),
    "subject.matches_proposed": N_("Likely the same person proposed"),
    "person.linked": N_("Subject linked to a person"),
    "person.unlinked": N_("Subject unlinked from a person"),
    "match.rejected": N_("Not the same person"),
    "subject.outcome_recorded": N_("Outcome recorded"),
}

# Match proposals: how sure, and what the operator answered.
STRENGTH = {"pasti": N_("certain (same NIK)"), "kuat": N_("strong"), "mungkin": N_("possible")}
PROPOSAL_STATE = {"open": N_("not answered"), "confirmed": N_("confirmed"), "rejected": N_("rejected")}

REFERRAL_STATUS = {
    "pending": N_("Waiting for the agency"),
    "acknowledged": N_("Acknowledged"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}

# How an agency's answer reached the console (recorded on its behalf).
ANSWER_VIA = {
    "phone": N_("By phone"),
    "in_person": N_("In person"),
    "letter": N_("By letter"),
    "message": N_("By message"),
}

OUTCOME = {
    "reunified": N_("Returned to family"),
    "shelter": N_("Placed in a shelter"),
    "hospital": N_("Referred to hospital"),
    "rsj": N_("Referred to a psychiatric hospital (RSJ)"),
    "panti": N_("Placed in a care home (panti)"),
    "social_aid": N_("Enrolled in social aid"),
    "skills_training": N_("Skills training"),
    "body_handed_over": N_("Body handed to the family"),
    "buried": N_("Buried"),
    "handled_on_site": N_("Handled on site"),
    "not_found": N_("Not found"),
}

# Why a crew's assignment ended (app/dispatch/crewflow.py: ReleaseReason).
RELEASE_REASON = {
    "completed": N_("case finished"),
    "reassigned": N_("another crew was sent by hand"),
    "handed_over": N_("handed over to the next shift"),
    "out_of_service": N_("crew out of service"),
    "withdrawn": N_("withdrawn"),
    "cancelled": N_("incident cancelled"),
    "diverted": N_("diverted to a more urgent case"),
}

# The titles of app/errors.py's problems, shown on the console's error page.
ERROR_TITLES = (
    N_("Not found"),
    N_("Forbidden"),
    N_("Authentication required"),
    N_("Conflict"),
    N_("State change not allowed"),
    N_("Invalid request"),
    N_("Too many requests"),
    N_("Bad request"),
    N_("Unsupported media type"),
    N_("Malformed JSON"),
    N_("Internal server error"),
    N_("Service busy"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Payload too large"),
    N_("Not ready"),
)

# The API's problem details in English, translated to Indonesian by the catalogue (and back: a detail
# written in Indonesian is given in English to a client that asks for it). `{name}` stands for a value.
PROBLEMS = (
    N_("the request body must be JSON, sent with Content-Type: application/json"),
    N_("the body is not valid JSON: {error}"),
    N_("an unexpected error occurred; nothing was saved"),
    N_("a concurrent request wrote the same thing; nothing was saved, retry to see the result"),
    N_("all database connections are busy; nothing was saved, retry shortly"),
    N_("role {role} may not {action}"),
    N_("region {code} is outside your region {mine}"),
    N_("{what} {ident} not found"),
    N_("invalid or expired token, or the account is deactivated"),
    N_("invalid, revoked or expired API key"),
    N_("sign in with a token (POST /api/v1/auth/token) or an X-API-Key header"),
    N_("a reason is required to decline"),
    N_("Field required"),
    N_("Extra inputs are not permitted"),
    N_("String should have at least {n} characters"),
    N_("String should have at most {n} characters"),
    N_("Input should be a valid UUID, {why}"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be less than or equal to {n}"),
    N_("Input should be greater than or equal to {n}"),
    # Sent by the middleware (app/api/middleware.py) and by /readyz (app/services/health.py).
    N_("the request body exceeds {n} bytes"),
    N_("must not contain control characters; newlines and tabs are fine"),
    N_("{field}: must not contain control characters; newlines and tabs are fine"),
    N_("database unreachable or not migrated: {error}"),
    N_("database at migration {current}, code expects {head}; run `tanggap migrate`"),
    # The supervisor's pages (app/console/team_routes.py, agency_routes.py, session.py).
    N_("this page is for supervisors and admins"),
    N_("your region has no TRC team yet"),
    N_("team not found in your region"),
    N_("put at least one person in a group"),
    N_("write the crew's name, choose a day, a shift and at least one member"),
    # Refusals of app/services/crews/forming.py (409 and 422), written in English there.
    N_("{person} is already in crew {crew} during that shift"),
    N_("vehicle {vehicle} is already with crew {crew} during that shift"),
    N_("{person} is seconded only from {start} to {end}"),
    N_("check the first day, the days (1-31), the crews per shift (1-6) and the groups"),
    N_("choose who is replaced and who stands in, and write a reason (at least 3 letters)"),
    N_(
        "write a name; BKO personnel need a home unit and a secondment period; the phone number must be valid"
    ),
    N_("write the vehicle's name and its seats (1-60)"),
    N_("write why the vehicle is out of service (at least 3 letters)"),
    N_("targets are whole minutes, 1 to 43200"),
    N_("write a name (at least 2 letters), a kind and an area; a contact's phone number must be valid"),
    N_("write a name (at least 2 letters); a contact's phone number must be valid"),
    N_("write the rule's name (at least 2 letters), an area, a category and the agency to refer to"),
    N_("write the rule's name (at least 2 letters)"),
)

CREW_STATUS = {
    "available": N_("Available"),
    "offered": N_("Offered"),
    "dispatched": N_("Dispatched"),
    "en_route": N_("En route"),
    "on_scene": N_("On scene"),
    "handling": N_("Handling"),
    "transporting": N_("Transporting"),
    "at_facility": N_("At a facility"),
    "out_of_service": N_("Out of service"),
    "off_shift": N_("Off shift"),
}

CHANNEL = {
    "call_center": N_("Call center"),
    "social_media": N_("Social media"),
    "patrol": N_("Patrol"),
    "referral": N_("Referral"),
    "public_app": N_("Public app"),
    "community": N_("Community reporter"),
    "walk_in": N_("Walk-in"),
}

AGENCY_KIND = {
    "police": N_("Police"),
    "bpbd": N_("Disaster agency (BPBD)"),
    "rsj": N_("Psychiatric hospital (RSJ)"),
    "hospital": N_("Hospital"),
    "puskesmas": N_("Community health centre (Puskesmas)"),
    "satpol_pp": N_("Public order agency (Satpol PP)"),
    "dukcapil": N_("Civil registry (Dukcapil)"),
    "village": N_("Village or kelurahan office"),
    "ngo": N_("Non-governmental organisation"),
    "dinas_sosial": N_("Another region's Dinas Sosial"),
    "other": N_("Other"),
}

SKILL = {
    "driver": N_("Driver"),
    "medic": N_("Medic"),
    "counsellor": N_("Counsellor"),
    "female_officer": N_("Female officer"),
    "body_handling": N_("Body handling"),
    "social_worker": N_("Social worker"),
}

CAPABILITY = {"secure_transport": N_("Secure transport"), "stretcher": N_("Stretcher")}

PERSONNEL_KIND = {"trc": N_("TRC staff"), "bko": N_("BKO (seconded)")}

SHIFT_TEMPLATE = {"3x8": N_("3 shifts of 8 hours"), "2x12": N_("2 shifts of 12 hours")}
