"""Compile every locale/*/LC_MESSAGES/django.po to .mo with Babel (no gettext needed).

Babel's own `pybabel compile` also runs format checks that misread plain text such as
"95% interval" as a %-placeholder and refuse the catalogue; Django's gettext never formats those
strings, so the checks are wrong for us and this compiles without them.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).resolve().parent


def main() -> int:
    for po in sorted(HERE.glob("*/LC_MESSAGES/django.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        done = sum(1 for m in catalog if m.id and m.string)
        print(f"{locale}: {done} of {len(catalog) - 1} messages translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
