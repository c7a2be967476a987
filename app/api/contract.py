"""The OpenAPI is the contract: every route documents the problem statuses it can answer.

Derived once from the route table when the app is built, so a new route is documented by construction:
- a JSON body: 400 (malformed JSON), 413 (too large), 415 (not JSON), 422 (invalid);
- any parameter: 422 (FastAPI's default 422 body is replaced by the problem schema we actually send);
- a caller (the principal dependency): 401, 403;
- an id in the path: 404;
- a change (POST, PUT, PATCH, DELETE) on a resource: 409 (a state that forbids it, or a duplicate).
- the public rate limit (a dependency): 429.
What a route declares itself (429 on login, 503 on readiness, Open311's own bodies) is kept beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.schemas.common import PROBLEM_SCHEMA, problem_response

MUTATIONS = {"POST", "PUT", "PATCH", "DELETE"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _params(dependant: Dependant) -> dict[str, bool]:
    found = {
        "path": bool(dependant.path_params),
        "other": bool(dependant.query_params or dependant.header_params),
        "body": bool(dependant.body_params),
    }
    for dep in dependant.dependencies:
        for kind, present in _params(dep).items():
            found[kind] = found[kind] or present
    return found


def statuses(route: APIRoute, principal: Callable[..., Any], limiter: Callable[..., Any]) -> set[int]:
    # Flattened: a form read through a dependency (the OAuth2 login) or a header a dependency reads count too.
    params = _params(route.dependant)
    calls = set(_calls(route.dependant))
    found: set[int] = set()
    if any(params.values()):
        found.add(422)
    if params["body"]:
        found |= {400, 413, 415}
    if principal in calls:
        found |= {401, 403}
    if limiter in calls:
        found.add(429)
    if params["path"]:
        found.add(404)
    if (route.methods or set()) & MUTATIONS and (params["path"] or params["body"]):
        found.add(409)
    return found


def document(router: APIRouter, principal: Callable[..., Any], limiter: Callable[..., Any]) -> None:
    """Add the derived problem answers to every route's `responses` (before the router is included). A
    status a route declares with its own bodies (Open311's XML errors) gains the problem body beside them."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for status in statuses(route, principal, limiter):
            declared = route.responses.get(status) or route.responses.get(str(status)) or {}
            content = {**declared.get("content", {}), **problem_response(status)["content"]}
            route.responses[status] = {**problem_response(status), **declared, "content": content}
        route.responses = dict(sorted(route.responses.items(), key=lambda item: str(item[0])))
        for declared in route.responses.values():
            content = declared.get("content", {})
            if "application/problem+json" in content and not content["application/problem+json"]:
                content["application/problem+json"] = {"schema": PROBLEM_SCHEMA}
