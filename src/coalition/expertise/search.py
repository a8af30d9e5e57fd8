"""The full-text index of expertise profiles, kept in each backend's own engine: an FTS5
virtual table ranked by BM25 on SQLite, a tsvector column with a GIN index ranked by
ts_rank_cd on PostgreSQL (decision 0019). Both are written in the same transaction as the
profile, so the index never disagrees with what is stored.

Searches are words, each matched as a prefix ("hyperson" finds "hypersonic") and all
required. Words are taken from the text with a strict pattern before they reach either
query language, so no input can change the query's meaning."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import Float, Subquery, Uuid, text
from sqlalchemy.orm import Session

MAX_TERMS = 12
MAX_TERM_LENGTH = 40
_WORD = re.compile(r"[^\W_]+")
# Columns are weighted title > keywords > summary: a word in the headline or a name counts
# more than one in a keyword, which counts more than one in the summary (BM25 weights
# 10 / 5 / 1 on SQLite, after the profile id's 0; tsvector weights A / B / C on PostgreSQL,
# with the English configuration for stemming).


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


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _key(session: Session, profile_id: uuid.UUID) -> str | uuid.UUID:
    # SQLite keeps UUIDs as 32 hex digits (SQLAlchemy's Uuid there), and the index must match.
    return profile_id.hex if _dialect(session) == "sqlite" else profile_id


def put(session: Session, profile_id: uuid.UUID, document: Document) -> None:
    """Index (or re-index) a profile."""
    remove(session, profile_id)
    values = {
        "id": _key(session, profile_id),
        "title": document.title,
        "keywords": document.keywords,
        "summary": document.summary,
    }
    if _dialect(session) == "sqlite":
        session.execute(
            text(
                "INSERT INTO expertise_search (profile_id, title, keywords, summary) "
                "VALUES (:id, :title, :keywords, :summary)"
            ),
            values,
        )
    else:
        session.execute(
            text(
                "INSERT INTO expertise_search (profile_id, document) VALUES (:id, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :keywords), 'B') || "
                "setweight(to_tsvector('english', :summary), 'C'))"
            ),
            values,
        )


def remove(session: Session, profile_id: uuid.UUID) -> None:
    session.execute(
        text("DELETE FROM expertise_search WHERE profile_id = :id"),
        {"id": _key(session, profile_id)},
    )


def matches(session: Session, words: list[str]) -> Subquery:
    """(profile_id, score) of the profiles matching every word, higher scores first."""
    if _dialect(session) == "sqlite":
        query = " ".join(f'"{w}"*' for w in words)
        statement = text(
            "SELECT profile_id, -bm25(expertise_search, 0.0, 10.0, 5.0, 1.0) AS score "
            "FROM expertise_search WHERE expertise_search MATCH :query"
        )
    else:
        query = " & ".join(f"{w}:*" for w in words)
        statement = text(
            "SELECT profile_id, ts_rank_cd(document, to_tsquery('english', :query)) "
            "AS score FROM expertise_search "
            "WHERE document @@ to_tsquery('english', :query)"
        )
    return (
        statement.bindparams(query=query)
        .columns(profile_id=Uuid(), score=Float())
        .subquery("matched")
    )
