"""The full-text index of expertise profiles, kept in each backend's own engine: an FTS5
virtual table ranked by BM25 on SQLite, a tsvector column with a GIN index ranked by
ts_rank_cd on PostgreSQL (decision 0019). Both are written in the same transaction as the
profile, so the index never disagrees with what is stored.

On SQLite the FTS5 rows are keyed by an integer (``expertise_search_keys`` maps it to the
profile), so a match joins to its profile without reading the indexed text back.

Searches are words, each matched as a prefix ("hyperson" finds "hypersonic") and all
required. Words are taken from the text with a strict pattern before they reach either
query language, so no input can change the query's meaning."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    String,
    Uuid,
    bindparam,
    case,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

MAX_TERMS = 12
MAX_TERM_LENGTH = 40
_WORD = re.compile(r"[^\W_]+")
# Columns are weighted title > keywords > summary: a word in the headline or a name counts
# more than one in a keyword, which counts more than one in the summary (BM25 weights
# 10 / 5 / 1 on SQLite; tsvector weights A / B / C on PostgreSQL, with the English
# configuration for stemming).
_FTS = table("expertise_search", column("rowid"), column("expertise_search"))
_KEYS = table(
    "expertise_search_keys",
    column("key"),
    column("profile_id", Uuid()),
    column("label_id", Integer()),
    column("status", String()),
    column("person_id", Uuid()),
    column("organisation_id", Uuid()),
    column("kind", String()),
    column("trl", Integer()),
)
_VECTORS = table(
    "expertise_search",
    column("profile_id", Uuid()),
    column("label_id", Integer()),
    column("status", String()),
    column("person_id", Uuid()),
    column("organisation_id", Uuid()),
    column("kind", String()),
    column("trl", Integer()),
    column("document", TSVECTOR()),
)


def terms(query: str | None) -> list[str]:
    """The search words of a query, lower-cased, at most MAX_TERMS of them."""
    if not query:
        return []
    return [w[:MAX_TERM_LENGTH] for w in _WORD.findall(query.lower())][:MAX_TERMS]


@dataclass(frozen=True)
class Document:
    """What is indexed of a profile: its names and headline, its keywords and capabilities
    (codes split into words: "aero.hypersonic" is found by "hypersonic"), and its summary
    with the titles of its publications."""

    title: str
    keywords: str
    summary: str
    #: Kept beside the text so that a match is filtered (visibility, status, owner, kind,
    #: readiness) without reaching the profiles table; re-indexed with every change.
    label_id: int
    status: str
    person_id: uuid.UUID | None
    organisation_id: uuid.UUID
    kind: str
    trl: int | None


def put_many(
    connection: Session | Connection, documents: Iterable[tuple[uuid.UUID, Document]]
) -> None:
    """Index (or re-index) profiles; the bulk form is what a benchmark or a rebuild uses."""
    given = list(documents)
    if not given:
        return
    remove_many(connection, [profile_id for profile_id, _ in given])
    sqlite = _dialect(connection) == "sqlite"
    rows: list[dict[str, Any]] = [
        {
            "id": profile_id.hex if sqlite else profile_id,
            "title": d.title,
            "keywords": d.keywords,
            "summary": d.summary,
            "label_id": d.label_id,
            "status": d.status,
            "person_id": (d.person_id.hex if sqlite else d.person_id) if d.person_id else None,
            "organisation_id": d.organisation_id.hex if sqlite else d.organisation_id,
            "kind": d.kind,
            "trl": d.trl,
        }
        for profile_id, d in given
    ]
    if sqlite:
        connection.execute(
            text(
                "INSERT INTO expertise_search_keys "
                "(profile_id, label_id, status, person_id, organisation_id, kind, trl) "
                "VALUES (:id, :label_id, :status, :person_id, :organisation_id, :kind, :trl)"
            ),
            rows,
        )
        connection.execute(
            text(
                "INSERT INTO expertise_search (rowid, title, keywords, summary) "
                "SELECT key, :title, :keywords, :summary FROM expertise_search_keys "
                "WHERE profile_id = :id"
            ),
            rows,
        )
    else:
        connection.execute(
            text(
                "INSERT INTO expertise_search "
                "(profile_id, label_id, status, person_id, organisation_id, kind, trl, document) "
                "VALUES (:id, :label_id, :status, :person_id, :organisation_id, :kind, :trl, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :keywords), 'B') || "
                "setweight(to_tsvector('english', :summary), 'C'))"
            ),
            rows,
        )


def put(session: Session, profile_id: uuid.UUID, document: Document) -> None:
    put_many(session, [(profile_id, document)])


def remove_many(connection: Session | Connection, profile_ids: list[uuid.UUID]) -> None:
    if _dialect(connection) == "sqlite":
        keys = [{"id": i.hex} for i in profile_ids]
        connection.execute(
            text(
                "DELETE FROM expertise_search WHERE rowid IN "
                "(SELECT key FROM expertise_search_keys WHERE profile_id = :id)"
            ),
            keys,
        )
        connection.execute(text("DELETE FROM expertise_search_keys WHERE profile_id = :id"), keys)
    else:
        connection.execute(
            text("DELETE FROM expertise_search WHERE profile_id = :id"),
            [{"id": i} for i in profile_ids],
        )


@dataclass(frozen=True)
class Match:
    """What a search joins: the index's tables (to put after FROM, joined to the profiles
    by ``profile_id``), the condition that the words match, and the relevance score."""

    source: FromClause
    profile_id: ColumnElement[Any]
    condition: ColumnElement[bool]
    score: ColumnElement[float]
    label_id: ColumnElement[Any]
    status: ColumnElement[Any]
    person_id: ColumnElement[Any]
    organisation_id: ColumnElement[Any]
    kind: ColumnElement[Any]
    trl: ColumnElement[Any]


_WEIGHTS = (("title", "A", 10), ("keywords", "B", 5), ("summary", "C", 1))


def match(connection: Session | Connection, words: list[str], *, tier: int | None = None) -> Match:
    """The profiles matching every word, as parts of one flat query: the caller adds the
    filters to the same WHERE, so the score is computed only for the rows the reader may
    see. With ``tier`` (one word only, see :func:`tiers`), only the profiles whose best
    column for the word is that tier's."""
    sqlite = _dialect(connection) == "sqlite"
    if sqlite:
        text_query = " ".join(f'"{w}"*' for w in words)
        if tier is not None:
            text_query = _tier_query(words[0], tier, sqlite=True)
        query: ColumnElement[str] = bindparam("fts_query", text_query)
        return Match(
            source=_FTS.join(_KEYS, _KEYS.c.key == _FTS.c.rowid),
            profile_id=_KEYS.c.profile_id,
            condition=_FTS.c.expertise_search.op("MATCH")(query),
            score=_local_score(words, sqlite=True),
            label_id=_KEYS.c.label_id,
            status=_KEYS.c.status,
            person_id=_KEYS.c.person_id,
            organisation_id=_KEYS.c.organisation_id,
            kind=_KEYS.c.kind,
            trl=_KEYS.c.trl,
        )
    text_query = " & ".join(f"{w}:*" for w in words)
    if tier is not None:
        text_query = _tier_query(words[0], tier, sqlite=False)
    tsquery = func.to_tsquery(literal_column("'english'"), bindparam("fts_query", text_query))
    return Match(
        source=_VECTORS,
        profile_id=_VECTORS.c.profile_id,
        condition=_VECTORS.c.document.op("@@")(tsquery),
        score=_local_score(words, sqlite=False),
        label_id=_VECTORS.c.label_id,
        status=_VECTORS.c.status,
        person_id=_VECTORS.c.person_id,
        organisation_id=_VECTORS.c.organisation_id,
        kind=_VECTORS.c.kind,
        trl=_VECTORS.c.trl,
    )


