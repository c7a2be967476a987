"""A problem's title and detail follow Accept-Language: Bahasa Indonesia by default and for anything but
English, English when the client prefers it (q-values weighed), both ways for details with values."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.errors import language, localise
from tests.conftest import Actor


async def test_not_found_is_indonesian_by_default_and_english_when_asked(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    missing = uuid.uuid4()
    path = f"/api/v1/incidents/{missing}"
    default = await client.get(path, headers=actors["operator"].headers)
    assert default.status_code == 404
    assert default.headers["content-type"] == "application/problem+json"
    assert default.headers["content-language"] == "id" and "Accept-Language" in default.headers["vary"]
    assert default.json()["title"] == "Tidak ditemukan"
    assert default.json()["detail"] == f"incident {missing} tidak ditemukan (not found)"
    english = await client.get(
        path, headers={**actors["operator"].headers, "Accept-Language": "en-GB,en;q=0.9"}
    )
    assert english.headers["content-language"] == "en"
    assert english.json()["title"] == "Not found"
    assert english.json()["detail"] == f"incident {missing} not found"
    # Everything else of the problem is the same in both languages.
    same = {k: v for k, v in english.json().items() if k not in ("title", "detail")}
    assert same == {k: v for k, v in default.json().items() if k not in ("title", "detail")}


async def test_role_refusals_validation_and_sign_in_problems_in_both_languages(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    crew = actors["crew"].headers
    r = await client.get("/api/v1/dispatch/escalations", headers=crew)
    assert r.status_code == 403 and r.json()["title"] == "Tidak diizinkan"
    assert r.json()["detail"] == "peran crew tidak boleh read escalations"
    r = await client.get("/api/v1/dispatch/escalations", headers={**crew, "Accept-Language": "en"})
    assert r.json()["title"] == "Forbidden" and r.json()["detail"] == "role crew may not read escalations"
    body = {"channel": "call_center", "description": "x"}
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 422 and r.json()["title"] == "Permintaan tidak sah"
    assert "wajib diisi" in r.json()["detail"]
    assert {e["message"] for e in r.json()["errors"]} >= {"wajib diisi"}
    r = await client.post(
        "/api/v1/reports", json=body, headers={**actors["operator"].headers, "Accept-Language": "en"}
    )
    assert "Field required" in r.json()["detail"] and r.json()["title"] == "Invalid request"
    r = await client.get("/api/v1/incidents")
    assert r.status_code == 401 and r.json()["detail"].startswith("masuk dengan token")
    r = await client.get("/api/v1/incidents", headers={"Accept-Language": "en-US"})
    assert r.json()["detail"].startswith("sign in with a token") and r.headers["www-authenticate"] == "Bearer"
    r = await client.post(
        "/api/v1/reports",
        content=b"{",
        headers={**actors["operator"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["detail"].startswith("isi permintaan bukan JSON yang sah: ")


class _Req:
    def __init__(self, value: str | None) -> None:
        self.headers = {} if value is None else {"accept-language": value}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "id"),
        ("", "id"),
        ("*", "id"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr-FR, en;q=0.3", "en"),
        ("fr-FR, de", "id"),
        ("id;q=0.2, en;q=0.9", "en"),
        ("en;q=0, id;q=0.1", "id"),
        ("en;q=abc", "id"),
    ],
)
def test_the_language_is_negotiated_by_q_values(header: str | None, expected: str) -> None:
    assert language(_Req(header)) == expected  # type: ignore[arg-type]


def test_a_detail_nobody_translated_is_left_as_written() -> None:
    assert localise("regu Rudi sedang menangani insiden X", "en") == "regu Rudi sedang menangani insiden X"
    assert (
        localise("incident is received; it cannot be closed", "id")
        == "incident is received; it cannot be closed"
    )


async def test_problems_sent_outside_the_routers_follow_accept_language(
    client: httpx.AsyncClient, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body limit and the control-character check (middleware), an unknown path, a wrong method and
    /readyz answer in Indonesian by default and in English when asked, like the routers' problems."""
    en = {"Accept-Language": "en"}
    big = {"description": "x" * 70_000}
    for headers, title, detail in (
        ({}, "Isi permintaan terlalu besar", "isi permintaan melebihi"),
        (en, "Payload too large", "the request body exceeds"),
    ):
        r = await client.post("/api/v1/reports", json=big, headers={**actors["operator"].headers, **headers})
        assert r.status_code == 413 and r.headers["content-language"] == ("en" if headers else "id")
        assert r.json()["title"] == title and r.json()["detail"].startswith(detail), r.json()
    for headers, detail in (
        ({}, "query.q: tidak boleh berisi karakter kendali; baris baru dan tab boleh"),
        (en, "query.q: must not contain control characters; newlines and tabs are fine"),
    ):
        r = await client.get("/api/v1/incidents?q=a%00b", headers=headers)
        assert r.status_code == 422 and r.json()["detail"] == detail, r.json()
        assert r.json()["errors"][0]["message"] == detail.split(": ", 1)[1]
    for path, method, status, title_id, title_en in (
        ("/api/v1/no-such-thing", "GET", 404, "Tidak ditemukan", "Not Found"),
        ("/healthz", "DELETE", 405, "Metode tidak diizinkan", "Method Not Allowed"),
    ):
        default = await client.request(method, path)
        english = await client.request(method, path, headers=en)
        assert default.status_code == english.status_code == status
        assert (default.json()["title"], english.json()["title"]) == (title_id, title_en)
        assert default.headers["content-language"] == "id" and english.headers["content-language"] == "en"

    async def not_migrated(maker: object) -> tuple[bool, str]:
        return False, "database at migration 0019, code expects 0022; run `tanggap migrate`"

    monkeypatch.setattr("app.services.health.ready", not_migrated)
    default, english = await client.get("/readyz"), await client.get("/readyz", headers=en)
    assert default.status_code == english.status_code == 503
    assert default.json()["title"] == "Belum siap" and english.json()["title"] == "Not ready"
    assert (
        default.json()["detail"]
        == "basis data pada migrasi 0019, kode memerlukan 0022; jalankan `tanggap migrate`"
    )
    assert english.json()["detail"] == "database at migration 0019, code expects 0022; run `tanggap migrate`"
