"""The inference commands of ``lipsync`` (wrappers; :mod:`lipsync.cli` adds them to its parser).

lipsync infer --face FACE --audio AUDIO --out OUT.mp4 [--model MODEL]   one lip-synced video
lipsync infer --jobs jobs.csv [--workers N]                               a job list, then its outcome table
lipsync stream --face FACE --audio AUDIO [--realtime]                     the streaming path, measured
lipsync serve [--face FACE ...] [--host 127.0.0.1] [--port 8765]         a WebSocket endpoint and a page

No heavy import at module level: ``lipsync --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

INFERENCE_COMMANDS = ("infer", "stream", "serve")
MODEL_HELP = (
    "models:/NAME@ALIAS, models:/NAME/VERSION, or a checkpoint path (ours, wav2lip.pth, wav2lip_gan.pth); "
    "default: lipsync-generator@champion, else the version the generator stage recorded"
)


def add_inference_commands(sub: argparse._SubParsersAction) -> None:
    infer = sub.add_parser("infer", help="lip-sync a face video or photo to a speech file (or a job list)")
    infer.add_argument("--face", type=Path, help="a video (any length, size, frame rate) or a still image")
    infer.add_argument("--audio", type=Path, help="wav, mp3, m4a, flac, or a video's audio track")
    infer.add_argument("--out", type=Path, help="the .mp4 to write (H.264 + AAC, 25 fps, as long as the audio)")
    infer.add_argument("--jobs", type=Path, help="a CSV job list: columns face, audio, out[, model, face_index]")
    infer.add_argument("--workers", type=int, help="job-list worker processes (default: inference.workers)")
    _common(infer)
    infer.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    stream = sub.add_parser("stream", help="run the streaming path on a file; report frames/s and latency")
    stream.add_argument("--face", type=Path, required=True, help="a still image or a short looping video")
    stream.add_argument("--audio", type=Path, required=True)
    stream.add_argument("--realtime", action="store_true", help="feed the audio at real-time pace")
    stream.add_argument("--chunk-ms", type=float, help="audio chunk length (default: inference.stream.chunk_ms)")
    _common(stream)
    serve = sub.add_parser("serve", help="a WebSocket endpoint and a page that lip-sync speech live")
    serve.add_argument("--face", type=Path, action="append", default=[], help="a face the page offers (repeat)")
    serve.add_argument("--host", help="address to bind (default: inference.serve.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: inference.serve.port; 0: any free port)")
    _common(serve)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help=MODEL_HELP)
    parser.add_argument("--face-index", type=int, help="which face when there are several (0 = the largest)")


def run_inference_command(args: argparse.Namespace, project) -> int:
    command = {"infer": _infer, "stream": _stream, "serve": _serve}[args.command]
    try:
        return command(args, project)
    except ValueError as error:  # inputs a person must fix: the message names the file and the reason
        print(f"lipsync {args.command}: {error}", file=sys.stderr)
        return 1


def _infer(args, project) -> int:
    from lipsync.inference.job import InferenceJob
    from lipsync.stages import batch_inference

    if args.jobs is not None:
        jobs = batch_inference.read_jobs(args.jobs, args.overwrite)
    elif None in (args.face, args.audio, args.out):
        raise ValueError("give --face, --audio and --out (or --jobs jobs.csv)")
    else:
        jobs = [InferenceJob(args.face, args.audio, args.out, args.model, args.face_index, args.overwrite)]
    summary = batch_inference.run(project.params, project.layout, jobs, args.workers, progress=args.progress)
    print(summary["table"])
    for result in summary["results"]:
        for note in result.notes:
            print(f"note: {result.job.out}: {note}", file=sys.stderr)
    print(f"{summary['ok']} done, {summary['failed']} failed; log: {summary['log']}")
    return 0 if summary["success"] else 1


def _stream(args, project) -> int:
    from lipsync.inference.generation import LowerFace
    from lipsync.inference.model_source import load_generator
    from lipsync.inference.realtime import feed
    from lipsync.inference.speech import read_speech
    from lipsync.inference.streaming import LipSyncStream, prepare_face
    from lipsync.stages.batch_inference import inference_config

    config = inference_config(project.params, project.layout)
    loaded = load_generator(args.model, config.generator, config.mlruns, config.generator_result)
    face = prepare_face(args.face, config.faces, config.fps, config.settings, args.face_index)
    speech = read_speech(args.audio, config.mel, config.fps, config.window_frames)
    chunk_ms = args.chunk_ms or config.settings.stream.chunk_ms
    report = feed(LipSyncStream(face, LowerFace(loaded.model), config), speech.mel_audio, chunk_ms, args.realtime)
    print(json.dumps({"face": str(args.face), "audio": str(args.audio), "model": loaded.identity, **report.as_dict()}))
    return 0


def _serve(args, project) -> int:
    from lipsync.inference.server import serve
    from lipsync.stages.batch_inference import inference_config

    config = inference_config(project.params, project.layout)
    settings = config.settings.serve
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    serve(config, args.face, args.model, host, port, args.face_index)
    return 0
