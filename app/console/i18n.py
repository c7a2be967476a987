"""The console's languages: Bahasa Indonesia first, English on request (a cookie). Messages are written in
English in the code and templates (`_("Queue")`) and translated in gettext catalogues
(app/console/locale/<lang>/LC_MESSAGES/messages.po).

The .po files are read at start-up with Babel (a few milliseconds) instead of being compiled to .mo: nothing
generated is kept in git or has to be rebuilt at install, and a translator's edit shows on the next start.
Extract new messages with
`pybabel extract -F babel.cfg --no-location --sort-output -o app/console/locale/messages.pot .` and
`pybabel update -i app/console/locale/messages.pot -d app/console/locale`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT = "id"
COOKIE = "tanggap_bahasa"
# BCP 47 tags for <html lang> and the browser's Intl formatting.
TAGS = {"id": "id-ID", "en": "en-GB"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation; English is the source language, so its catalogue is empty."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        parsed = read_po(f, locale=lang)
    return {
        str(m.id): str(m.string)
        for m in parsed
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def gettext_for(lang: str) -> Callable[[str], str]:
    table = catalogue(lang if lang in LANGUAGES else DEFAULT)

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext


def N_(message: str) -> str:  # gettext's conventional name: mark now, translate when drawn
    return message


def warm_up() -> None:
    for lang in LANGUAGES:
        catalogue(lang)
