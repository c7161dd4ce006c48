"""Languages: catalogues complete and current, negotiation, the switcher,
concept labels from the vocabularies, record text with its own `lang`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from catalogue.web.i18n import LANGUAGES, negotiate, parse_accept_language, translations

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "catalogue" / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _messages(path: Path) -> dict[object, object]:
    with path.open("rb") as handle:
        return {m.id: m for m in read_po(handle) if m.id}


def test_the_template_is_current(tmp_path: Path) -> None:
    """Every message of the templates is in messages.pot (run `make messages` after editing them)."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(LOCALE / "babel.cfg"), "-o", str(fresh),
         "--no-location", "--omit-header", "site/templates"],  # fmt: skip
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    assert set(_messages(fresh)) == set(_messages(LOCALE / "messages.pot"))


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated(lang: str) -> None:
    wanted = _messages(LOCALE / "messages.pot")
    done = _messages(LOCALE / lang / "LC_MESSAGES" / "messages.po")
    assert set(wanted) <= set(done), f"untranslated in {lang}: {set(wanted) - set(done)}"
    for msgid, message in done.items():
        assert "fuzzy" not in message.flags, msgid  # type: ignore[attr-defined]
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)  # type: ignore[attr-defined]
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        for text in strings:
            assert text, f"{lang}: empty translation of {msgid!r}"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[-1])), (lang, msgid, text)


def test_catalogues_compile_in_memory() -> None:
    assert translations("de").gettext("Search") == "Suchen"
    assert translations("fr").ngettext("%(n)s practice found", "%(n)s practices found", 2) == "%(n)s pratiques trouvées"


@pytest.mark.parametrize(
    ("explicit", "header", "expected"),
    [
        (None, "fr-BE,fr;q=0.9,en;q=0.5", ("fr", False)),
        (None, "pl, de;q=0.8", ("de", False)),
        (None, "en;q=0.1, it;q=0.9", ("it", False)),
        (None, "xx, *", ("en", False)),
        (None, "de;q=0", ("en", False)),
        ("es", "de", ("es", True)),
        ("english", "de", ("de", False)),
        (None, None, ("en", False)),
    ],
)
def test_negotiation(explicit: str | None, header: str | None, expected: tuple[str, bool]) -> None:
    assert negotiate(explicit, header) == expected


def test_accept_language_is_robust() -> None:
    assert parse_accept_language("de;q=abc, fr") == ["fr"]
    assert parse_accept_language(",,;") == []


def test_accept_language_chooses_and_the_parameter_overrides(client: TestClient) -> None:
    french = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in french.text and "Rechercher des pratiques" in french.text
    assert french.headers["content-language"] == "fr"
    assert "Accept-Language" in french.headers["vary"]
    german = client.get("/", params={"lang": "de"}, headers={"accept-language": "fr"})
    assert '<html lang="de">' in german.text
    # a chosen language is carried by every internal link
    assert 'href="/search?lang=de"' in german.text


def test_switcher_links_the_same_page_in_each_language(client: TestClient) -> None:
    page = client.get("/search", params={"q": "open data", "theme": "open-data"}).text
    switcher = re.search(r'<nav class="languages".*?</nav>', page, re.S).group(0)  # type: ignore[union-attr]
    for code, name in LANGUAGES.items():
        assert f'hreflang="{code}" lang="{code}"' in switcher and name in switcher
    assert 'href="/search?q=open+data&amp;theme=open-data&amp;lang=it"' in switcher
    assert 'aria-current="true"' in switcher


def test_concept_labels_follow_the_language(client: TestClient) -> None:
    page = client.get("/practice/demo-decide-madrid", params={"lang": "de"}).text
    assert "Spanien" in page and "Digitale Verwaltung" in page
    assert '<h1 lang="es">' in page  # the record's own language, marked
    assert "Beschrieben auf Spanisch" in page


def test_error_pages_speak_the_language(client: TestClient) -> None:
    page = client.get("/nope", headers={"accept-language": "it"})
    assert page.status_code == 404 and "Non trovato" in page.text


def test_numbers_and_dates_follow_the_language(client: TestClient) -> None:
    page = client.get("/project/grant-610349", params={"lang": "de"}).text
    assert "2.543.071,00" in page and "Oktober 2013" in page
