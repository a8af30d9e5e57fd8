"""The OpenAPI description of the node-to-node protocol alone (docs/federation-openapi.json
is this, and a test keeps it so)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from coalition import __version__
from coalition.federation import protocol
from coalition.web import problems


def protocol_openapi() -> dict[str, Any]:
    app = FastAPI()
    app.include_router(protocol.router, responses=problems.RESPONSES)
    document = get_openapi(
        title="Coalition node-to-node protocol",
        version=__version__,
        summary="What national Coalition nodes ask of each other.",
        description=(
            "Every operation but GET /federation/v1/node must carry an RFC 9421 HTTP "
            "Message Signature made with the calling node's Ed25519 key (label `node`, "
            f"tag `{protocol.TAG_SIGNATURE}`) covering `@method`, `@path`, `@query`, "
            "`coalition-recipient` (the called node's name) and, with a body, "
            "`content-digest` (RFC 9530, sha-256); with `created`, `expires` (at most 60 "
            "s later), `keyid` and a `nonce` never used before. See docs/federation.md."
        ),
        routes=app.routes,
    )
    document["components"] = {
        **document.get("components", {}),
        "securitySchemes": {
            "httpMessageSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "Signature",
                "description": "RFC 9421 signature (with Signature-Input), see above.",
            }
        },
    }
    for path, operations in document["paths"].items():
        if path == f"{protocol.PREFIX}/node":
            continue
        for operation in operations.values():
            operation["security"] = [{"httpMessageSignature": []}]
    return document
