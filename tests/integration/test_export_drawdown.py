"""Draw-downs at the same moment, from separate connections, never pass a limit
(SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from coalition.accounts.permissions import Principal
from coalition.errors import Conflict
from coalition.exportcontrol import services
from coalition.exportcontrol.schemas import AuthorisationIn, DrawdownIn
from coalition.registry.schemas import NationIn
from coalition.registry.services import create_nation
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory


def test_concurrent_draw_downs_never_pass_the_limit(fresh_url: str) -> None:
    operator = Principal.operator("t")
    engine = make_engine(fresh_url)
    uow = uow_factory(engine)
    create_nation(uow(), operator, NationIn(code="USA", currency="USD"))
    today = date.today()
    made = services.create_authorisation(
        uow(),
        operator,
        AuthorisationIn(
            reference="DSP-5 1",
            kind="dsp_5",
            issuing_nation="USA",
            regime="ITAR",
            recipient_nations=["GBR"],
            quantity_limit=5,
            valid_from=today - timedelta(days=1),
            valid_until=today + timedelta(days=100),
        ),
    )
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def take() -> None:
        start.wait()
        try:
            services.draw_down(
                uow(), operator, made.id, DrawdownIn(quantity=2, reference="concurrent")
            )
            outcomes.append("drawn")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    detail = services.get_authorisation(uow(), operator, made.id)
    assert sorted(outcomes) == ["drawn", "drawn", "refused", "refused"]
    assert detail.quantity_used == 4 and len(detail.drawdowns) == 2
    engine.dispose()
