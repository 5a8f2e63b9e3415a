"""Helpers for the browser tests: what a test does on a page, and where the runs live."""

from __future__ import annotations

import json

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def skip_dagster_welcome(page: Page) -> None:
    """Dismiss the "Join the Dagster community" dialog a fresh browser profile gets."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeout:  # not shown this time
        return
    skip.click()


def training_ids(project, stage: str) -> tuple[str, str]:
    """(MLflow experiment id, run id) of ``stage``'s training run, from its result.json."""
    result = json.loads(project.layout.model_result(stage).read_text())
    return result["experiment_id"], result["model"]["run_id"]


def image_loaded(page: Page, selector: str) -> bool:
    """Whether the first image matching ``selector`` is decoded and has a size."""
    return page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0")
