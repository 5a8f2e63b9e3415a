"""Experiment tracking: MLflow runs for training, registered models passed by identity.

Everything is stored under one ``mlruns/`` folder (``mlflow.db`` + ``artifacts/``); browse
it with ``make mlflow-ui``. Models move between stages as :class:`ModelRef` (name,
version, run id), never as "the latest".

| module | what |
|---|---|
| ``store`` | :func:`open_tracking`, :func:`ensure_experiment` (tagged), :func:`tracking_uri`, :func:`artifact_root` |
| ``run`` | :class:`TrainingRun` (params, tags, metrics, images, checkpoints) and its :class:`TrainingHooks` |
| ``run_process`` | SIGTERM ends a run as KILLED; :func:`fail_orphaned_runs` closes runs whose process is gone |
| ``logged_model`` | :func:`log_pytorch_model` (pt2 + state dict, registered, described), :func:`load_state_dict` |
| ``model_ref`` | :class:`ModelRef`, the serialisable identity of a registered version |
| ``registry`` | :func:`set_alias`, :func:`get_alias`, :func:`resolve_model_uri`, :func:`compare_versions` |
| ``flat_params`` | :func:`flatten_params`: nested settings -> ``"a.b.c"`` params; :func:`params_hash` |
| ``promotion_settings``, ``promotion_rule`` | the ``promote`` params section; :func:`decide` (candidate vs champion) |
| ``version_records`` | the benchmark, provenance and promotion tags every evaluated version carries |
| ``promotion`` | :func:`commit_decision`, :func:`promote_by_hand`, :func:`rollback`: aliases moved last, under a lock |
| ``retention`` | :func:`apply_retention`, :func:`version_bytes`: old versions' files deleted, entries kept |
| ``version_table`` | :func:`version_rows`, :func:`params_diff`: what ``lipsync models list/compare`` print |
| ``provenance`` | :func:`git_commit` |
| ``ui_links`` | :func:`experiment_url`, :func:`run_url`, :func:`model_version_url`: links into ``make mlflow-ui`` |
"""

import os

# Before MLflow is first imported: its telemetry client is set up at import time.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from lipsync.lazy_exports import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ModelFacts": "lipsync.tracking.logged_model",
        "Scored": "lipsync.tracking.promotion_rule",
        "apply_retention": "lipsync.tracking.retention",
        "champion_of": "lipsync.tracking.promotion",
        "commit_decision": "lipsync.tracking.promotion",
        "decide": "lipsync.tracking.promotion_rule",
        "params_diff": "lipsync.tracking.version_table",
        "promote_by_hand": "lipsync.tracking.promotion",
        "registry_lock": "lipsync.tracking.promotion",
        "rollback": "lipsync.tracking.promotion",
        "version_bytes": "lipsync.tracking.retention",
        "version_rows": "lipsync.tracking.version_table",
        "ModelRef": "lipsync.tracking.model_ref",
        "TrainingHooks": "lipsync.tracking.run",
        "TrainingRun": "lipsync.tracking.run",
        "artifact_root": "lipsync.tracking.store",
        "compare_versions": "lipsync.tracking.registry",
        "ensure_experiment": "lipsync.tracking.store",
        "fail_orphaned_runs": "lipsync.tracking.run_process",
        "experiment_url": "lipsync.tracking.ui_links",
        "flatten_params": "lipsync.tracking.flat_params",
        "get_alias": "lipsync.tracking.registry",
        "params_hash": "lipsync.tracking.flat_params",
        "resolve_model_uri": "lipsync.tracking.registry",
        "git_commit": "lipsync.tracking.provenance",
        "load_state_dict": "lipsync.tracking.logged_model",
        "log_pytorch_model": "lipsync.tracking.logged_model",
        "model_version_url": "lipsync.tracking.ui_links",
        "open_tracking": "lipsync.tracking.store",
        "registered_models_url": "lipsync.tracking.ui_links",
        "run_url": "lipsync.tracking.ui_links",
        "registered_version_exists": "lipsync.tracking.registry",
        "set_alias": "lipsync.tracking.registry",
        "tracking_uri": "lipsync.tracking.store",
    },
)
__all__ = sorted(__dir__())
