"""Command line entry of one training run, for ``torchrun`` and for stage runners.

    python -m torch.distributed.run --nproc_per_node 2 -m lipsync.training.launch \\
        --task expert --params params.yaml --train data/shards/train --eval data/shards/test \\
        --checkpoints models/expert --log-folder logs/training/expert

``--params`` is a YAML file with the ``models``, ``mel`` and ``training`` sections (and
``faces.crop`` for the generators' landmark mouth boxes); its ``profile``, if any, is
applied. Rank 0 prints the run summary as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch
import yaml

from lipsync.audio.mel import MelSettings
from lipsync.config import resolve_profile
from lipsync.faces.settings import CropSettings
from lipsync.models import LipSyncGenerator, ModelsSettings, SyncNet, Wav2Lip, load_checkpoint
from lipsync.settings import from_mapping
from lipsync.training.distributed import rank_and_world, setup, teardown
from lipsync.training.expert import train_expert
from lipsync.training.generator import train_generator
from lipsync.training.generator_eval import LandmarkMouthBoxes
from lipsync.training.loop import RunPaths, TrainingSummary
from lipsync.training.settings import TrainingSettings
from lipsync.training.windows import WindowGeometry


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lipsync.training.launch", description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("expert", "generator", "wav2lip"), required=True)
    parser.add_argument("--params", type=Path, required=True, help="YAML with models, mel and training sections")
    parser.add_argument("--train", required=True, help="training shards: folder, glob or one path")
    parser.add_argument("--eval", default=None, help="evaluation shards (held-out speakers); omit to skip")
    parser.add_argument("--checkpoints", type=Path, required=True, help="folder of step-*.pt (resumed from)")
    parser.add_argument("--log-folder", type=Path, required=True, help="folder of train.log and metrics.json")
    parser.add_argument("--expert", type=Path, default=None, help="expert checkpoint (generators only)")
    parser.add_argument("--frame-size", type=int, nargs=2, default=None, help="video W H for landmark mouth boxes")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> TrainingSummary:
    sections = resolve_profile(yaml.safe_load(args.params.read_text()))
    models = from_mapping(ModelsSettings, sections["models"], "models")
    mel = from_mapping(MelSettings, sections["mel"], "mel")
    training = from_mapping(TrainingSettings, sections["training"], "training")
    geometry = WindowGeometry(models.syncnet.window_frames, models.generator.audio.mel_frames, mel)
    paths = RunPaths(args.checkpoints, args.log_folder / "train.log", args.log_folder / "metrics.json")
    context = setup(args.device)
    torch.manual_seed(training.seed)
    common = dict(
        data=training.data,
        geometry=geometry,
        seed=training.seed,
        train_shards=args.train,
        eval_shards=args.eval,
        paths=paths,
        context=context,
    )
    if args.task == "expert":
        return train_expert(SyncNet(models.syncnet), training.expert, **common)
    if args.expert is None:
        raise SystemExit("--expert (a trained expert checkpoint) is required for generator training")
    expert = SyncNet(models.syncnet)
    load_checkpoint(expert, args.expert)
    boxes = None
    if args.eval is not None:
        if args.frame_size is None:
            raise SystemExit("--frame-size W H is needed to map landmarks to mouth boxes for evaluation")
        crop = from_mapping(CropSettings, sections["faces"]["crop"], "faces.crop")
        size = tuple(args.frame_size)
        boxes = LandmarkMouthBoxes(lambda _: size, crop, models.generator.image_size, training.mouth_box)
    generator = LipSyncGenerator(models.generator) if args.task == "generator" else Wav2Lip()
    settings = training.generator if args.task == "generator" else training.wav2lip
    return train_generator(generator, expert, settings, mouth_boxes=boxes, **common)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        summary = run(args)
        if rank_and_world()[0] == 0:
            print(json.dumps(dataclasses.asdict(summary), default=str), flush=True)
    finally:
        teardown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
