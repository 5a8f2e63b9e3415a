"""Benchmark ``models``: our generator against the published Wav2Lip, side by side.

At the same resolution (96 px, the only size Wav2Lip takes) and batch, in one process:
parameters, MACs per frame, inference frames/s (eval mode, no gradients) and training
frames/s (one optimisation step on 5-frame windows: L1 + the frozen expert's sync loss +
backward + Adam, each model with its own recipe's expert: our slim one, Wav2Lip's
SyncNet_color). Timings alternate between the models so machine noise hits both alike.
Our generator is also measured at 256 px (Wav2Lip has no 256 px form).
"""

from __future__ import annotations

import dataclasses
import time

import torch
import torch.nn.functional as F

from lipsync.models import LipSyncGenerator, SyncNet, count_parameters, macs_per_frame
from lipsync.models.generator.model import generator_input
from lipsync.models.syncnet import lower_half_stack, sync_loss
from lipsync.models.wav2lip import WAV2LIP_EXPERT, Wav2Lip
from lipsync.project import Project


def run(project: Project, quick: bool = False) -> dict:
    torch.manual_seed(project.params.seed)
    batch = 2 if quick else 8  # windows of 5 frames: 10 or 40 frames per step
    rounds, seconds = (1, 0.3) if quick else (3, 2.0)
    window = project.params.format.sync_window  # frames per training window (Wav2Lip's 5)
    mel = (project.params.format.mel_bands, project.params.models.generator.audio.mel_frames)  # (80, 16)
    contenders = _contenders(project)
    results = {name: {"parameters": count_parameters(c["model"]), "size": c["size"]} for name, c in contenders.items()}
    for name, c in contenders.items():
        c["model"].eval()
        faces, mels = _inputs(1, c["size"], mel)
        results[name]["gmac_per_frame"] = round(macs_per_frame(c["forward"], (faces, mels)) / 1e9, 3)
    for _ in range(rounds):
        for name, c in contenders.items():
            _accumulate(results[name], "inference", _infer(c, batch * window, mel, seconds))
            _accumulate(results[name], "training", _train(c, batch, window, mel, seconds))
    for r in results.values():
        for kind in ("inference", "training"):
            frames, spent = r.pop(f"{kind}_frames"), r.pop(f"{kind}_seconds")
            r[f"{kind}_fps"] = round(frames / spent, 1)
    ours, theirs = results["ours_96"], results["wav2lip_96"]
    return {
        "batch_frames": batch * window,
        "torch_threads": torch.get_num_threads(),
        "models": results,
        "inference_speedup": round(ours["inference_fps"] / theirs["inference_fps"], 2),
        "training_speedup": round(ours["training_fps"] / theirs["training_fps"], 2),
        "goal_inference_speedup": 5.0,
    }


def _contenders(project: Project) -> dict:
    settings = project.params.models
    ours = {s: LipSyncGenerator(dataclasses.replace(settings.generator, image_size=s)) for s in (96, 256)}
    slim_expert, reference_expert = SyncNet(settings.syncnet), SyncNet(WAV2LIP_EXPERT)
    wav2lip = Wav2Lip()
    out = {
        f"ours_{s}": {"model": m, "size": s, "expert": slim_expert, "forward": _ours_forward(m)}
        for s, m in ours.items()
    }
    out["wav2lip_96"] = {
        "model": wav2lip,
        "size": 96,
        "expert": reference_expert,
        "forward": lambda faces, mel: wav2lip(mel, faces),
    }
    return out


def _ours_forward(model):
    return lambda faces, mel: model(faces, mel).face


def _inputs(frames: int, size: int, mel: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.rand(frames, 6, size, size), torch.randn(frames, 1, *mel)  # (N, 6, S, S), (N, 1, 80, 16)


def _timed(step, seconds: float) -> tuple[int, float]:
    step()  # warm-up
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step()
        count += 1
    return count, time.perf_counter() - started


def _infer(c: dict, frames: int, mel_shape: tuple[int, int], seconds: float) -> tuple[int, float]:
    c["model"].eval()
    faces, mel = _inputs(frames, c["size"], mel_shape)
    with torch.inference_mode():
        steps, spent = _timed(lambda: c["forward"](faces, mel), seconds)
    return steps * frames, spent


def _train(c: dict, windows: int, window: int, mel_shape: tuple[int, int], seconds: float) -> tuple[int, float]:
    model, expert, size = c["model"], c["expert"], c["size"]
    model.train()
    expert.eval().requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.5, 0.999))
    target = torch.rand(windows, 3, window, size, size)  # (B, 3, T, S, S)
    faces = generator_input(target, torch.rand_like(target))  # (B, 6, T, S, S)
    mel = torch.randn(windows, window, 1, *mel_shape)  # (B, T, 1, 80, 16)
    sync_mel = torch.randn(windows, 1, *mel_shape)

    def step() -> None:
        frames = faces.transpose(1, 2).flatten(0, 1)  # (B*T, 6, S, S)
        out = c["forward"](frames, mel.flatten(0, 1)).view(windows, window, 3, size, size).transpose(1, 2)
        audio, face = expert(sync_mel, lower_half_stack(out))
        loss = F.l1_loss(out, target) + 0.03 * sync_loss(audio, face, torch.ones(windows))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    steps, spent = _timed(step, seconds)
    return steps * windows * window, spent


def _accumulate(result: dict, kind: str, measured: tuple[int, float]) -> None:
    result[f"{kind}_frames"] = result.get(f"{kind}_frames", 0) + measured[0]
    result[f"{kind}_seconds"] = result.get(f"{kind}_seconds", 0.0) + measured[1]
