"""What the console ships: vendored files as pinned in the manifest, and every message in Indonesian."""

from __future__ import annotations

import hashlib
import json

from babel.messages.extract import extract_from_dir

from app.console import i18n
from tests.conftest import ROOT


def test_vendored_files_match_the_manifest() -> None:
    manifest = json.loads((ROOT / "app/console/vendor-manifest.json").read_text())
    assert {f["name"] for f in manifest["files"]} == {"htmx.org", "axe-core"}
    for f in manifest["files"]:
        assert hashlib.sha256((ROOT / f["path"]).read_bytes()).hexdigest() == f["sha256"], f["path"]
        assert f["version"] in f["path"] and f["licence"] and (ROOT / f["licence_file"]).exists()


def test_every_message_of_the_console_has_an_indonesian_translation() -> None:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(str(ROOT / "app/console"), method_map)
        if isinstance(message, str)
    }
    assert len(found) > 100
    missing = sorted(found - set(i18n.catalogue("id")))
    assert missing == []
