# ruff: noqa: S608, S611 - SQL from FullTextIndex names in code; the search text is a parameter
"""Full-text search behind one selector: PostgreSQL text search or SQLite FTS5.

An app describes a searchable table once (`FullTextIndex`); its migration builds the index
(PostgreSQL: a GIN index over the same `tsvector` expression the query uses, English and German
dictionaries; SQLite: an FTS5 table kept in step by triggers, see `sqlite_index_sql`).
`full_text_filter` narrows any queryset of that model to the rows that match, and annotates a
rank (`search_rank`, higher is better) and a snippet (`search_snippet`, plain text with
SNIPPET_START/SNIPPET_END around the matched words; `highlighted` turns it into safe HTML).
Visibility stays with the caller: it passes a queryset already narrowed by accounts.access.
"""

import re
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, FloatField, Model, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
SNIPPET_START = "\ue000"
SNIPPET_END = "\ue001"
SNIPPET_PART = "\ue002"  # between the snippets of a row's text columns
DICTIONARIES = ("english", "german")
M = TypeVar("M", bound=Model)
_WORD = re.compile(r"\w+", re.UNICODE)
_MARKED = re.compile(f"{SNIPPET_START}(.*?){SNIPPET_END}", re.DOTALL)
_MARKDOWN_NOISE = re.compile(r"[#*`|]+|^\s*>|\[|\]\([^)]*\)", re.MULTILINE)


@dataclass(frozen=True)
class SearchTerms:
    """What the person typed, reduced to words (never handed to a query parser as syntax)."""

    text: str
    words: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.words


def search_terms_parse(raw: str) -> SearchTerms:
    """The words of a search box's text, or a ValidationError the page shows as it is."""
    if "\x00" in raw:
        raise ValidationError(_("The search text contains a character that cannot be searched."))
    text = raw.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            _("The search text is too long: at most %(limit)d characters.")
            % {"limit": MAX_QUERY_CHARS}
        )
    words = tuple(_WORD.findall(text))
    if text and not words:
        raise ValidationError(_("Type at least one word or number to search for."))
    return SearchTerms(text=text, words=words[:MAX_TERMS])


@dataclass(frozen=True)
class FullTextIndex:
    """One searchable table: weighted columns (A = titles, B = text) and the columns the
    snippet is cut from. Column names are the table's own."""

    table: str
    title_columns: tuple[str, ...]
    text_columns: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.title_columns + self.text_columns

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts"

    @property
    def pg_index(self) -> str:
        return f"{self.table}_search"


def _joined(columns: tuple[str, ...], prefix: str) -> str:
    return " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in columns)


def pg_document_sql(index: FullTextIndex, *, prefix: str = "") -> str:
    """The tsvector of a row: titles weighted A, text B, in every dictionary. The migration
    indexes this very expression (prefix ""), so the planner uses the GIN index."""
    parts = []
    for config in DICTIONARIES:
        for weight, columns in (("A", index.title_columns), ("B", index.text_columns)):
            if columns:
                parts.append(
                    f"setweight(to_tsvector('{config}'::regconfig, {_joined(columns, prefix)}), "
                    f"'{weight}')"
                )
    return "(" + " || ".join(parts) + ")"


def pg_index_sql(index: FullTextIndex) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {index.pg_index} ON {index.table} "
        f"USING gin ({pg_document_sql(index)})",
    ]


def pg_drop_sql(index: FullTextIndex) -> list[str]:
    return [f"DROP INDEX IF EXISTS {index.pg_index}"]


def sqlite_index_sql(index: FullTextIndex) -> list[str]:
    """An external-content FTS5 table over the row's columns, three triggers that keep it in
    step, and a rebuild from the rows already there. Idempotent: run it again after a migration
    that rebuilds the table (SQLite's ALTER copies the table and drops its triggers; a test
    checks the triggers exist)."""
    t, fts, cols = index.table, index.fts_table, ", ".join(index.columns)
    new = ", ".join(f"new.{c}" for c in index.columns)
    old = ", ".join(f"old.{c}" for c in index.columns)
    delete_old = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES('delete', old.id, {old});"
    insert_new = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{t}', "
        f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {t} BEGIN {insert_new} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {t} BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {t} BEGIN {delete_old} "
        f"{insert_new} END",
        f"INSERT INTO {fts}({fts}) VALUES('rebuild')",
    ]


