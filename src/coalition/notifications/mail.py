"""The sender: delivers the mail outbox over SMTP.

Each e-mail is claimed (its next attempt pushed past the time a send can take) in one
transaction, sent, then marked sent in another; two senders never take the same e-mail,
and one killed between sending and marking sends it again after the claim lapses (at least
once; its Message-ID, fixed per notification, lets mail programs drop the copy). A failed
attempt waits 1, 2, 4... minutes before the next, up to ``mail_max_attempts``. The server
password is read from its file at each pass and never written anywhere."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import func, select, update

from coalition.notifications.models import OutgoingMail
from coalition.notifications.schemas import MailRunOut
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

CLAIM = timedelta(minutes=5)
BATCH = 100


def _password(settings: Settings) -> str | None:
    path = settings.smtp_password_file
    return path.read_text(encoding="utf-8").strip() if path is not None else None


def _message(settings: Settings, mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.smtp_from.rpartition("@")[2] or "coalition.invalid"
    message["Message-ID"] = f"<{mail.notification_id}@{domain}>"
    message.set_content(mail.body)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    if settings.smtp_starttls:
        server.starttls(context=ssl.create_default_context())
    if settings.smtp_username:
        server.login(settings.smtp_username, _password(settings) or "")
    return server


def send_due(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, now: datetime | None = None
) -> MailRunOut:
    """Send the e-mails that are due; a pass takes at most one batch."""
    at = now or datetime.now(UTC)
    sent = failed = given_up = 0
    if not settings.smtp_host:
        return MailRunOut(sent=0, failed=0, given_up=0, waiting=_waiting(uow_factory(), settings))
    with uow_factory() as uow:
        due = list(
            uow.session.scalars(
                select(OutgoingMail.id)
                .where(
                    OutgoingMail.sent_at.is_(None),
                    OutgoingMail.attempts < settings.mail_max_attempts,
                    OutgoingMail.next_attempt_at <= at,
                )
                .order_by(OutgoingMail.id)
                .limit(BATCH)
            )
        )
    server: smtplib.SMTP | None = None
    try:
        for mail_id in due:
            # Claimed from the moment it is taken, not from the pass's start: a slow pass
            # never lets another sender take a mail still being sent.
            mail = _claim(uow_factory, mail_id, max(at, datetime.now(UTC)))
            if mail is None:
                continue
            try:
                if server is None:
                    server = _connect(settings)
                server.send_message(_message(settings, mail))
            except Exception as exc:
                server = None
                attempts = mail.attempts + 1
                gave_up = attempts >= settings.mail_max_attempts
                _finish(
                    uow_factory,
                    mail_id,
                    attempts=attempts,
                    next_at=at + timedelta(minutes=2 ** (attempts - 1)),
                    error=f"{type(exc).__name__}: {str(exc)[:400]}",
                )
                failed += 1
                given_up += gave_up
                continue
            _finish(uow_factory, mail_id, attempts=mail.attempts + 1, sent_at=at)
            sent += 1
    finally:
        if server is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
    return MailRunOut(
        sent=sent, failed=failed, given_up=given_up, waiting=_waiting(uow_factory(), settings)
    )


def _claim(
    uow_factory: Callable[[], UnitOfWork], mail_id: int, at: datetime
) -> OutgoingMail | None:
    with uow_factory() as uow:
        uow.for_writing()
        claimed = uow.session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.id == mail_id,
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.next_attempt_at <= at,
            )
            .values(next_attempt_at=at + CLAIM)
        ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            return None
        mail = uow.session.get(OutgoingMail, mail_id)
        uow.commit()
        return mail


def _finish(
    uow_factory: Callable[[], UnitOfWork],
    mail_id: int,
    *,
    attempts: int,
    sent_at: datetime | None = None,
    next_at: datetime | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {"attempts": attempts}
    if sent_at is not None:
        values |= {"sent_at": sent_at, "last_error": None}
    if next_at is not None:
        values |= {"next_attempt_at": next_at, "last_error": error}
    with uow_factory() as uow:
        uow.session.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id).values(values))
        uow.commit()


def _waiting(uow: UnitOfWork, settings: Settings) -> int:
    with uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(OutgoingMail)
                .where(
                    OutgoingMail.sent_at.is_(None),
                    OutgoingMail.attempts < settings.mail_max_attempts,
                )
            )
            or 0
        )


class Sender:
    """Sends the outbox every ``interval`` seconds in a thread of the web process."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        settings: Settings,
        interval: float = 30.0,
    ) -> None:
        self.uow_factory, self.settings, self.interval = uow_factory, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        import logging

        log = logging.getLogger("coalition.mail")
        while not self._stop.wait(self.interval):
            try:
                result = send_due(self.uow_factory, self.settings)
            except Exception:  # the thread must survive a database hiccup
                log.exception("mail pass failed")
                continue
            if result.sent or result.failed:
                log.info("mail: %d sent, %d failed", result.sent, result.failed)
