"""Read and write model checkpoints in the Wav2Lip format, safely and strictly.

Wav2Lip's checkpoints (``wav2lip.pth``, ``wav2lip_gan.pth``, ``lipsync_expert.pth``) are
dicts ``{'state_dict', 'optimizer', 'global_step', 'global_epoch'}`` whose weight names may
carry the ``module.`` prefix of ``nn.DataParallel``; some redistributed copies are bare
state dicts or TorchScript archives. :func:`load_checkpoint` accepts all three, strips the
prefix and loads strictly: a file for another architecture fails with every missing,
unexpected and mis-shaped key listed, instead of half-loading. Files are read with
``torch.load(weights_only=True)``, which refuses pickled objects other than tensors and
plain containers, so a checkpoint cannot run code when opened. :func:`save_checkpoint`
writes the same dict format atomically, so an interrupted save never leaves a truncated
file under the final name.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

_PREFIX = "module."
_LISTED_PER_KIND = 50  # keys shown per kind of mismatch; the counts are always complete


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be read, or does not fit the model it is loaded into."""


class UnreadableCheckpoint(CheckpointError):
    """The file itself is damaged (truncated, not an archive): an older checkpoint may do instead."""


@dataclass(frozen=True)
class LoadedCheckpoint:
    """What came with the weights. ``source_format``: 'wav2lip-dict', 'state-dict' or 'torchscript'."""

    path: Path
    source_format: str
    global_step: int | None
    global_epoch: int | None
    optimizer: Mapping[str, Any] | None


def load_checkpoint(model: nn.Module, path: str | os.PathLike[str]) -> LoadedCheckpoint:
    """Load ``path`` into ``model`` strictly (weights stay on the model's devices).

    Raises CheckpointError naming the file when it is missing, unreadable, unsafe to
    unpickle, of an unknown layout, or when its keys or shapes differ from the model's.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if _is_torchscript(path):
        state, info = _read_torchscript(path), LoadedCheckpoint(path, "torchscript", None, None, None)
    else:
        state, info = _unpack(_read_weights_only(path), path)
    state = {_strip_prefix(k): v for k, v in state.items()}
    _check_fits(model, state, path)
    model.load_state_dict(state, strict=True)
    return info


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    epoch: int,
) -> Path:
    """Write ``{'state_dict', 'optimizer', 'global_step', 'global_epoch'}`` to ``path`` atomically.

    The file is written beside the target and renamed over it (``os.replace``), so readers
    see either the old file or the complete new one. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "state_dict": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "global_step": int(step),
        "global_epoch": int(epoch),
    }
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives are zips holding ``<root>/constants.pkl``; torch.save zips never do."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split("/", 1)[-1] == "constants.pkl" for name in archive.namelist())


def _read_torchscript(path: Path) -> dict[str, Tensor]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated; old files still exist
        try:
            scripted = torch.jit.load(str(path), map_location="cpu")
        except RuntimeError as error:
            raise UnreadableCheckpoint(f"checkpoint {path}: unreadable TorchScript archive ({error})") from error
    return dict(scripted.state_dict())


def _read_weights_only(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"checkpoint {path} was refused: it holds pickled objects other than tensors and plain "
            f"containers, and is only read with weights_only=True ({_reason(error)}). Re-save its "
            "state dict from trusted code to use it."
        ) from error
    except (RuntimeError, EOFError, OSError) as error:
        raise UnreadableCheckpoint(f"checkpoint {path} could not be read ({error}); is it truncated?") from error


def _reason(error: Exception) -> str:
    """The line of torch's long weights-only message that names the refused object."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "Unsupported" in line or "WeightsUnpickler" in line]
    return (named or lines or [type(error).__name__])[0].split(". Please")[0]


def _unpack(content: Any, path: Path) -> tuple[dict[str, Tensor], LoadedCheckpoint]:
    """Tell the Wav2Lip dict format from a bare state dict."""
    if isinstance(content, Mapping) and isinstance(content.get("state_dict"), Mapping):
        info = LoadedCheckpoint(
            path, "wav2lip-dict", content.get("global_step"), content.get("global_epoch"), content.get("optimizer")
        )
        return dict(content["state_dict"]), info
    if isinstance(content, Mapping) and content and all(isinstance(v, Tensor) for v in content.values()):
        return dict(content), LoadedCheckpoint(path, "state-dict", None, None, None)
    keys = sorted(map(str, content))[:8] if isinstance(content, Mapping) else type(content).__name__
    raise CheckpointError(
        f"checkpoint {path}: unknown layout {keys}; expected a dict with 'state_dict', a state dict "
        "of tensors, or a TorchScript archive"
    )


def _strip_prefix(key: str) -> str:
    return key[len(_PREFIX) :] if key.startswith(_PREFIX) else key


def _check_fits(model: nn.Module, state: Mapping[str, Tensor], path: Path) -> None:
    expected = model.state_dict()
    # BatchNorm fills in a missing counter itself (files from before torch 0.4.1 lack it).
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    mis_shaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if not (missing or unexpected or mis_shaped):
        return
    lines = [
        f"checkpoint {path} does not fit {type(model).__name__}: {len(missing)} missing, "
        f"{len(unexpected)} unexpected, {len(mis_shaped)} mis-shaped key(s). Was it written for "
        "another architecture or other settings?"
    ]
    lines += _listed("missing", [f"{k} {tuple(expected[k].shape)}" for k in missing])
    lines += _listed("unexpected", [f"{k} {tuple(state[k].shape)}" for k in unexpected])
    lines += _listed(
        "mis-shaped",
        [f"{k}: file {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}" for k in mis_shaped],
    )
    raise CheckpointError("\n".join(lines))


def _listed(kind: str, entries: list[str]) -> list[str]:
    shown = [f"  {kind}: {entry}" for entry in entries[:_LISTED_PER_KIND]]
    if len(entries) > _LISTED_PER_KIND:
        shown.append(f"  ... and {len(entries) - _LISTED_PER_KIND} more {kind} key(s)")
    return shown
