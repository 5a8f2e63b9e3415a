"""Moving the champion: ordered and locked (a race never leaves the alias on a version with
incomplete tags), manual promotion and rollback recorded, retention deleting old versions'
files while keeping their entries, registry URIs resolved to a version once."""

from __future__ import annotations

import threading
import time

import pytest

from lipsync.tracking import open_tracking, resolve_model_uri
from lipsync.tracking import version_records as rec
from lipsync.tracking.promotion import (
    CHAMPION,
    champion_of,
    commit_decision,
    promote_by_hand,
    registry_lock,
    rollback,
)
from lipsync.tracking.retention import apply_retention, version_bytes
from lipsync.tracking.version_table import markdown, params_diff, version_rows
from tests.tracking.registry_fixtures import NAME, Store, complete


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path)


def test_aliases_move_after_the_tags_and_never_onto_an_incomplete_version(store):
    first, second = store.add(), store.add()
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none"), promote=True)
    assert champion_of(store.client, NAME) == first and store.tags(first)[rec.PREVIOUS_CHAMPION] == "none"
    incomplete = {rec.DECISION: "promoted"}
    with pytest.raises(RuntimeError, match=r"lacks tags .*benchmark.evaluator.*champion alias was not moved"):
        commit_decision(store.client, store.mlruns, NAME, second, incomplete, promote=True)
    assert champion_of(store.client, NAME) == first  # untouched
    aliases = store.client.get_registered_model(NAME).aliases
    assert int(aliases["challenger"]) == second  # the candidate is challenger either way
    commit_decision(store.client, store.mlruns, NAME, second, complete(second, "v1") | {rec.DECISION: "not promoted"},
                    promote=False)  # fmt: skip
    assert champion_of(store.client, NAME) == first and rec.PREVIOUS_CHAMPION not in store.tags(second)


