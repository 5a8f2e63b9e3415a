"""The MLflow UI over the tiny main job's store: an experiment opens on its runs, a run shows
its labelled sample grid, and the registry describes each model and version, with the aliases
and the benchmark and promotion tags the promote stage wrote."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from lipsync.tracking.ui_links import experiment_url, model_version_url, registered_models_url, run_url
from tests.browser.pages import image_loaded, training_ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REGISTERED = {
    "syncnet_expert": "syncnet-expert",
    "generator": "lipsync-generator",
    "wav2lip_baseline": "wav2lip-baseline",
}


def test_experiment_link_opens_on_its_training_runs(page, served):
    experiment_id, run_id = training_ids(served.project, "generator")
    page.goto(experiment_url(served.mlflow_url, experiment_id))
    expect(page.get_by_role("link", name="generator-", exact=False).first).to_be_visible()
    assert "/runs" in page.url and "/traces" not in page.url and "overview" not in page.url, page.url
    expect(page.get_by_text("lipsync-generator").first).to_be_visible()  # its registered model
    expect(page.get_by_text("Model training").first).to_be_visible()


def test_run_page_shows_the_latest_labelled_sample_grid(page, served):
    experiment_id, run_id = training_ids(served.project, "generator")
    page.goto(run_url(served.mlflow_url, experiment_id, run_id))
    for constant in ("eval.copy_l1", "eval.windows"):  # constants are params, not flat charts
        expect(page.get_by_text(constant, exact=True).first).to_be_visible()
    page.goto(run_url(served.mlflow_url, experiment_id, run_id, tab="model-metrics"))
    expect(page.get_by_text("eval/sample_grid", exact=True)).to_be_visible()
    expect(page.get_by_text("mouth_l1", exact=True).first).to_be_visible()  # an eval chart
    expect(page.get_by_text("No image logged at this step")).to_have_count(0)
    grid = page.locator("img[src*='sample_grid']").first
    grid.scroll_into_view_if_needed()  # the card lists the run's params above its image
    expect(grid).to_be_visible()
    assert image_loaded(page, "img[src*='sample_grid']")
    size = grid.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert max(size) == 256 and min(size) >= 150, f"thumbnail {size}: the grid should be close to square"


def test_registry_lists_the_models_with_descriptions_and_tags(page, served):
    page.goto(registered_models_url(served.mlflow_url))
    for stage, name in REGISTERED.items():
        row = page.get_by_role("row").filter(has=page.get_by_text(name, exact=True)).first
        expect(row).to_contain_text(f"stage: {stage}")
    result = json.loads(served.project.layout.model_result("generator").read_text())
    page.goto(model_version_url(served.mlflow_url, "lipsync-generator", result["model"]["version"]))
    expect(page.get_by_text(f"shard data version {result['data_version']}", exact=False).first).to_be_visible()
    for tag in ("data_version", "stage", "mouth_l1_ratio", "steps"):
        expect(page.get_by_text(tag, exact=True).first).to_be_visible()
    page.goto(f"{served.mlflow_url}/#/models/lipsync-generator")
    expect(page.get_by_text("LipSyncGenerator", exact=False).first).to_be_visible()  # what the model is


def test_registry_shows_aliases_and_benchmark_tags(page, served):
    """The promote stage's records as a registry user sees them: the challenger alias on the model page
    and on its version, whose tags hold the benchmark figures, their evaluator and the decision."""
    version = json.loads(served.project.layout.model_result("generator").read_text())["model"]["version"]
    page.goto(f"{served.mlflow_url}/#/models/lipsync-generator")
    expect(page.get_by_text(re.compile(r"@\s*challenger")).first).to_be_visible()
    page.goto(model_version_url(served.mlflow_url, "lipsync-generator", version))
    expect(page.get_by_text(re.compile(r"@\s*challenger")).first).to_be_visible()
    for tag in ("benchmark.cross_audio.lse_c", "benchmark.evaluator", "promotion.decision", "params_hash"):
        expect(page.get_by_text(tag, exact=True).first).to_be_visible()
    expect(page.get_by_text("not promoted", exact=True).first).to_be_visible()  # the tiny evaluator is unreliable
