"""The German catalogue is complete: every message has a reviewed translation.

locale/compile.py skips fuzzy entries (makemessages' guesses from similar messages), so a fuzzy
or empty entry shows English on a German page. Add the German to locale/de.json and run
locale/fill_de.py (see docs/decisions/0003-translations.md).
"""

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "locale/de/LC_MESSAGES/django.po"


def _catalogue() -> list[tuple[str, bool, bool]]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    rows = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        rows.append((msgid, message.fuzzy, all(strings)))
    return rows


def test_no_german_message_is_a_fuzzy_guess():
    assert [msgid for msgid, fuzzy, _ in _catalogue() if fuzzy] == []


def test_every_german_message_is_translated():
    assert [msgid for msgid, _, translated in _catalogue() if not translated] == []
