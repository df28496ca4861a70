"""Fill German translations into locale/de/LC_MESSAGES/django.po from locale/de.json.

Workflow: `make messages` (extract), add new strings to de.json, run this, commit the .po.
Keeping the glossary in JSON lets several people add strings without .po merge conflicts.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
PO = HERE / "de" / "LC_MESSAGES" / "django.po"


def main() -> int:
    glossary: dict[str, str] = json.loads((HERE / "de.json").read_text(encoding="utf-8"))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    missing = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in glossary:
            message.string = glossary[key]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    print(f"{len(catalog)} messages, {missing} without a German translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
