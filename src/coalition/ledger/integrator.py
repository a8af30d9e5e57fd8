"""The background integrator of a serving node: gives pending entries their indexes within
a bounded delay (PostgreSQL: writers only insert pending rows), and signs a checkpoint
periodically when the log has grown and a key exists."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from coalition.ledger import cosigning, keys, log, services
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

logger = logging.getLogger(__name__)


class Integrator:
    def __init__(self, uow: Callable[[], UnitOfWork], settings: Settings) -> None:
        self._uow = uow
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-integrator", daemon=True)
        self._signed_size = -1
        self._last_checkpoint = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def integrate_now(self) -> int:
        """Integrate what is pending, committing batch by batch: under sustained writes
        there is always more, and waiting for none would hold every entry back."""
        total = 0
        while True:
            with self._uow() as unit:
                unit.for_writing()
                count = log.integrate(unit.session)
                unit.commit()
            total += count
            if count < log.BATCH:
                return total

    def _run(self) -> None:
        interval = self._settings.ledger_integrate_interval_ms / 1000
        while not self._stop.wait(interval):
            try:
                self.integrate_now()
                self._maybe_checkpoint()
            except Exception:  # keep integrating after a transient failure; say so
                logger.exception("ledger integration failed; retrying")

    def _maybe_checkpoint(self) -> None:
        every = self._settings.ledger_checkpoint_interval_seconds
        if not every or time.monotonic() - self._last_checkpoint < every:
            return
        self._last_checkpoint = time.monotonic()
        key_file = self._settings.effective_ledger_key_file
        if not key_file.exists():
            return
        with self._uow() as unit:
            size, _ = log.head(unit.session)
        if size != self._signed_size:
            signer = keys.load_signer(key_file, self._settings.ledger_origin)
            signed = services.sign_checkpoint(
                self._uow(), signer, self._settings.ledger_checkpoint_file
            )
            self._signed_size = signed.checkpoint.size
        # Also when nothing new was signed: a witness that failed last round is asked again
        # (one that has cosigned is not).
        cosigning.collect_now(self._uow, self._settings)
