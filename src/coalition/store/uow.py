"""The unit of work: one use case, one transaction.

A service opens it with ``with uow:``, changes state, records what it did and calls
``commit()`` once. Leaving the block without committing rolls everything back, so a
failure half-way through a use case writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from coalition.errors import Conflict, ValidationFailed
from coalition.ledger import log as _ledger  # noqa: F401  (registers the listeners)
from coalition.store import versions as _versions  # noqa: F401  (registers the listeners)
from coalition.store.db import SQLITE_BEGIN

SessionFactory = Callable[[], Session]


class UnitOfWork:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        self._session = None
        try:
            session.rollback()
        finally:
            session.close()
        # A constraint can also fire on an implicit flush (a query after a change): the
        # caller gets the same clear error as from flush() or commit(), never a 500.
        if isinstance(exc, IntegrityError):
            raise Conflict(_integrity_message(exc)) from exc
        if isinstance(exc, DataError):
            raise ValidationFailed.of("body", _data_message(exc)) from exc

    @property
    def database(self) -> object:
        """Stands for the database this unit of work reaches: process-wide caches are
        kept per database (and per test database), keyed by this object."""
        return self._session_factory

    def for_writing(self) -> None:
        """Take the write lock up front on SQLite (no-op elsewhere)."""
        self.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(_integrity_message(exc)) from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as exc:
            raise Conflict(_integrity_message(exc)) from exc
        except StaleDataError as exc:
            raise Conflict("the record was changed by someone else; reload and retry") from exc

    def add(self, obj: Any) -> None:
        self.session.add(obj)


def _data_message(exc: DataError) -> str:
    # Validation at the edge keeps values within their columns; this names the kind of
    # problem without echoing the database's message (which may quote other rows).
    return "a value does not fit its field (too long or out of range)"


def _integrity_message(exc: IntegrityError) -> str:
    # Services check uniqueness themselves and name the field; this is the safety net
    # for races between two writers, so it stays generic and leaks no other row.
    return "the change conflicts with an existing record"


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, expire_on_commit=False)


def uow_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    factory = make_session_factory(engine)
    return lambda: UnitOfWork(factory)
