"""The auditor's ledger page in a real Chromium: the checkpoint with its cosigners and its
verification, an entry search by tag and outcome, a receipt, and an audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in
from tests.witnesses import WitnessNode, network, witness_node

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.ledger import cosigning, keys, services
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

pytestmark = pytest.mark.browser
ORIGIN = "coalition.example/ledger"

PASSWORD = "browser-test-passphrase-42"


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[WitnessNode]:
    """A partner's node that witnesses this node's log (its key is made first, so the
    served node's settings can name it)."""
    log_key = keys.keygen(tmp_path / "keys" / "ledger.key", ORIGIN)
    with witness_node(tmp_path / "nor", "nor", log_key.verifier.encoded()) as node:
        yield node


@pytest.fixture
def live_settings(tmp_path: Path, witness: WitnessNode) -> Settings:
    return Settings(
        data_dir=tmp_path,
        host="127.0.0.1",
        ledger_origin=ORIGIN,
        ledger_witnesses=witness.setting,
        ledger_witness_quorum=1,
    )


def test_an_auditor_sees_the_cosigned_checkpoint_searches_the_ledger_and_audits_it(
    page: Page,
    live_uow: Callable[[], UnitOfWork],
    live_settings: Settings,
    witness: WitnessNode,
    csp_violations: list[str],
) -> None:
    create_account(
        live_uow(),
        Principal.operator("test"),
        AccountIn(
            username="inspector",
            display_name="Inspector",
            password=PASSWORD,
            grants=[GrantIn(role=Role.AUDITOR)],
        ),
    )
    page.goto("/login")  # a failed log-in first, for the search by outcome below
    page.get_by_label("Username").fill("inspector")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    log_in(page, "inspector", PASSWORD)
    page.get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Transparency ledger")).to_be_visible()
    expect(page.get_by_test_id("verification")).to_contain_text("no checkpoint is signed yet")

    # The node signs a checkpoint and its witness, another node, cosigns it.
    signer = keys.load_signer(live_settings.effective_ledger_key_file, ORIGIN)
    services.sign_checkpoint(live_uow(), signer, live_settings.ledger_checkpoint_file)
    with network([witness]) as http:
        (outcome,) = cosigning.collect(live_uow, (witness.entry,), http)
    assert outcome.cosigned, outcome.problem
    page.reload()
    expect(page.get_by_test_id("verification")).to_contain_text(
        "verified: signed by coalition.example/ledger, cosigned by 1 of 1 witnesses (quorum 1)"
    )
    cosigners = page.get_by_role("table", name="Cosigners of the latest checkpoint")
    expect(cosigners).to_contain_text("nor.example/witness")

    page.get_by_label("Tag starts with").fill("accounts:login")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("row").filter(has_text="accounts:login:ok")
    expect(rows.first).to_contain_text("inspector")
    expect(page.get_by_role("row").filter(has_text="accounts:account:create")).to_have_count(0)

    page.get_by_label("Tag starts with").fill("")
    page.get_by_label("Outcome").select_option("bad-password")
    page.get_by_role("button", name="Search").click()
    failed = page.get_by_role("row").filter(has_text="accounts:login:failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("bad-password")
    with page.expect_download() as download:
        failed.get_by_role("link", name="download").click()
    receipt = Path(download.value.path()).read_text()
    assert receipt.startswith("c2sp.org/tlog-proof@v1") and "— nor.example/witness " in receipt

    page.get_by_role("button", name="Recompute and verify the whole log").click()
    expect(page.get_by_role("status")).to_contain_text("Audit passed")
    assert not csp_violations
