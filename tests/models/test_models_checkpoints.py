"""Checkpoints: the Wav2Lip dict format round trip, DataParallel prefixes, TorchScript,
key-by-key errors for the wrong architecture, and refusal of arbitrary pickles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

from lipsync.models import (
    CheckpointError,
    SyncNet,
    SyncNetSettings,
    Wav2Lip,
    Wav2LipDiscQual,
    load_checkpoint,
    save_checkpoint,
)

torch.set_num_threads(1)
SLIM = SyncNetSettings(channels=(8, 16, 16, 32, 32), embedding_dim=64, window_frames=5)
MARKER = Path(os.environ.get("TMPDIR", "/tmp")) / "lipsync-checkpoint-exploit-ran"


def trained_stats(model: nn.Module, *inputs: torch.Tensor) -> nn.Module:
    """Move BatchNorm statistics away from their initial values, so a lost buffer shows."""
    model.train()
    with torch.no_grad():
        model(*inputs)
    return model.eval()


def test_official_format_with_module_prefix_reproduces_outputs(tmp_path):
    torch.manual_seed(0)
    mel, faces = torch.randn(2, 1, 80, 16), torch.rand(2, 6, 96, 96)
    writer = trained_stats(Wav2Lip(), mel, faces)
    optimizer = torch.optim.Adam(writer.parameters(), lr=1e-4, betas=(0.5, 0.999))
    path = save_checkpoint(tmp_path / "checkpoint_step000000042.pth", nn.DataParallel(writer), optimizer, 42, 3)

    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"state_dict", "optimizer", "global_step", "global_epoch"}
    assert all(key.startswith("module.") for key in payload["state_dict"])
    assert os.listdir(tmp_path) == [path.name]  # no partial file left behind

    reader = Wav2Lip()
    info = load_checkpoint(reader, path)
    assert (info.source_format, info.global_step, info.global_epoch) == ("wav2lip-dict", 42, 3)
    assert info.optimizer["param_groups"][0]["betas"] == (0.5, 0.999)
    with torch.no_grad():
        assert torch.equal(reader.eval()(mel, faces), writer(mel, faces))


def test_optimizer_state_and_bare_state_dict(tmp_path):
    torch.manual_seed(0)
    mel, faces = torch.randn(4, 1, 80, 16), torch.rand(4, 15, 48, 96)
    model = SyncNet(SLIM)
    optimizer = torch.optim.Adam(model.parameters())
    sum(model(mel, faces)).sum().backward()
    optimizer.step()
    info = load_checkpoint(SyncNet(SLIM), save_checkpoint(tmp_path / "expert.pth", model, optimizer, 1, 0))
    torch.optim.Adam(model.parameters()).load_state_dict(info.optimizer)  # resumable

    torch.save(model.state_dict(), tmp_path / "bare.pth")
    reader = SyncNet(SLIM)
    assert load_checkpoint(reader, tmp_path / "bare.pth").source_format == "state-dict"
    written = model.state_dict()
    assert all(torch.equal(tensor, written[name]) for name, tensor in reader.state_dict().items())


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_torchscript_export_loads(tmp_path):
    torch.manual_seed(0)
    mel, faces = torch.randn(2, 1, 80, 16), torch.rand(2, 15, 48, 96)
    writer = trained_stats(SyncNet(SLIM), mel, faces)
    torch.jit.trace(writer, (mel, faces)).save(str(tmp_path / "expert_scripted.pt"))
    reader = SyncNet(SLIM)
    assert load_checkpoint(reader, tmp_path / "expert_scripted.pt").source_format == "torchscript"
    with torch.no_grad():
        for ours, theirs in zip(reader.eval()(mel, faces), writer(mel, faces), strict=True):
            assert torch.equal(ours, theirs)


def test_other_architecture_is_listed_key_by_key(tmp_path):
    path = tmp_path / "disc_checkpoint_step000001000.pth"
    torch.save({"state_dict": Wav2LipDiscQual().state_dict(), "optimizer": None}, path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(Wav2Lip(), path)
    message = str(caught.value)
    assert str(path) in message and "does not fit Wav2Lip" in message
    assert "missing: face_encoder_blocks.0.0.conv_block.1.weight (16,)" in message
    assert "unexpected: binary_pred.0.weight (1, 512, 1, 1)" in message
    wrong = "mis-shaped: face_encoder_blocks.0.0.conv_block.0.weight: file (32, 3, 7, 7) vs model (16, 6, 7, 7)"
    assert wrong in message


class _Exploit:
    def __reduce__(self):
        return (MARKER.touch, ())


def test_arbitrary_pickles_are_refused(tmp_path):
    MARKER.unlink(missing_ok=True)
    path = tmp_path / "wav2lip.pth"
    torch.save({"state_dict": SyncNet(SLIM).state_dict(), "optimizer": _Exploit()}, path)
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_checkpoint(SyncNet(SLIM), path)
    assert not MARKER.exists()


def test_unreadable_files_name_the_path(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(SyncNet(SLIM), tmp_path / "missing.pth")
    good = save_checkpoint(tmp_path / "good.pth", SyncNet(SLIM), None, 0, 0)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="cut.pth"):
        load_checkpoint(SyncNet(SLIM), cut)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "expert.pth", SyncNet(SLIM), None, 1, 0)
    before = path.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, SyncNet(SLIM), None, 2, 0)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["expert.pth"]
