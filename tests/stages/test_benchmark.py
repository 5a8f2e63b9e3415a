"""Stage benchmark: the report's tables, figures and findings come from the evaluation."""

from __future__ import annotations

import json

from lipsync.stages import benchmark


def test_report_from_the_evaluation(tiny_evaluated):
    project, summary = tiny_evaluated
    result = benchmark.run(project.params, project.layout)
    markdown = (project.layout.benchmark / "benchmark.md").read_text()
    html = (project.layout.benchmark / "benchmark.html").read_text()
    for name in ("curves.png", "bars.png", "strip.png"):
        assert (project.layout.benchmark / name).read_bytes().startswith(b"\x89PNG")
    assert html.count("data:image/png;base64,") == 3  # self-contained
    ours = summary["means"]["reconstruction"]["ours"]["lse_c"]
    row = next(line for line in result["table"].splitlines() if line.startswith("| ours |"))
    assert f"{ours:.2f}" in row and "n/a: no AlexNet weights" in row
    assert "official Wav2Lip row is absent" in markdown and summary["evaluator"]["model"] in markdown
    assert any(line.startswith("Evaluator self-checks:") for line in result["findings"])
    saved = json.loads((project.layout.benchmark / "benchmark.json").read_text())
    assert saved["mlflow_run_id"] == result["mlflow_run_id"]
