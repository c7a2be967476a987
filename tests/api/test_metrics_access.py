"""/metrics in process: not public by default (the test client's address is not loopback), open with the
token; and every metric the sample alert rules use is one Tanggap exports."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT


async def test_metrics_need_an_allowed_network_or_the_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    r = await client.get("/metrics")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert "TANGGAP_METRICS_TOKEN" in r.json()["detail"]
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"metrics_token": "a-long-scrape-token-for-tests"})
    try:
        assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 403
        r = await client.get("/metrics", headers={"Authorization": "Bearer a-long-scrape-token-for-tests"})
    finally:
        app.state.settings = settings
    assert r.status_code == 200
    exported = {
        sample.name for family in text_string_to_metric_families(r.text) for sample in family.samples
    } | {family.name for family in text_string_to_metric_families(r.text)}
    rules = (ROOT / "deploy" / "prometheus" / "alerts.yml").read_text()
    used = set(re.findall(r"\btanggap_[a-z0-9_]+", rules))
    assert used and used <= exported, used - exported