def sqlite_drop_sql(index: FullTextIndex) -> list[str]:
    fts = index.fts_table
    return [f"DROP TRIGGER IF EXISTS {fts}_{s}" for s in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def index_sql(index: FullTextIndex, *, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return pg_index_sql(index)
    if vendor == "sqlite":
        return sqlite_index_sql(index)
    return []


def drop_sql(index: FullTextIndex, *, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return pg_drop_sql(index)
    if vendor == "sqlite":
        return sqlite_drop_sql(index)
    return []


def _fts5_query(terms: SearchTerms) -> str:
    # Every word quoted: FTS5 reads it as a plain token, never as an operator or a column.
    return " ".join('"' + w.replace('"', '""') + '"' for w in terms.words)


def _pg_filter(qs: QuerySet[M], index: FullTextIndex, terms: SearchTerms) -> QuerySet[M]:
    doc = pg_document_sql(index, prefix=f'"{index.table}".')
    text = " ".join(terms.words)
    query = " || ".join(f"plainto_tsquery('{c}'::regconfig, %s)" for c in DICTIONARIES)
    args = (text,) * len(DICTIONARIES)
    table = f'"{index.table}"'
    options = (
        f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=30, MinWords=12, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    return qs.filter(RawSQL(f"{doc} @@ ({query})", args, output_field=BooleanField())).annotate(
        search_rank=RawSQL(f"ts_rank({doc}, ({query}))", args, output_field=FloatField()),
        search_snippet=RawSQL(
            f" || '{SNIPPET_PART}' || ".join(
                f"ts_headline('english'::regconfig, coalesce({table}.{c}, ''), ({query}), %s)"
                for c in index.text_columns
            ),
            (*args, options) * len(index.text_columns),
            output_field=TextField(),
        ),
    )


def _sqlite_snippets(index: FullTextIndex) -> str:
    first_text = len(index.title_columns)
    snippets = [
        f"snippet({index.fts_table}, {i}, char(57344), char(57345), '…', 24)"
        for i in range(first_text, len(index.columns))
    ]
    return " || char(57346) || ".join(snippets)


def _sqlite_filter(qs: QuerySet[M], index: FullTextIndex, terms: SearchTerms) -> QuerySet[M]:
    fts, row = index.fts_table, f'"{index.table}"."id"'
    match = _fts5_query(terms)
    weights = ", ".join("10.0" if c in index.title_columns else "1.0" for c in index.columns)
    own = f"FROM {fts} WHERE {fts} MATCH %s AND {fts}.rowid = {row}"
    return qs.filter(
        pk__in=RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", (match,))
    ).annotate(
        # bm25 is lower for better matches; negated so that both backends sort descending.
        search_rank=RawSQL(f"(SELECT -bm25({fts}, {weights}) {own})", (match,), FloatField()),
        search_snippet=RawSQL(
            f"(SELECT {_sqlite_snippets(index)} {own})", (match,), output_field=TextField()
        ),
    )


def full_text_filter(qs: QuerySet[M], *, index: FullTextIndex, terms: SearchTerms) -> QuerySet[M]:
    """`qs` narrowed to rows matching every word, best first, with `search_rank` and
    `search_snippet`. Empty terms match nothing."""
    if terms.is_empty:
        return qs.none()
    if connection.vendor == "postgresql":
        qs = _pg_filter(qs, index, terms)
    else:
        qs = _sqlite_filter(qs, index, terms)
    return qs.order_by("-search_rank", "pk")


def _best_part(snippet: str) -> str:
    """Of a row's per-column snippets, the first with a match, else the first with text."""
    parts = [p for p in snippet.split(SNIPPET_PART) if p.strip()]
    marked = [p for p in parts if SNIPPET_START in p]
    return (marked or parts or [""])[0]


def highlighted(snippet: str | None) -> SafeString:
    """A snippet as HTML: the text escaped, matched words in <mark>, markdown marks dropped."""
    text = _MARKDOWN_NOISE.sub(" ", _best_part(snippet or ""))
    parts: list[str] = []
    last = 0
    for m in _MARKED.finditer(text):
        parts.append(escape(text[last : m.start()]))
        parts.append(f"<mark>{escape(m.group(1))}</mark>")
        last = m.end()
    parts.append(escape(text[last:]))
    cleaned = "".join(parts).replace(SNIPPET_START, "").replace(SNIPPET_END, "")
    return mark_safe(re.sub(r"\s+", " ", cleaned).strip())
