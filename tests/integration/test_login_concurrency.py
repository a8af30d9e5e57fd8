"""Parallel guesses cannot slip past the log-in limit (real commits, many threads)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from coalition.accounts.login import Throttling, log_in
from coalition.accounts.permissions import Principal, Role
from coalition.audit.models import Event
from coalition.errors import AuthenticationFailed
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory
from tests.factories import make_account

LIMIT = 5


def test_parallel_wrong_passwords_are_checked_at_most_limit_times(fresh_url: str) -> None:
    uow = uow_factory(make_engine(fresh_url))
    username = f"target-{uuid.uuid4().hex[:8]}"
    make_account(uow, Principal.operator("t"), username, Role.RESEARCHER)
    throttling = Throttling(max_failures=LIMIT, lockout_seconds=300)

    def guess(n: int) -> str:
        try:
            log_in(
                uow(),
                username,
                f"wrong-{n}",
                throttling=throttling,
                session_seconds=60,
                source="203.0.113.77",
            )
        except AuthenticationFailed:
            return "refused"
        return "accepted"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(guess, range(24)))
    assert results == ["refused"] * 24
    with uow() as u:
        checked = u.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.actor == username, Event.details["outcome"].as_string() == "bad-password")
        )
    # Only the attempts within the limit ever reached the password check.
    assert checked == LIMIT
