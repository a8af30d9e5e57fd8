"""Browser sessions end on the server: at log-out, after the absolute lifetime, when idle."""

from __future__ import annotations

from datetime import timedelta

from coalition.accounts.login import Throttling, log_in, log_out, session_principal
from coalition.accounts.permissions import Principal, Role
from coalition.store.base import utcnow
from tests.conftest import UowFactory
from tests.factories import PASSWORD, make_account

THROTTLING = Throttling(max_failures=5, lockout_seconds=300)


def open_session(uow: UowFactory, operator: Principal, lifetime: int = 3600) -> str:
    make_account(uow, operator, "carol", Role.RESEARCHER)
    return log_in(
        uow(), "carol", PASSWORD, throttling=THROTTLING, session_seconds=lifetime
    ).session_secret


def test_a_session_works_until_logged_out(uow: UowFactory, operator: Principal) -> None:
    secret = open_session(uow, operator)
    principal = session_principal(uow(), secret, idle_seconds=600)
    assert principal is not None and principal.name == "carol"
    log_out(uow(), secret)
    assert session_principal(uow(), secret, idle_seconds=600) is None


def test_a_session_ends_after_its_lifetime_however_busy(
    uow: UowFactory, operator: Principal
) -> None:
    secret = open_session(uow, operator, lifetime=120)
    later = utcnow() + timedelta(seconds=121)
    assert session_principal(uow(), secret, idle_seconds=3600, now=later) is None


def test_a_session_ends_when_left_idle(uow: UowFactory, operator: Principal) -> None:
    secret = open_session(uow, operator)
    soon, idle = utcnow() + timedelta(seconds=90), utcnow() + timedelta(seconds=700)
    assert session_principal(uow(), secret, idle_seconds=600, now=soon) is not None
    # The request at +90 s counted as activity, so +700 s is only 610 s idle.
    assert session_principal(uow(), secret, idle_seconds=600, now=idle) is None


def test_an_unknown_session_secret_opens_nothing(uow: UowFactory, operator: Principal) -> None:
    open_session(uow, operator)
    assert session_principal(uow(), "forged", idle_seconds=600) is None
