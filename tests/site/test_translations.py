"""The translation catalogues: French is complete, the compiled `.mo` files match their `.po`,
and the site speaks French by default and English when the visitor chose it.

The `.po` files are parsed in pure Python (no gettext tools, no polib) so that the suite runs
on a machine without GNU gettext; the `.mo` files are read with the standard library. Only the check
that the catalogues cover the code needs GNU gettext (`makemessages`): it is skipped without it.
"""

from __future__ import annotations

import gettext
import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("bec_site", "participants", "commons", "studies")


def _catalogue(app: str, language: str) -> Path:
    return ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po"


#: Every catalogue that exists: studies has one only once it has strings.
FRENCH = [p for p in (_catalogue(app, "fr") for app in APPS) if p.exists()]
ENGLISH = [p for p in (_catalogue(app, "en") for app in APPS) if p.exists()]
ALL = FRENCH + ENGLISH


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT).parent.parent)


# --- a small .po parser -------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(token: str) -> str:
    """The value of one C-style quoted string from a .po line."""
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"not a quoted string: {token!r}")
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise ValueError(f"unknown escape \\{nxt} in {token!r}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    plurals: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        return [self.plurals[k] for k in sorted(self.plurals)] if self.msgid_plural is not None else [self.msgstr]

    def __str__(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header first; obsolete (`#~`) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field continuation lines extend

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            # A comment after the strings of an entry starts the next entry.
            if current is not None and target is not None:
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            # msgctxt or msgid after a msgstr: a new entry without comments.
            if current is not None and keyword in ("msgctxt", "msgid") and target is not None \
                    and target[0].startswith("msgstr"):
                finish()
            if current is None:
                current = Entry(line=number)
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", None)
            elif index is None:
                current.msgstr, target = value, ("msgstr", None)
            else:
                current.plurals[int(index)], target = value, ("msgstr", int(index))
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{path}:{number}: continuation line outside an entry")
            value = _unquote(line)
            name, index = target
            if name == "msgstr" and index is not None:
                current.plurals[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _header(entries: list[Entry]) -> dict[str, str]:
    assert entries and entries[0].is_header, "the catalogue starts with its header"
    pairs = (line.split(":", 1) for line in entries[0].msgstr.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if not entry.is_header]


# --- the parser itself --------------------------------------------------------------------------


def test_parser_reads_continuations_escapes_context_and_plurals(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        '# header comment\n#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: fr\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid ""\n"Hello,\\n"\n"\\n"\n"Say \\"%(x)s\\"."\nmsgstr ""\n"Bonjour,\\n"\n"\\n"\n'
        '"Dites « %(x)s »."\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr "mai"\n'
        'msgid "%(n)s cat"\nmsgid_plural "%(n)s cats"\nmsgstr[0] "%(n)s chat"\nmsgstr[1] ""\n"%(n)s chats"\n\n'
        '#~ msgid "old"\n#~ msgstr "vieux"\n',
        encoding="utf-8",
    )
    header, first, second, third = parse_po(po)
    assert header.is_header and "fuzzy" in header.flags and _header([header])["Language"] == "fr"
    assert first.msgid == 'Hello,\n\nSay "%(x)s".' and first.msgstr == "Bonjour,\n\nDites « %(x)s »."
    assert first.flags == {"python-format"}
    assert (second.msgctxt, second.msgid, second.msgstr) == ("month", "May", "mai")
    assert third.msgid_plural == "%(n)s cats" and third.translations == ["%(n)s chat", "%(n)s chats"]


# --- (a) the French catalogues are complete -----------------------------------------------------


def test_every_app_with_strings_has_both_catalogues():
    for app in ("bec_site", "participants", "commons"):
        assert _catalogue(app, "fr").exists() and _catalogue(app, "en").exists(), app
    assert len(FRENCH) == len(ENGLISH)


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_header(path):
    entries = parse_po(path)
    header = _header(entries)
    language = path.parent.parent.name
    assert header.get("Language") == language
    assert header.get("Content-Type") == "text/plain; charset=UTF-8"
    expected = "nplurals=2; plural=(n > 1);" if language == "fr" else "nplurals=2; plural=(n != 1);"
    assert header.get("Plural-Forms") == expected
    assert "fuzzy" not in entries[0].flags


@pytest.mark.parametrize("path", FRENCH, ids=_id)
def test_french_catalogue_is_fully_translated(path):
    messages = _messages(path)
    assert messages, "an empty catalogue is not worth shipping"
    untranslated = [str(e) for e in messages if not e.translations or not all(t.strip() for t in e.translations)]
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated in {_id(path)}: {untranslated}"
    assert not fuzzy, f"fuzzy in {_id(path)}: {fuzzy}"
    plurals = [str(e) for e in messages if e.msgid_plural is not None and sorted(e.plurals) != [0, 1]]
    assert not plurals, f"French needs msgstr[0] and msgstr[1]: {plurals}"


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}")


@pytest.mark.parametrize("path", FRENCH, ids=_id)
def test_french_translations_keep_the_placeholders(path):
    wrong = []
    for entry in _messages(path):
        for index, text in enumerate(entry.translations):
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(source)):
                wrong.append(f"{entry} -> {text!r}")
    assert not wrong, wrong


@pytest.mark.parametrize("path", ENGLISH, ids=_id)
def test_english_catalogue_has_the_same_messages_as_the_french_one(path):
    french = path.parents[2] / "fr" / "LC_MESSAGES" / "django.po"
    key = lambda e: (e.msgctxt, e.msgid, e.msgid_plural)  # noqa: E731
    assert sorted(map(key, _messages(path)), key=repr) == sorted(map(key, _messages(french)), key=repr)


# --- (b) the compiled catalogues match their sources --------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_mo_file_is_in_sync_with_its_po(path):
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `make messages`"
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in _messages(path):
        if entry.msgid_plural is None:
            expected = entry.msgstr or entry.msgid  # an empty msgstr falls back to the source
            if entry.msgctxt is None:
                got = catalogue.gettext(entry.msgid)
            else:
                got = catalogue.pgettext(entry.msgctxt, entry.msgid)
            if got != expected:
                stale.append(f"{entry}: .mo gives {got!r}, .po says {expected!r}")
        else:
            # Both languages use n=1 for the singular and n=2 for the plural.
            for n, index, source in ((1, 0, entry.msgid), (2, 1, entry.msgid_plural)):
                expected = entry.plurals.get(index) or source
                if entry.msgctxt is None:
                    got = catalogue.ngettext(entry.msgid, entry.msgid_plural, n)
                else:
                    got = catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if got != expected:
                    stale.append(f"{entry} (n={n}): .mo gives {got!r}, .po says {expected!r}")
    assert not stale, f"{mo.relative_to(ROOT)} is out of date, run `make messages`: {stale}"


# --- (c) the site speaks French, and English on request -----------------------------------------


def _page(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_home_page_is_in_french_by_default(db, client):
    page = _page(client)
    assert '<html lang="fr">' in page
    # The brand line of base.html (the demo home page's own title is French content, so it proves nothing).
    assert "<span>Bureaux d'Études en Communs</span>" in page
    assert "Aller au contenu" in page and "Se connecter" in page and "Bureaux d'études" in page
    assert "Study bureaus in commons" not in page and "Sign in" not in page


def test_an_english_browser_still_gets_french(db, client):
    page = html.unescape(client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode())
    assert '<html lang="fr">' in page and "<span>Bureaux d'Études en Communs</span>" in page


def test_home_page_in_english_when_chosen(db, client):
    client.cookies["django_language"] = "en"
    page = _page(client)
    assert '<html lang="en">' in page
    assert "<span>Study bureaus in commons</span>" in page
    assert "Skip to content" in page and "Sign in" in page
    assert "Aller au contenu" not in page and "Se connecter" not in page


def test_app_strings_are_translated_too(db, client):
    """The participants and commons catalogues are found, not only the site's."""
    from django.utils import translation

    from commons.models import Role
    from participants.models import StakeholderCategory

    with translation.override("fr"):
        assert str(Role.COORDINATOR.label) == "coordinateur·rice"
        assert str(StakeholderCategory.choices[0][1]) == "chercheur·e"
    with translation.override("en"):
        assert str(Role.COORDINATOR.label) == "coordinator"


# --- (d) the catalogues cover the code ----------------------------------------------------------

#: What `make messages` runs (see the Makefile), French only: the English catalogues are checked
#: against the French ones above.
_APP_CATALOGUES = ("participants", "commons", "studies")
_ROOT_IGNORES = (".venv/*", "participants/*", "commons/*", "studies/*", "tests/*", "bench/*", "docs/*")
_GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")


def _keys(path: Path) -> set[tuple[str | None, str, str | None]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in _messages(path)}


def _describe(keys) -> str:
    return "\n".join(
        f"  {f'[{ctxt}] ' if ctxt is not None else ''}{msgid!r}"
        + (f" / plural {plural!r}" if plural is not None else "")
        for ctxt, msgid, plural in sorted(keys, key=repr)
    )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogues_cover_the_code(tmp_path):
    """`makemessages`, run on a copy of the code, finds exactly the messages of the committed catalogues.

    A string added to the code (or removed from it) without `make messages` fails here, naming it.
    """
    missing_tools = [tool for tool in _GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        pytest.skip(f"GNU gettext is incomplete: {', '.join(missing_tools)} not found")
    copy = tmp_path / "repo"
    # Without the committed catalogues (the `locale` folders stay): the fresh ones hold only what the code says.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.po", "*.mo", ".*")
    for name in (*APPS, "templates"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")

    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "PYTHONPATH"}
    environment["DJANGO_SETTINGS_MODULE"] = "bec_site.settings.test"

    def makemessages(cwd: Path, *options: str) -> None:
        # The interpreter running the tests is the project's (the venv's), with Django installed.
        command = [sys.executable, str(copy / "manage.py"), "makemessages", "-l", "fr", "--no-obsolete", *options]
        result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"makemessages failed in {cwd}:\n{result.stderr}{result.stdout}"

    for app in _APP_CATALOGUES:
        makemessages(copy / app)
    makemessages(copy, *(option for pattern in _ROOT_IGNORES for option in ("-i", pattern)))

    problems = []
    for app in APPS:
        committed, fresh = _catalogue(app, "fr"), copy / app / "locale" / "fr" / "LC_MESSAGES" / "django.po"
        if not fresh.exists():
            if committed.exists():
                problems.append(f"{app}: the code has no translatable string left, but a catalogue is committed")
            continue
        if not committed.exists():
            problems.append(f"{app}: no committed catalogue for:\n{_describe(_keys(fresh))}")
            continue
        new, gone = _keys(fresh) - _keys(committed), _keys(committed) - _keys(fresh)
        if new:
            problems.append(f"{app}: in the code but missing from {committed.relative_to(ROOT)}:\n{_describe(new)}")
        if gone:
            problems.append(f"{app}: in {committed.relative_to(ROOT)} but no longer in the code:\n{_describe(gone)}")
    assert not problems, "run `make messages`, then translate:\n" + "\n".join(problems)
