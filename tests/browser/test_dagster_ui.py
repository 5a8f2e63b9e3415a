"""The Dagster UI over the tiny main job's instance, as a user opens it after `make run`:
the asset lineage, materializations with their figures and images, automation, and runs."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from lipsync.stages.registry import STAGES
from tests.browser.pages import image_loaded, skip_dagster_welcome
from tests.builders import TINY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSETS = tuple(stage.name for stage in STAGES)
JOBS = ("corpus_job", "data_job", "training_job", "evaluation_job")


def open_dagster(page, served, path: str) -> None:
    page.goto(served.dagster_url + path)
    skip_dagster_welcome(page)


def metadata_row(page, label: str):
    """The metadata table row whose key is exactly ``label``."""
    return page.locator("tr").filter(has=page.get_by_text(label, exact=True)).first


def test_asset_lineage_shows_every_asset_in_its_group(page, served):
    open_dagster(page, served, "/asset-groups")
    expect(page.get_by_text("training", exact=True).first).to_be_visible()
    page.keyboard.press("Alt+e")  # "Expand all groups"
    for name in ASSETS:
        expect(page.get_by_text(name, exact=True).first).to_be_visible()


def test_faces_partition_names_its_speaker_and_clip(page, served):
    open_dagster(page, served, "/assets/faces")
    speakers = [f"spk0{i}-" for i in range(3)]
    expect(metadata_row(page, "speaker")).to_contain_text(re.compile("|".join(speakers)))
    expect(metadata_row(page, "clip")).to_contain_text(re.compile(r"clip0[0-9]"))
    expect(metadata_row(page, "face_frames")).to_contain_text(re.compile(r"\d+"))
    expect(page.get_by_text("lipsync", exact=True).first).to_be_visible()  # the owner
    for kind in ("PyTorch", "NumPy", "dvc"):
        expect(page.get_by_text(kind, exact=True).first).to_be_visible()


def test_faces_batch_shows_the_contact_sheet_once_per_run(page, served):
    open_dagster(page, served, "/assets/faces?view=events&type%5B0%5D=Observation")
    videos = TINY["corpus"]["speakers"] * TINY["corpus"]["clips_per_speaker"]
    expect(page.get_by_text(f"This run's batch of {videos} videos")).to_be_visible()
    expect(metadata_row(page, "processed")).to_contain_text(str(videos))
    expect(metadata_row(page, "frames_per_second")).to_contain_text(re.compile(r"\d"))
    thumbnail = metadata_row(page, "contact_sheet").locator("img")
    expect(thumbnail).to_be_visible()
    assert image_loaded(page, "tr img[alt='contact sheet']")
    expect(metadata_row(page, "contact_sheet_file")).to_contain_text("faces/contact_sheet.png")
    metadata_row(page, "contact_sheet_preview").get_by_text("[Show Markdown]").click()
    preview = page.get_by_role("dialog").locator("img[alt='contact sheet']")
    expect(preview).to_be_visible()
    width = preview.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width >= 200, f"the contact sheet preview is {width} px wide"


def test_generator_materialization_shows_figures_grid_and_mlflow_links(page, served):
    result = json.loads(served.project.layout.model_result("generator").read_text())
    open_dagster(page, served, "/assets/generator")
    expect(metadata_row(page, "model")).to_contain_text(f"lipsync-generator v{result['model']['version']}")
    for name in ("mouth_l1", "mouth_l1_ratio", "sync_loss_ratio"):
        expect(metadata_row(page, f"eval/{name}")).to_contain_text(f"{result['metrics'][name]:.4f}"[:5])
    expect(metadata_row(page, "steps")).to_contain_text(str(result["steps"]))
    run_link = metadata_row(page, "mlflow_run").locator("a").first
    href = run_link.get_attribute("href")
    assert href.endswith(f"/runs/{result['model']['run_id']}?workflowType=machine_learning"), href
    grid = metadata_row(page, "sample_grid").locator("img")
    grid.scroll_into_view_if_needed()
    expect(grid).to_be_visible()
    assert image_loaded(page, "tr img[alt='sample grid']")
    expect(page.get_by_text("ML Flow", exact=True).first).to_be_visible()  # kind


def test_automation_lists_the_new_videos_sensor(page, served):
    open_dagster(page, served, "/automation")
    expect(page.get_by_text("new_raw_videos", exact=True).first).to_be_visible()
    expect(page.get_by_text("Standard sensor").first).to_be_visible()
    for name in ("new_clips_since_champion", "retraining_schedule"):  # the retraining loop's triggers
        expect(page.get_by_text(name, exact=True).first).to_be_visible()


def test_promote_materialization_names_the_decision_and_its_check(page, served):
    open_dagster(page, served, "/assets/promote")
    expect(metadata_row(page, "lipsync-generator/decision")).to_contain_text("not promoted")
    expect(metadata_row(page, "lipsync-generator/reasons")).to_contain_text("self-checks")
    page.get_by_role("tab", name="Checks").click()  # the check, its latest result and the decision it describes
    expect(page.get_by_text("candidate_promoted", exact=True).first).to_be_visible()
    described = page.get_by_text(re.compile(r"^lipsync-generator: not promoted against first champion"))
    expect(described.first).to_be_visible()


def test_make_run_runs_are_on_the_timeline_and_the_jobs_page(page, served):
    open_dagster(page, served, "/overview/activity/timeline")
    for job in JOBS:  # a timeline row per job that ran (none at all before make run launched its runs)
        expect(page.get_by_text(job, exact=True).first).to_be_visible()
    expect(page.get_by_text("No runs or scheduled ticks in this time period")).to_have_count(0)
    page.goto(served.dagster_url + "/jobs")
    for job in JOBS:  # each job's entry shows when it last ran
        entry = page.get_by_role("link").filter(has=page.get_by_text(job, exact=True)).first.locator("xpath=..")
        expect(entry).to_contain_text("ago")


def test_data_run_page_shows_its_events_within_seconds(page, served):
    run_id = served.summary["runs"]["data_job"]["run_id"]
    started = time.perf_counter()
    page.goto(f"{served.dagster_url}/runs/{run_id}")
    expect(page.get_by_text("ASSET_OBSERVATION").first).to_be_visible()
    expect(page.get_by_text("ASSET_MATERIALIZATION").first).to_be_visible()
    seconds = time.perf_counter() - started
    print(f"data run page: events shown {seconds:.1f} s after opening it")
    assert seconds < 30, f"the data run's events took {seconds:.1f} s to show"
    skip_dagster_welcome(page)


def test_benchmark_materialization_shows_the_report_table_and_figures(page, served):
    report = json.loads((served.project.layout.benchmark / "benchmark.json").read_text())
    open_dagster(page, served, "/assets/benchmark")
    ours = report["means"]["reconstruction"]["ours"]["lse_c"]
    expect(metadata_row(page, "reconstruction/ours/lse_c")).to_contain_text(f"{ours:.3f}"[:4])
    expect(metadata_row(page, "report")).to_contain_text("benchmark.html")
    thumbnail = metadata_row(page, "curves").locator("img")
    expect(thumbnail).to_be_visible()
    table = metadata_row(page, "table")  # the report's table, rendered in place
    for row in ("ground truth (real video, own audio)", "copy the reference (trivial generator)", "ours",
                "Wav2Lip trained here"):  # fmt: skip
        expect(table.get_by_text(row, exact=True)).to_be_visible()
