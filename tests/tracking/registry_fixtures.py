"""A temporary MLflow registry with cheap versions (a fake model folder and a logged checkpoint
each), for tests of promotion, rollback, retention and the retraining triggers."""

from __future__ import annotations

from pathlib import Path

from lipsync.tracking import ensure_experiment, open_tracking
from lipsync.tracking import version_records as rec

NAME = "lipsync-generator"


class Store:
    """A temporary registry whose versions have a fake model folder and a logged checkpoint."""

    def __init__(self, root: Path) -> None:
        self.mlruns = root / "mlruns"
        self.client = open_tracking(self.mlruns)
        self.experiment = ensure_experiment(self.client, "generator", self.mlruns)

    def add(self, steps: int = 10, size: int = 3000, name: str = NAME, manifest: dict | None = None,
            tags: dict[str, str] | None = None) -> int:  # fmt: skip
        """A new version of ``name``; ``manifest``: the shards manifest its run logs as ``data/manifest.json``."""
        run = self.client.create_run(self.experiment, run_name=f"generator-{steps}")
        self.client.log_param(run.info.run_id, "training.generator.loop.steps", str(steps))
        self.client.log_text(run.info.run_id, "c" * size, "checkpoints/step-00000010.pt")
        if manifest is not None:
            self.client.log_dict(run.info.run_id, manifest, "data/manifest.json")
        model = self.mlruns / "models" / run.info.run_id
        model.mkdir(parents=True)
        (model / "state_dict.pt").write_bytes(b"w" * size)
        if not self.client.search_registered_models(f"name = '{name}'"):
            self.client.create_registered_model(name)
        found = self.client.create_model_version(name, source=model.as_uri(), run_id=run.info.run_id, tags=tags)
        return int(found.version)

    def tags(self, version: int, name: str = NAME) -> dict[str, str]:
        return self.client.get_model_version(name, str(version)).tags


def complete(version: int, compared_with: str) -> dict[str, str]:
    """Every tag a champion needs."""
    return {rec.EVALUATOR: "syncnet-evaluator v1", rec.EVALUATION: "e1", rec.LSE_RELIABLE: "true",
            rec.DECISION: "promoted", rec.SUMMARY: f"v{version} won", rec.REASONS: "passed primary",
            rec.RUN: "run", "data_version": "d1", "params_hash": "p1", rec.COMPARED_WITH: compared_with}  # fmt: skip
