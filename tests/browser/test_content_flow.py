"""Content in a real Chromium: a researcher uploads a version on the artifact page (the
form streams into the sealer) and downloads it with its banner."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in
from tests.browser.test_techdata_flows import PASSWORD, UowFactory, _artifact_id, _programme

pytestmark = pytest.mark.browser


def test_a_researcher_uploads_a_version_and_downloads_it_marked(
    page: Page, live_uow: UowFactory, csp_violations: list[str], tmp_path: Path
) -> None:
    programme = _programme(live_uow)
    artifact = _artifact_id(live_uow, programme.seen)
    source = tmp_path / "survey.txt"
    source.write_text("Inlet pressure survey, run 7\n")
    log_in(page, "priya", PASSWORD)
    page.goto(f"/artifacts/{artifact}")
    expect(page.get_by_text("No content yet.")).to_be_visible()
    page.get_by_label("What changed (optional)").fill("first survey")
    page.get_by_label("File").set_input_files(str(source))
    page.get_by_role("button", name="Upload a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 uploaded: survey.txt")
    versions = page.get_by_role("table", name="Versions")
    expect(versions).to_contain_text("survey.txt")
    expect(versions).to_contain_text("first survey")
    expect(versions).to_contain_text("text/plain")

    with page.expect_download() as download:
        versions.get_by_role("link", name="Download").click()
    lines = Path(download.value.path()).read_text().split("\n")
    assert lines[0] == lines[-2] == "UNCLASSIFIED//REL TO USA, GBR"
    assert "Inlet pressure survey, run 7" in lines
    assert download.value.suggested_filename == "survey.txt"
    assert not csp_violations
