"""The instance config: telemetry off and the writers' pool of size 1, so a second run's writing
step waits for the first one's; an older dagster.yaml gets the pool added."""

import threading
import time

import dagster as dg
import yaml

from assets import WRITER_POOL
from pipelines.instance import DAGSTER_YAML, free_finished_slots, prepare_home


def test_the_pool_keeps_a_second_writer_waiting(tmp_path, monkeypatch):
    home = tmp_path / "home"
    prepare_home(home)
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == yaml.safe_load(DAGSTER_YAML)
    spans: dict[str, tuple[float, float]] = {}

    @dg.asset(pool=WRITER_POOL)
    def writer(context: dg.AssetExecutionContext) -> None:
        started = time.monotonic()
        time.sleep(1.5)
        spans[context.run_id] = (started, time.monotonic())

    with dg.DagsterInstance.local_temp(str(home)) as instance:
        info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
        assert instance.event_log_storage.supports_global_concurrency_limits and info.limit == 1
        results = []

        def materialize() -> None:
            results.append(dg.materialize([writer], instance=dg.DagsterInstance.from_ref(instance.get_ref())))

        threads = [threading.Thread(target=materialize) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == 2 and all(r.success for r in results)
        first, second = sorted(spans.values())
        assert second[0] >= first[1], f"the two writers overlapped: {first} {second}"
        assert instance.event_log_storage.get_concurrency_info(WRITER_POOL).claimed_slots == []
        assert free_finished_slots(instance, WRITER_POOL) == []


def test_an_older_dagster_yaml_gets_the_pool(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_monitoring:\n  enabled: true\n")
    prepare_home(home)
    settings = yaml.safe_load((home / "dagster.yaml").read_text())
    assert settings["concurrency"]["pools"]["default_limit"] == 1 and settings["run_monitoring"]["enabled"]
