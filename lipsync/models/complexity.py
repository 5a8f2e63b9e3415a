"""Model size and compute per frame, the two numbers we compare generators by.

MACs (multiply-accumulates) are counted with ``torch.utils.flop_counter.FlopCounterMode``
on a real forward pass, so they include whatever the forward actually runs (convolutions,
matrix products, attention) and exclude element-wise work (norms, activations, adds),
as is usual. One MAC = two FLOPs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters (buffers such as BatchNorm statistics not included)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def macs_per_frame(model: nn.Module, example_inputs: Sequence[Tensor], frames: int | None = None) -> float:
    """Multiply-accumulates of one forward pass divided by the number of frames it produced.

    example_inputs: positional arguments of ``model``'s forward.
    frames: frames the pass covers; by default the leading (batch) size of the first input.
    Runs one forward pass without gradients; the model's train/eval mode is left unchanged.
    """
    if frames is None:
        frames = int(example_inputs[0].shape[0])
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*example_inputs)
    return counter.get_total_flops() / 2 / frames
