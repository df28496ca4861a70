"""Fill German translations into locale/de/LC_MESSAGES/django.po from locale/de.json.

Workflow: `make messages` (extract), add new strings to de.json, run this, commit the .po.
Keeping the glossary in JSON lets several people add strings without .po merge conflicts.
"""

import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
PO = HERE / "de" / "LC_MESSAGES" / "django.po"


def _is_format(msgid: str | tuple[str, ...]) -> bool:
    ids = (msgid,) if isinstance(msgid, str) else msgid
    return any(re.search(r"%\(\w+\)[sdif]|%%|%[sdif]", i) for i in ids)


def _lookup(glossary: dict[str, str], msgid: str) -> str | None:
    if msgid in glossary:
        return glossary[msgid]
    # A python-format message spells a literal percent sign "%%"; the glossary may not.
    plain = glossary.get(msgid.replace("%%", "%"))
    return re.sub(r"%(?!\()", "%%", plain) if plain is not None else None


def main() -> int:
    glossary: dict[str, str] = json.loads((HERE / "de.json").read_text(encoding="utf-8"))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    missing = 0
    for message in catalog:
        if not message.id:
            continue
        # xgettext guesses "python-format" from any "%"; a message like "95% interval" is never
        # %-formatted, and the wrong flag makes the compiler reject its translation.
        if "python-format" in message.flags and not _is_format(message.id):
            message.flags.discard("python-format")
        # A plural message has a tuple of ids (singular, plural); German has the same two forms.
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        # A message with a context (pgettext) is looked up as gettext stores it:
        # "context\u0004msgid" in the glossary.
        if message.context:
            ids = tuple(f"{message.context}\x04{i}" for i in ids)
        if all(_lookup(glossary, i) is not None for i in ids):
            translated = tuple(str(_lookup(glossary, i)) for i in ids)
            message.string = translated[0] if len(ids) == 1 else translated
            message.flags.discard("fuzzy")
        elif message.fuzzy or not any(
            message.string if isinstance(message.string, tuple) else [message.string]
        ):
            # A fuzzy string is makemessages' guess from a similar message ("Submitted" ->
            # "Antworten absenden"); the compiler skips it, so the page would stay English.
            missing += 1
            print("missing:", ids[0][:90])
    catalog.fuzzy = False  # makemessages marks a new header fuzzy; the glossary is reviewed
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    print(f"{len(catalog)} messages, {missing} without a German translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
