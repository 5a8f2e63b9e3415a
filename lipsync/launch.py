"""One training run outside the pipeline, for ``torchrun`` (distributed data parallel) or by hand.

    python -m torch.distributed.run --nproc_per_node 2 -m lipsync.launch --stage syncnet_expert \\
        --params params.yaml --train data/shards/train --eval data/shards/test \\
        --checkpoints data/models/ddp-expert --log-folder logs/training/ddp-expert

The stages' own trainers with the stages' own settings: ``--params`` is a whole params file,
read by the one loader (its ``profile`` applied, derived keys filled), and ``--stage`` names
the training stage whose section (``training.<stage>``) and model it trains. Nothing is
tracked or registered (the stage runners do that); each rank writes only what rank 0 owns,
and rank 0 prints the run summary as one JSON line on stdout. A wrapper like the CLI: it may
read the core, the stages and the building blocks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

TRAINING_STAGES = ("syncnet_expert", "generator", "wav2lip_baseline")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lipsync.launch", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=TRAINING_STAGES, required=True)
    parser.add_argument("--params", type=Path, required=True, help="a params.yaml file")
    parser.add_argument("--train", required=True, help="training shards: folder, glob or one path")
    parser.add_argument("--eval", default=None, help="evaluation shards (held-out speakers); omit to skip")
    parser.add_argument("--checkpoints", type=Path, required=True, help="folder of step-*.pt (resumed from)")
    parser.add_argument("--log-folder", type=Path, required=True, help="folder of train.log and metrics.json")
    parser.add_argument("--expert", type=Path, default=None, help="expert checkpoint (generator stages only)")
    parser.add_argument("--frame-size", type=int, nargs=2, default=None, help="video W H for landmark mouth boxes")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    return parser.parse_args(argv)


def run(args: argparse.Namespace):
    import torch

    from lipsync.config import load_params
    from lipsync.models import LipSyncGenerator, PatchDiscriminator, SyncNet, Wav2Lip, Wav2LipDiscQual, load_checkpoint
    from lipsync.stages.training_stage import window_geometry
    from lipsync.training.distributed import setup
    from lipsync.training.expert import train_expert
    from lipsync.training.generator import train_generator
    from lipsync.training.generator_eval import LandmarkMouthBoxes
    from lipsync.training.task import RunPaths, RunSetup, ShardSource

    params = load_params(args.params)
    t = params.training
    paths = RunPaths(args.checkpoints, args.log_folder / "train.log", args.log_folder / "metrics.json")
    run_setup = RunSetup(paths, setup(args.device))
    source = ShardSource(args.train, args.eval, t.data, window_geometry(params), t.seed)
    torch.manual_seed(t.seed)
    if args.stage == "syncnet_expert":
        return train_expert(SyncNet(params.models.syncnet), t.syncnet_expert, source, run_setup)
    if args.expert is None:
        raise SystemExit("--expert (a trained expert checkpoint) is required for generator training")
    expert = SyncNet(params.models.syncnet)
    load_checkpoint(expert, args.expert)
    boxes = None
    if args.eval is not None:
        if args.frame_size is None:
            raise SystemExit("--frame-size W H is needed to map landmarks to mouth boxes for evaluation")
        size = tuple(args.frame_size)
        boxes = LandmarkMouthBoxes(lambda _: size, params.faces.crop, params.format.face_size, t.mouth_box)
    settings = getattr(t, args.stage)
    if args.stage == "generator":
        generator = LipSyncGenerator(params.models.generator)
        critic = PatchDiscriminator(params.models.discriminator) if settings.adversarial.enabled else None
    else:
        generator, critic = Wav2Lip(), (Wav2LipDiscQual() if settings.adversarial.enabled else None)
    return train_generator(generator, expert, settings, source, run_setup, boxes, critic)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    from lipsync.training.distributed import rank_and_world, teardown

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
