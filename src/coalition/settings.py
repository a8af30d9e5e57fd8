"""Node settings, read once from the environment (``COALITION_*``) or a ``.env`` file.

Every setting is documented in docs/operator-guide.md; a test fails when one is not.
Secrets (the session key) live in files under the data directory, never in the database.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALITION_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file and keys.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite in the data directory."
    )
    host: str = Field(default="127.0.0.1", description="Address `coalition serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `coalition serve` uses.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Send session cookies only over HTTPS; default: on unless bound to loopback.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, ge=60, description="A browser session ends this long after log-in."
    )
    session_idle_seconds: int = Field(
        default=3600, ge=60, description="A browser session ends after this long unused."
    )
    live_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often each open page's live-update stream asks the database "
        "whether its reader's counts changed.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failures for one username from one address before a pause."
    )
    login_lockout_seconds: int = Field(
        default=300, ge=1, description="Window for counting failures, and length of the pause."
    )
    sso_secrets_dir: Path | None = Field(
        default=None,
        description="Folder holding the client secrets of identity providers (files of mode "
        "0600); a provider's client_secret_file must be inside it. Default: sso in the data "
        "directory.",
    )
    reference_dir: Path | None = Field(
        default=None, description="Folder with classification-schemes.yaml and groups.yaml."
    )
    trusted_proxies: str = Field(
        default="", description="Comma-separated proxy addresses whose X-Forwarded-* we trust."
    )
    log_level: str = Field(default="INFO")
    ledger_origin: str = Field(
        default="coalition.example/ledger",
        pattern=r"^[^\s+]+$",
        description="The log's origin line in checkpoints and its key name (no spaces or '+').",
    )
    ledger_integrate_interval_ms: int = Field(
        default=250, ge=10, le=60000, description="How often the server integrates new entries."
    )
    ledger_checkpoint_interval_seconds: int = Field(
        default=300, ge=0, description="How often the server signs a checkpoint (0: never)."
    )
    witness_name: str = Field(
        default="coalition.example/witness",
        pattern=r"^[^\s+]+$",
        description="The name this node cosigns with when it witnesses partners' logs.",
    )
    witness_key_file: Path | None = Field(
        default=None,
        description="The witness signing key; default: keys/witness.key in the data directory.",
    )
    witness_logs: str = Field(
        default="",
        description="Verifier keys (name+id+key) of the partner logs this node witnesses, "
        "separated by spaces or commas.",
    )
    package_key_file: Path | None = Field(
        default=None,
        description="The RSA key packages addressed to this node are wrapped for; default: "
        "keys/package.key in the data directory (coalition package keygen).",
    )
    package_signing_key_file: Path | None = Field(
        default=None,
        description="The Ed25519 key that binds the assertions of packages this node "
        "releases; default: keys/package-signing.key in the data directory.",
    )
    release_lead_working_days: int = Field(
        default=10,
        ge=0,
        le=250,
        description="Working days a nation has to approve a release, by default.",
    )
    release_lead_overrides: str = Field(
        default="",
        description="Other lead times per nation, e.g. 'USA=15, GBR=7'.",
    )
    visit_lead_working_days: int = Field(
        default=20,
        ge=0,
        le=250,
        description="Working days' notice a host nation needs of a request for visit, by "
        "default (counted in the host nation's working days).",
    )
    visit_lead_overrides: str = Field(
        default="",
        description="Other visit lead times per host nation, e.g. 'USA=30, NOR=10'.",
    )
    visit_clearance_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Working days the visitor's home security office has to confirm a "
        "clearance after the request.",
    )
    visit_reminder_working_days: int = Field(
        default=2,
        ge=0,
        le=30,
        description="A pending step of a visit is reminded this many working days before "
        "it is due, and every day once overdue.",
    )
    smtp_host: str = Field(
        default="",
        description="The mail server that sends notifications; empty: no e-mail, the "
        "in-app inbox only.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The mail server's port.")
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the connection with STARTTLS before logging in (turn off only "
        "for a relay on the same host).",
    )
    smtp_username: str = Field(default="", description="Login at the mail server, if any.")
    smtp_password_file: Path | None = Field(
        default=None,
        description="A file holding the mail server password (kept out of the environment, "
        "the database and the logs).",
    )
    smtp_from: str = Field(
        default="coalition@localhost", description="The From address of notification e-mail."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="This node's address as its users reach it: links in e-mail start with it, "
        "and so do single sign-on redirect URIs.",
    )
    mail_max_attempts: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Tries to send one e-mail (with growing waits) before giving it up.",
    )
    ledger_witnesses: str = Field(
        default="",
        description="The witnesses this node asks to cosign its checkpoints: entries "
        "separated by ';' or new lines, each the witness's verifier key (name+id+key) and "
        "its tlog-witness URL prefix (add-checkpoint is appended), separated by a space.",
    )
    ledger_witness_quorum: int = Field(
        default=0,
        ge=0,
        description="How many of the configured witnesses must cosign a checkpoint before "
        "the auditor's page calls it verified.",
    )
    content_key_file: Path | None = Field(
        default=None,
        description="The key that wraps every artifact's data key; default: "
        "keys/content.key in the data directory (created on first use, mode 0600).",
    )
    content_dir: Path | None = Field(
        default=None,
        description="Where sealed content is kept; default: content/ in the data directory.",
    )
    content_store: Literal["local", "s3"] = Field(
        default="local",
        description="Where sealed content is kept: the local folder, or an S3-compatible "
        "bucket (needs boto3: pip install 'coalition[s3]').",
    )
    s3_bucket: str = Field(default="", description="The bucket, with content_store=s3.")
    s3_prefix: str = Field(default="coalition/", description="The key prefix in the bucket.")
    s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible service's URL (MinIO, Ceph); default: AWS."
    )
    s3_region: str | None = Field(default=None, description="The bucket's region.")
    upload_max_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="The largest content version accepted, in bytes.",
    )
    ledger_key_file: Path | None = Field(
        default=None,
        description="The ledger's signing key; default: keys/ledger.key in the data directory.",
    )
    node_name: str = Field(
        default="",
        description="This node's name as its partners register it (the host name they "
        "reach it by); default: the host part of the ledger origin.",
    )
    node_nations: str = Field(
        default="",
        pattern=r"^\s*([A-Za-z]{3}\s*(,\s*[A-Za-z]{3}\s*)*)?$",
        description="The nations (alpha-3, comma-separated) whose organisations this node "
        "hosts: deliveries from partners are taken in only for those. Empty: every "
        "organisation no partner node serves (set it on a node in production).",
    )
    federation_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a serving node sends what its outbox holds, and checks its "
        "partners' checkpoints.",
    )
    federation_max_attempts: int = Field(
        default=30,
        ge=1,
        le=1000,
        description="Tries to deliver one package (with growing waits) before it is marked "
        "failed for an operator to retry.",
    )
    federation_backoff_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The wait after a delivery's first failed attempt; it doubles with each "
        "further one, up to an hour.",
    )
    federation_clock_skew_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="How old (or how far ahead of this node's clock) a partner's signed "
        "request may be; older ones are refused, and nonces are kept this long.",
    )
    federation_ca_file: Path | None = Field(
        default=None,
        description="CA certificates (PEM) to check partners' HTTPS with, instead of the "
        "system's; for partners with certificates from a national or private CA.",
    )
    federation_directory_interval_seconds: int = Field(
        default=3600,
        ge=10,
        description="How often a serving node fetches its partners' signed directories.",
    )
    federation_transport: Literal["https", "nats"] = Field(
        default="https",
        description="How events between nodes travel: HTTPS only, or also NATS JetStream "
        "(needs nats-py: pip install 'coalition[nats]', and COALITION_NATS_URL).",
    )
    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="The NATS server with JetStream, with federation_transport=nats.",
    )
    nats_subject_prefix: str = Field(
        default="coalition",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The first token of the federation's NATS subjects (one stream holds "
        "them all): the same on every node of a federation.",
    )
    tls_cert_file: Path | None = Field(
        default=None,
        description="With tls_key_file: `coalition serve` speaks HTTPS with this "
        "certificate chain (PEM), as partners reach a node.",
    )
    tls_key_file: Path | None = Field(
        default=None, description="The private key (PEM) of tls_cert_file."
    )

    @field_validator("ledger_witnesses")
    @classmethod
    def _witnesses_parse(cls, value: str) -> str:
        from coalition.ledger.cosigning import parse_witnesses  # the settings load first

        parse_witnesses(value)
        return value

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> Settings:
        if self.content_store == "s3" and not self.s3_bucket:
            raise ValueError("COALITION_S3_BUCKET is required with COALITION_CONTENT_STORE=s3")
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'coalition.db').resolve()}"

    @property
    def effective_cookie_secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return not _is_loopback(self.host)

    @property
    def effective_sso_secrets_dir(self) -> Path:
        return self.sso_secrets_dir or self.data_dir / "sso"

    @property
    def effective_reference_dir(self) -> Path:
        return self.reference_dir or Path(__file__).parent / "reference"

    @property
    def effective_ledger_key_file(self) -> Path:
        return self.ledger_key_file or self.data_dir / "keys" / "ledger.key"

    @property
    def effective_content_key_file(self) -> Path:
        return self.content_key_file or self.data_dir / "keys" / "content.key"

    @property
    def effective_content_dir(self) -> Path:
        return self.content_dir or self.data_dir / "content"

    @property
    def effective_package_key_file(self) -> Path:
        return self.package_key_file or self.data_dir / "keys" / "package.key"

    @property
    def effective_package_signing_key_file(self) -> Path:
        return self.package_signing_key_file or self.data_dir / "keys" / "package-signing.key"

    @property
    def effective_node_name(self) -> str:
        return self.node_name or self.ledger_origin.split("/", 1)[0]

    @property
    def hosted_nations(self) -> frozenset[str] | None:
        """The nations of COALITION_NODE_NATIONS, or None when it is not set."""
        codes = frozenset(c.strip().upper() for c in self.node_nations.split(",") if c.strip())
        return codes or None

    @property
    def effective_witness_key_file(self) -> Path:
        return self.witness_key_file or self.data_dir / "keys" / "witness.key"

    @property
    def ledger_checkpoint_file(self) -> Path:
        """The latest signed checkpoint, kept outside the database against rollback."""
        return self.data_dir / "ledger" / "checkpoint"

    @cached_property
    def session_secret(self) -> str:
        return read_or_create_secret(self.data_dir / "keys" / "session.key")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MIN_SECRET_LENGTH = 32


def read_or_create_secret(path: Path) -> str:
    """Return the secret kept in ``path``, creating it with mode 0600 on first use.

    The secret is written to a private temporary file which is then hard-linked into place:
    the link either appears complete or fails because another worker won, so nobody ever
    reads a half-written (or empty) key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds a secret shorter than {MIN_SECRET_LENGTH} characters")
    return secret
