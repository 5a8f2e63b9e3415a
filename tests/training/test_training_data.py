"""Batch streams: shapes, seeded determinism, exact resume positions, equal epochs per
worker layout, and errors that name the bad shard."""

from __future__ import annotations

import dataclasses
import functools
import itertools

import pytest
import torch

from lipsync.training import (
    BatchStream,
    DataPosition,
    ShardError,
    collate_expert,
    collate_generator,
    expert_view,
    generator_view,
    read_split,
    shard_urls,
)
from tests.training.training_fixtures import geometry, tiny_training, write_shards

torch.set_num_threads(1)
DATA = tiny_training().data


def expert_stream(urls, data=DATA, seed=7, batch=6) -> BatchStream:
    view = functools.partial(expert_view, geometry=geometry(), data=data)
    return BatchStream(urls, view, collate_expert, batch, data, seed)


def take(stream: BatchStream, start: DataPosition, count: int) -> list:
    return list(itertools.islice(stream.batches(start), count))


def test_expert_batches_hold_groups(tmp_path):
    urls = shard_urls(write_shards(tmp_path))
    batch, position = take(expert_stream(urls), DataPosition(0, 0), 1)[0]
    k = DATA.expert_negatives
    assert batch["faces"].shape == (6, 15, 48, 96) and batch["faces"].dtype == torch.float32
    assert 0.0 <= float(batch["faces"].min()) and float(batch["faces"].max()) <= 1.0
    assert batch["mel"].shape == (6, 1 + k, 1, 80, 16) and batch["label"].shape == (6, 1 + k)
    assert (batch["label"][:, 0] == 1).all() and (batch["label"][:, 1:] == 0).all()
    assert position == DataPosition(0, 1)


def test_generator_batches_shapes(tmp_path):
    urls = shard_urls(write_shards(tmp_path))
    view = functools.partial(generator_view, geometry=geometry(), data=DATA)
    batch, _ = next(BatchStream(urls, view, collate_generator, 3, DATA, 1).batches(DataPosition(0, 0)))
    assert batch["target"].shape == (3, 3, 5, 96, 96) and batch["reference"].shape == (3, 3, 5, 96, 96)
    assert batch["mel"].shape == (3, 5, 1, 80, 16) and batch["sync_mel"].shape == (3, 1, 80, 16)
    assert batch["boxes"].shape == (3, 5, 4) and batch["landmarks"].shape == (3, 5, 5, 2)


def test_streams_are_seeded_epochs_differ_and_resume_exactly(tmp_path):
    urls = shard_urls(write_shards(tmp_path))
    straight = take(expert_stream(urls), DataPosition(0, 0), 7)  # 3 batches per epoch: crosses 2 epochs
    again = take(expert_stream(urls), DataPosition(0, 0), 7)
    assert [p for _, p in straight] == [DataPosition(e, b) for e, b in [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2)]] + [
        DataPosition(1, 3),
        DataPosition(2, 1),
    ]
    for (a, _), (b, _) in zip(straight, again, strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(straight[0][0]["faces"], straight[3][0]["faces"])  # epoch 1 is not epoch 0 again
    resumed = take(expert_stream(urls), DataPosition(0, 2), 5)  # as after a checkpoint at batch 2
    for (a, pa), (b, pb) in zip(straight[2:], resumed, strict=True):
        assert pa == pb and all(torch.equal(a[k], b[k]) for k in a)
    other_seed = take(expert_stream(urls, seed=8), DataPosition(0, 0), 1)[0][0]
    assert not torch.equal(other_seed["faces"], straight[0][0]["faces"])


def test_dataloader_workers_keep_epochs_equal(tmp_path):
    urls = shard_urls(write_shards(tmp_path, shards=2))
    data = dataclasses.replace(DATA, dataloader_workers=2, epoch_batches=4)
    positions = [p for _, p in take(expert_stream(urls, data), DataPosition(0, 0), 8)]
    assert positions == [DataPosition(0, b) for b in range(1, 5)] + [DataPosition(1, b) for b in range(1, 5)]


def test_missing_and_empty_shard_sets_are_named(tmp_path):
    with pytest.raises(ShardError, match="no shards match"):
        shard_urls(tmp_path / "nothing" / "*.tar")
    with pytest.raises(ShardError, match="shard-gone.tar does not exist"):
        shard_urls([tmp_path / "shard-gone.tar"])


def test_corrupt_shard_error_names_the_file(tmp_path):
    urls = [str(p) for p in write_shards(tmp_path, shards=1)]
    data = bytearray((tmp_path / "shard-000000.tar").read_bytes())
    (tmp_path / "shard-000000.tar").write_bytes(bytes(data[: len(data) // 3]) + b"\x00garbage" * 64)
    with pytest.raises(ShardError, match="shard-000000.tar"):
        take(expert_stream(urls), DataPosition(0, 0), 2)
    with pytest.raises(ShardError, match="shard-000000.tar"):
        read_split(urls)


def test_undecodable_member_names_shard_and_sample(tmp_path):
    import io
    import tarfile

    path = tmp_path / "shard-bad.tar"
    with tarfile.open(path, "w") as tar:
        for name, payload in [("k1.frames.npy", b"not numpy"), ("k1.json", b"{}")]:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(ShardError, match=r"shard-bad.tar: sample k1 cannot be decoded"):
        read_split([path])