def tiers(words: list[str]) -> int:
    """How many tiers a search can be ranked in: for one word, the profiles with it in the
    title, then those with it in the keywords but not the title, then the rest; each tier
    scores above the next, so pages are filled tier by tier and a frequent word's
    summary-only matches are scored only when a page reaches them. Several words: one."""
    return len(_WEIGHTS) if len(words) == 1 else 1


def _tier_query(word: str, tier: int, *, sqlite: bool) -> str:
    """The query of one tier: the word in the tier's column, not in any column above."""
    if sqlite:
        wanted = f'{{{_WEIGHTS[tier][0]}}} : "{word}"*'
        return " ".join([wanted, *(f'NOT {{{f}}} : "{word}"*' for f, _, _ in _WEIGHTS[:tier])])
    wanted = f"{word}:*{_WEIGHTS[tier][1]}"
    return " & ".join([wanted, *(f"!{word}:*{w}" for _, w, _ in _WEIGHTS[:tier])])


def _local_score(words: list[str], *, sqlite: bool) -> ColumnElement[float]:
    """A score that depends on the profile alone, the same on both backends: each word
    found in the title counts 10, in the keywords 5, in the summary 1 (FTS5 column filters;
    tsvector weights A, B, C). FTS5's bm25() is not used: its term weights come from the
    whole index, hidden profiles included, so a reader could learn from a score how many
    profiles they may not see hold a word (decision 0019)."""
    total: ColumnElement[Any] = literal_column("0")
    for index, word in enumerate(words):
        for field, letter, weight in _WEIGHTS:
            name = f"fts_{index}_{field}"
            if sqlite:
                inner = _FTS.alias(name)
                where = inner.c.expertise_search.op("MATCH")(
                    bindparam(name, f'{{{field}}} : "{word}"*')
                )
                found: ColumnElement[bool] = _FTS.c.rowid.in_(select(inner.c.rowid).where(where))
            else:
                found = _VECTORS.c.document.op("@@")(
                    func.to_tsquery(
                        literal_column("'english'"), bindparam(name, f"{word}:*{letter}")
                    )
                )
            total = total + case((found, weight), else_=0)
    return total


def _dialect(connection: Session | Connection) -> str:
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    return bind.dialect.name