def test_two_racing_promotions_are_serialised_and_the_champion_is_always_complete(store, monkeypatch):
    base, left, right = store.add(), store.add(), store.add()
    commit_decision(store.client, store.mlruns, NAME, base, complete(base, "none"), promote=True)
    slow_tag = store.client.set_model_version_tag

    def slowly(*args, **kwargs):  # widen the window between the first tag and the alias move
        time.sleep(0.02)
        slow_tag(*args, **kwargs)

    monkeypatch.setattr(store.client, "set_model_version_tag", slowly)
    seen, problems, done = [], [], threading.Event()

    def watch() -> None:
        reader = open_tracking(store.mlruns)
        while not done.is_set():
            version = champion_of(reader, NAME)
            missing = rec.missing_for_champion(reader.get_model_version(NAME, str(version)).tags)
            seen.append(version)
            if missing:
                problems.append((version, missing))

    def promote(version: int) -> None:
        with registry_lock(store.mlruns, f"test promotion of v{version}"):
            current = champion_of(store.client, NAME)  # decide against the champion of this moment
            time.sleep(0.05)
            commit_decision(store.client, store.mlruns, NAME, version, complete(version, f"v{current}"), True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    racers = [threading.Thread(target=promote, args=(v,)) for v in (left, right)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    done.set()
    watcher.join()
    assert not problems and set(seen) <= {base, left, right} and len(seen) > 3
    winner = champion_of(store.client, NAME)
    loser = left if winner == right else right
    # serialised: the second promotion compared with (and replaced) the first one's winner, not the old base
    assert store.tags(winner)[rec.PREVIOUS_CHAMPION] == str(loser)
    assert store.tags(loser)[rec.PREVIOUS_CHAMPION] == str(base)
    assert store.tags(winner)[rec.COMPARED_WITH] == f"v{loser}"


def test_rollback_restores_the_previous_champion_and_records_it(store):
    first, second = store.add(), store.add()
    with pytest.raises(ValueError, match="has no champion to roll back"):
        rollback(store.client, store.mlruns, NAME, "bad sync")
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none"), promote=True)
    commit_decision(store.client, store.mlruns, NAME, second, complete(second, "v1"), promote=True)
    before, after, run_id = rollback(store.client, store.mlruns, NAME, "bad sync in production")
    assert (before, after) == (second, first) and champion_of(store.client, NAME) == first
    assert "rolled back from v2 to v1 (bad sync in production)" in store.tags(second)[rec.ROLLED_BACK]
    assert run_id in store.tags(first)[rec.RESTORED]
    run = store.client.get_run(run_id)
    assert run.data.tags["event"] == "rollback" and run.data.tags["champion_before"] == "v2"
    assert store.client.get_registered_model(NAME).tags["last_champion"] == str(first)
    with pytest.raises(ValueError, match="replaced no earlier champion"):
        rollback(store.client, store.mlruns, NAME, "again")
    assert champion_of(store.client, NAME) == first


def test_manual_promotion_is_recorded_as_such(store):
    first, second = store.add(), store.add()
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none"), promote=True)
    run_id = promote_by_hand(store.client, store.mlruns, NAME, second, "listening test preferred it")
    tags = store.tags(second)
    assert champion_of(store.client, NAME) == second and tags[rec.DECISION] == "promoted by hand"
    assert tags[rec.REASONS] == "manual: listening test preferred it" and tags[rec.RUN] == run_id
    assert tags[rec.PREVIOUS_CHAMPION] == str(first) and "no benchmark figures" in tags[rec.SUMMARY]
    assert store.client.get_run(run_id).data.tags["event"] == "manual promotion"
    with pytest.raises(ValueError, match="already the champion"):
        promote_by_hand(store.client, store.mlruns, NAME, second, "again")
    with pytest.raises(ValueError, match="v9 does not exist"):
        promote_by_hand(store.client, store.mlruns, NAME, 9, "typo")
    assert rollback(store.client, store.mlruns, NAME, "undo")[1] == first


def test_retention_deletes_old_files_and_keeps_entries(store):
    versions = [store.add(size=1000 * (i + 1)) for i in range(6)]
    commit_decision(store.client, store.mlruns, NAME, 2, complete(2, "none"), promote=True)
    commit_decision(store.client, store.mlruns, NAME, 3, complete(3, "v2"), promote=True)  # previous champion: 2
    assert version_bytes(store.client, NAME, 1) == {"model": 1000, "checkpoints": 1000}
    pruned = apply_retention(store.client, NAME, keep_last=2, protected=set())
    assert [p["version"] for p in pruned] == [1, 4] and pruned[0]["bytes"] == 2000  # kept: 2 (previous), 3, 5, 6
    for version in versions:
        tags = store.tags(version)
        assert bool(tags.get(rec.RETENTION)) == (version in (1, 4)), version
    assert "files deleted on" in store.tags(1)[rec.RETENTION] and "the entry, its run, metrics and tags remain" in (
        store.tags(1)[rec.RETENTION])  # fmt: skip
    assert version_bytes(store.client, NAME, 1) == {"model": 0, "checkpoints": 0}
    assert version_bytes(store.client, NAME, 5)["model"] == 5000
    assert store.client.get_model_version(NAME, "1").run_id  # the entry and its run stay
    assert apply_retention(store.client, NAME, keep_last=2) == []  # once
    with pytest.raises(ValueError, match="cannot be champion: files deleted"):
        promote_by_hand(store.client, store.mlruns, NAME, 4, "old one")


def test_registry_uris_resolve_to_one_version(store):
    first, second = store.add(), store.add()
    commit_decision(store.client, store.mlruns, NAME, first, complete(first, "none"), promote=True)
    assert resolve_model_uri(store.client, f"models:/{NAME}@champion").version == first
    ref = resolve_model_uri(store.client, f"models:/{NAME}/{second}")
    assert (ref.version, ref.run_id) == (second, store.client.get_model_version(NAME, "2").run_id)
    for uri, message in (
        (f"models:/{NAME}@best", "has no alias 'best'"),
        ("runs:/x/model", "not a registry URI"),
        (f"models:/{NAME}/7", "models:/lipsync-generator/7"),
        ("models:/nothing@champion", "nothing"),
    ):
        with pytest.raises(ValueError, match=message):
            resolve_model_uri(store.client, uri)


def test_the_versions_table_marks_the_champion_and_diffs_params(store):
    first, second = store.add(steps=10), store.add(steps=20)
    tags = complete(first, "none") | rec.figure_tags({"cross_audio/lse_c": 2.5})
    commit_decision(store.client, store.mlruns, NAME, first, tags, promote=True)
    rows = version_rows(store.client, NAME)
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["aliases"] == ["challenger", CHAMPION]
    assert rows[0]["figures"] == {"cross_audio/lse_c": 2.5} and rows[1]["decision"] == "not evaluated"
    table = markdown(rows, ["cross_audio/lse_c"])
    assert "| **v1** | challenger, champion | 2.5 | syncnet-evaluator v1 | promoted | d1 | p1 | - | kept |" in table
    assert "| v2 | - | - | - | not evaluated |" in table
    assert params_diff(store.client, NAME, first, second) == {"training.generator.loop.steps": ("10", "20")}
