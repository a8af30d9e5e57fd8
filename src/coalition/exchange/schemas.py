"""Commands and views of partner nodes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from coalition.registry.schemas import Command, View


class PartnerIn(Command):
    name: str = Field(min_length=2, max_length=120, examples=["coalition.nor.example"])
    url: str = Field(pattern=r"^https?://", max_length=300)
    organisation_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    wrapping_key: str = Field(min_length=100, max_length=10000, description="RSA public key, PEM.")
    signing_key: str = Field(min_length=50, max_length=2000, description="Ed25519 public key, PEM.")
    log_key: str | None = Field(default=None, max_length=300, description="name+id+key.")
    witness_key: str | None = Field(
        default=None,
        max_length=300,
        description="The node's witness verifier key (name+id+key): it cosigns this node's "
        "checkpoints at URL/witness.",
    )


class PartnerOut(View):
    id: uuid.UUID
    name: str
    url: str
    organisation_ids: list[str]
    log_key: str | None
    witness_key: str | None
    created_at: datetime
    #: Whether this node's trust in it is suspended (who did so and why is for the
    #: node's operators: the federation's state).
    suspended: bool = False


class ImportOut(View):
    artifact_id: uuid.UUID
    reference: str
    #: The originator's label, kept as it came.
    banner: str
    #: The same classification in the receiving organisation's nation's scheme.
    local_classification: str | None
    partner: str
    provenance: dict[str, str]
    receipt_checked: bool
    version_sha256: str
