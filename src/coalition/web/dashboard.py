"""The dashboard page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from coalition.exportcontrol.services import expiring
from coalition.funding.reports import balance_alerts
from coalition.governance.dashboard import governance_board
from coalition.overview.services import dashboard
from coalition.visits.services import list_visits
from coalition.web.deps import UowDep, WebPrincipal
from coalition.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    board = dashboard(uow, actor)
    return render(
        request,
        "dashboard.html",
        actor,
        {
            "section": "dashboard",
            "board": board,
            "export_expiring": expiring(uow, actor),
            "balance_alerts": balance_alerts(request.app.state.uow_factory, actor),
            "visits_waiting": list_visits(
                request.app.state.uow_factory(), actor, request.app.state.settings, waiting=True
            ),
            "governance": governance_board(
                request.app.state.uow_factory, actor, request.app.state.settings
            ),
        },
    )
