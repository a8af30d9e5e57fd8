"""Assemble the application: API under /api/v1, HTML pages, static files, error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from coalition import __version__
from coalition.content.services import content_settings
from coalition.errors import CoalitionError
from coalition.facilities.feeds import RedactFeedTokens
from coalition.federation.services import clear_expired_leases
from coalition.federation.worker import FederationWorker
from coalition.identity.web import RedactSignInCodes
from coalition.ledger.integrator import Integrator
from coalition.notifications.mail import Sender as MailSender
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.web import problems
from coalition.web.deps import LoginRequired, web_principal
from coalition.web.templating import render

API_PREFIX = "/api/v1"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(
    settings: Settings | None = None,
    uow: Callable[[], UnitOfWork] | None = None,
    *,
    background: bool = False,
) -> FastAPI:
    """The application; with ``background``, it also runs the ledger's integrator and,
    when the node sends e-mail, the mail sender (the served node does; tests and tools that
    build an app for a moment do not)."""
    settings = settings or Settings()
    factory = uow or uow_factory(make_engine(settings.effective_database_url))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        integrator = Integrator(factory, settings) if background else None
        sender = MailSender(factory, settings) if background and settings.smtp_host else None
        federation = (
            FederationWorker(factory, settings)
            if background and settings.effective_package_signing_key_file.exists()
            else None
        )
        if federation is not None:
            # What a node killed mid-delivery held is tried again at once.
            clear_expired_leases(factory())
        app.state.federation = federation
        for worker in (integrator, sender, federation):
            if worker is not None:
                worker.start()
        try:
            yield
        finally:
            for worker in (integrator, sender, federation):
                if worker is not None:
                    worker.stop()

    # Calendar programs fetch feeds by a secret address: keep it out of the access log.
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactFeedTokens) for f in access_log.filters):
        access_log.addFilter(RedactFeedTokens())
    # And the authorization codes of single sign-on callbacks.
    if not any(isinstance(f, RedactSignInCodes) for f in access_log.filters):
        access_log.addFilter(RedactSignInCodes())
    app = FastAPI(
        lifespan=lifespan,
        title="Coalition",
        version=__version__,
        summary="Joint R&D of allied defence laboratories: agreements, projects, people.",
        openapi_url="/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.uow_factory = factory
    app.state.content = content_settings(settings)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie="coalition_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.effective_cookie_secure,
    )

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith("/static/"):
                continue
            response.headers.setdefault(name, value)
        return response

    _install_error_handlers(app)
    _install_routes(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith((API_PREFIX, "/federation/v1")) or path == "/openapi.json"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CoalitionError)
    async def _coalition_error(request: Request, exc: CoalitionError) -> Response:
        if _is_api(request):
            return problems.from_error(request, exc)
        principal = None
        if exc.status != 401:
            try:
                principal = web_principal(request, request.app.state.uow_factory())
            except LoginRequired:
                principal = None
        return render(
            request,
            "error.html",
            principal,
            {"status": exc.status, "title": exc.title, "detail": exc.detail},
            status_code=exc.status,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return problems.from_validation(request, exc)
        # A hand-edited address (/people/abc, ?status=bogus) gets a page, not JSON.
        fields = sorted({problems.field_name(tuple(e["loc"])) for e in exc.errors()})
        return render(
            request,
            "error.html",
            None,
            {
                "status": 400,
                "title": "Bad request",
                "detail": f"The address has a value this page does not understand: "
                f"{', '.join(fields)}.",
            },
            status_code=400,
        )

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problems.problem(404, "Not found", "no such resource", request)
        return render(
            request,
            "error.html",
            None,
            {"status": 404, "title": "Not found", "detail": "There is no such page."},
            status_code=404,
        )


def _install_routes(app: FastAPI) -> None:
    from coalition.accounts import api as accounts_api
    from coalition.accounts import web as accounts_web
    from coalition.agreements import api as agreements_api
    from coalition.agreements import web as agreements_web
    from coalition.audit import api as audit_api
    from coalition.content import api as content_api
    from coalition.content import web as content_web
    from coalition.discussions import api as discussions_api
    from coalition.discussions import web as discussions_web
    from coalition.disputes import api as disputes_api
    from coalition.disputes import web as disputes_web
    from coalition.exchange import api as exchange_api
    from coalition.exchange import web as exchange_web
    from coalition.expertise import api as expertise_api
    from coalition.expertise import web as expertise_web
    from coalition.exportcontrol import api as exportcontrol_api
    from coalition.exportcontrol import web as exportcontrol_web
    from coalition.facilities import api as facilities_api
    from coalition.facilities import web as facilities_web
    from coalition.federation import api as federation_api
    from coalition.federation import protocol as federation_protocol
    from coalition.federation import web as federation_web
    from coalition.funding import api as funding_api
    from coalition.funding import web as funding_web
    from coalition.governance import api as governance_api
    from coalition.governance import web as governance_web
    from coalition.identity import api as identity_api
    from coalition.identity import web as identity_web
    from coalition.ip import api as ip_api
    from coalition.ip import web as ip_web
    from coalition.ledger import api as ledger_api
    from coalition.ledger import web as ledger_web
    from coalition.ledger import witness_api
    from coalition.notifications import api as notifications_api
    from coalition.notifications import web as notifications_web
    from coalition.projects import api as projects_api
    from coalition.projects import plan_web as projects_plan_web
    from coalition.projects import web as projects_web
    from coalition.registry import api as registry_api
    from coalition.registry import people_web
    from coalition.registry import web as registry_web
    from coalition.releases import api as releases_api
    from coalition.releases import web as releases_web
    from coalition.reports import api as reports_api
    from coalition.reports import web as reports_web
    from coalition.risks import api as risks_api
    from coalition.risks import web as risks_web
    from coalition.techdata import api as techdata_api
    from coalition.techdata import web as techdata_web
    from coalition.visits import api as visits_api
    from coalition.visits import web as visits_web
    from coalition.web import dashboard, live

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for module in (
        accounts_api,
        registry_api,
        agreements_api,
        projects_api,
        techdata_api,
        content_api,
        releases_api,
        exchange_api,
        exportcontrol_api,
        ip_api,
        funding_api,
        facilities_api,
        visits_api,
        expertise_api,
        governance_api,
        risks_api,
        disputes_api,
        notifications_api,
        reports_api,
        discussions_api,
        ledger_api,
        audit_api,
        federation_api,
        identity_api,
    ):
        app.include_router(module.router, prefix=API_PREFIX, responses=problems.RESPONSES)
    app.include_router(witness_api.router)
    app.include_router(federation_protocol.router, responses=problems.RESPONSES)
    for module in (
        accounts_web,
        identity_web,
        dashboard,
        registry_web,
        people_web,
        agreements_web,
        projects_web,
        projects_plan_web,
        techdata_web,
        content_web,
        releases_web,
        exchange_web,
        exportcontrol_web,
        ip_web,
        funding_web,
        facilities_web,
        visits_web,
        expertise_web,
        governance_web,
        risks_web,
        disputes_web,
        notifications_web,
        reports_web,
        discussions_web,
        ledger_web,
        federation_web,
        live,
    ):
        app.include_router(module.router)
