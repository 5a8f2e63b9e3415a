"""The ``lipsync`` command: run a stage, the Dagster pipeline, or a benchmark.

lipsync run <stage> [--videos ID ...]   one stage, all videos (what dvc.yaml calls)
lipsync pipeline                        the main Dagster job (raw videos to the benchmark report)
lipsync report                          the benchmark report's path, table and findings
lipsync bench <name>                    a benchmark; writes JSON under paths.bench
lipsync bench report                    rebuild the README figures from that JSON
lipsync models list|compare|promote|rollback NAME ...   the registry: versions, figures, the champion
lipsync corpus --extra-speakers N       new speakers' videos under the raw folder (retraining demo)
lipsync infer | stream | serve          lip-sync a face to speech: a file, a job list, live (cli_inference)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from lipsync.cli_inference import INFERENCE_COMMANDS, add_inference_commands, run_inference_command
from lipsync.stages.registry import STAGES, stages_of

PER_VIDEO = tuple(s.name for s in stages_of(kind="per_video"))

BENCHMARKS = (
    "faces", "mel", "shards", "models", "evaluation", "inference", "lipsync", "mouth", "ceiling", "syncfilter",
    "report",
)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lipsync", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="project root holding params.yaml (default: .)")
    parser.add_argument("--params", default="params.yaml", help="params file, relative to the root")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=sys.stderr.isatty(),
        help="progress bars (default: on a terminal)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one pipeline stage over all videos")
    run.add_argument("stage", choices=[s.name for s in STAGES])
    run.add_argument("--videos", nargs="+", metavar="ID", help="only these video ids (per-video stages)")
    pipeline = sub.add_parser("pipeline", help="the main Dagster job (corpus -> shards -> registered models)")
    pipeline.add_argument("--no-training", action="store_true", help="stop after the shards")
    sub.add_parser("report", help="print the benchmark report's path, its table and its findings")
    bench = sub.add_parser("bench", help="run a benchmark and write its JSON; `report` rebuilds the README table")
    bench.add_argument("name", choices=BENCHMARKS)
    bench.add_argument("--quick", action="store_true", help="smaller inputs (for tests)")
    _models_parser(sub)
    corpus = sub.add_parser("corpus", help="add new speakers' videos under the raw folder (retraining demo)")
    corpus.add_argument("--extra-speakers", type=int, required=True, metavar="N", help="speakers to add")
    add_inference_commands(sub)
    return parser


def _models_parser(sub) -> None:
    models = sub.add_parser("models", help="registered versions: list, compare, promote by hand, roll back")
    action = models.add_subparsers(dest="action", required=True)
    action.add_parser("list", help="every version with its figures and aliases").add_argument("name")
    compare = action.add_parser("compare", help="versions with figures, data, params that differ, decisions")
    compare.add_argument("name")
    compare.add_argument("versions", nargs="*", type=int, metavar="V", help="two versions (default with --all)")
    compare.add_argument("--all", action="store_true", help="every version")
    promote = action.add_parser("promote", help="make a version the champion by hand (recorded as such)")
    promote.add_argument("name")
    promote.add_argument("version", type=int)
    promote.add_argument("--reason", required=True, help="why (kept in the version's tags and the MLflow run)")
    rollback = action.add_parser("rollback", help="give the champion back to the version it replaced")
    rollback.add_argument("name")
    rollback.add_argument("--reason", default="rolled back by hand", help="why (recorded)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("lipsync").setLevel(logging.INFO)  # one line per event from us; warnings from libraries
    from lipsync.params_loader import ParamsError
    from lipsync.project import open_project

    try:
        project = open_project(args.root, args.params)
    except ParamsError as exc:
        print(f"lipsync: {exc}", file=sys.stderr)
        return 2
    if args.command in INFERENCE_COMMANDS:
        return run_inference_command(args, project)
    if args.command == "run":
        summary = _run_stage(project, args)
    elif args.command == "report":
        return _print_report(project)
    elif args.command == "models":
        return _models(project, args)
    elif args.command == "corpus":
        from lipsync.stages import extra_speakers

        summary = extra_speakers.run(project.params, project.layout, args.extra_speakers)
    elif args.command == "pipeline":
        from pipelines.main_run import run_main_job

        summary = run_main_job(project, progress=args.progress, with_training=not args.no_training)
    else:
        from lipsync.bench import run_benchmark

        summary = run_benchmark(args.name, project, quick=args.quick)
    print(json.dumps(summary, indent=1, default=str))
    return 0 if summary.get("success", True) else 1


def _print_report(project) -> int:
    """The benchmark stage's report, as ``make run`` ends with it."""
    summary = project.layout.benchmark / "benchmark.json"
    if not summary.exists():
        print(f"lipsync report: {summary} is missing: run `make run` or `lipsync run benchmark`", file=sys.stderr)
        return 1
    result = json.loads(summary.read_text())
    print(f"Benchmark report: {result['report']} (Markdown: {result['markdown']})\n")
    print("Reconstruction (own audio):\n" + result["table"] + "\n")
    print("Cross-audio dubbing:\n" + result["cross_audio_table"] + "\n")
    print("\n".join(f"- {line}" for line in result["findings"]))
    promotion = project.layout.promote / "promotion.md"
    if promotion.exists():
        print(f"\nRegistry ({promotion}):\n\n" + promotion.read_text())
    return 0


def _models(project, args) -> int:
    from lipsync.stages import model_commands as commands

    if args.action == "compare" and not args.all and len(args.versions) != 2:
        print("lipsync models compare: give two versions, or --all", file=sys.stderr)
        return 2
    try:
        if args.action == "list":
            text = commands.list_versions(project, args.name)
        elif args.action == "compare":
            text = commands.compare(project, args.name, None if args.all else args.versions)
        elif args.action == "promote":
            text = commands.promote(project, args.name, args.version, args.reason)
        else:
            text = commands.rollback(project, args.name, args.reason)
    except ValueError as exc:
        print(f"lipsync models {args.action}: {exc}", file=sys.stderr)
        return 1
    print(text)
    return 0


def _run_stage(project, args) -> dict:
    from lipsync.stages import runner

    run = runner(args.stage)
    if args.videos and args.stage not in PER_VIDEO:
        raise SystemExit(f"lipsync: --videos applies to the per-video stages only ({', '.join(PER_VIDEO)})")
    kwargs = {"video_ids": args.videos} if args.stage in PER_VIDEO else {}
    try:
        return run(project.params, project.layout, progress=args.progress, **kwargs)
    except (FileNotFoundError, KeyError, RuntimeError) as exc:
        print(f"lipsync run {args.stage}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    sys.exit(main())
