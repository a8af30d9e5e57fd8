"""A real OpenID Connect provider (the npm package oidc-provider, tests/oidc/server.mjs)
on a free loopback port, and a driver that signs a person in through it as a browser would.

Where node or tests/oidc/node_modules is missing the tests that need the provider skip with
the reason (`npm ci --prefix tests/oidc` installs it), unless COALITION_REQUIRE_OIDC=1
(CI), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
SERVER = OIDC_DIR / "server.mjs"
CLIENT_ID = "coalition-test"
CLIENT_SECRET = "test-client-secret-not-for-production"
START_SECONDS = 20


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str


def _require_flag() -> bool:
    return os.environ.get("COALITION_REQUIRE_OIDC", "") not in ("", "0", "false", "no")


def _unavailable() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "node is not installed (the OpenID provider of the SSO tests runs on it)"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc`"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ProviderProcess:
    process: subprocess.Popen[bytes]
    log: Path


def _start(
    redirect_uris: Sequence[str], accounts: list[dict[str, Any]], folder: Path
) -> tuple[RunningProvider, ProviderProcess]:
    folder.mkdir(parents=True, exist_ok=True)
    accounts_file = folder / "accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    log = folder / "provider.log"
    # The port is chosen then released: node binds it a moment later (a tiny race a retry
    # covers).
    for _attempt in range(3):
        port = _free_port()
        issuer = f"http://127.0.0.1:{port}"
        args = ["node", str(SERVER), "--port", str(port), "--client-id", CLIENT_ID]
        args += ["--accounts", str(accounts_file)]
        for uri in redirect_uris:
            args += ["--redirect-uri", uri]
        with log.open("wb") as out:
            process = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "OIDC_CLIENT_SECRET": CLIENT_SECRET},
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                if answer.status_code == 200:
                    return (
                        RunningProvider(issuer, CLIENT_ID, CLIENT_SECRET),
                        ProviderProcess(process, log),
                    )
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        _stop(process)
    pytest.fail(f"the OpenID provider did not start: {log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


ProviderFactory = Callable[[Sequence[str], list[dict[str, Any]]], RunningProvider]


@pytest.fixture(scope="module")
def oidc_provider_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderFactory]:
    """Starts providers with the given redirect URIs and accounts, once per module for each
    such pair (a provider keeps no state a new browser would see); stops them after."""
    reason = _unavailable()
    if reason is not None:
        if _require_flag():
            pytest.fail(reason)
        pytest.skip(reason)
    started: dict[str, tuple[RunningProvider, ProviderProcess]] = {}

    def start(redirect_uris: Sequence[str], accounts: list[dict[str, Any]]) -> RunningProvider:
        wanted = json.dumps([list(redirect_uris), accounts], sort_keys=True)
        if wanted not in started:
            started[wanted] = _start(redirect_uris, accounts, tmp_path_factory.mktemp("oidc"))
        return started[wanted][0]

    try:
        yield start
    finally:
        for _provider, running in started.values():
            _stop(running.process)


# --- a browser, as far as the provider's development forms need one -------------------------

_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def through_provider(authorization_url: str, subject: str, back_to: str) -> str:
    """Follow the provider's redirects, submit its login form (as ``subject``) and its
    consent form; return the URL it sends the browser back to (starting with ``back_to``).
    """
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorization_url)
        for _step in range(20):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(back_to):
                    return target
                response = browser.get(target)
                continue
            assert response.status_code == 200, response.text
            action = _FORM_ACTION.search(response.text)
            assert action is not None, response.text
            submit = urljoin(str(response.url), unescape(action.group(1)))
            if 'name="prompt" value="login"' in response.text:
                form = {"prompt": "login", "login": subject, "password": "any password"}
            elif 'name="prompt" value="consent"' in response.text:
                form = {"prompt": "consent"}
            else:
                raise AssertionError(f"an unexpected page from the provider: {response.text}")
            response = browser.post(submit, data=form)
    raise AssertionError("the provider never sent the browser back")


def path_of(url: str) -> str:
    """'http://127.0.0.1/login/sso/gbr/callback?code=...' -> '/login/sso/gbr/callback?code=...'"""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
