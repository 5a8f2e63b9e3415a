"""Settings of our generator and its discriminator: the ``models.generator`` and
``models.discriminator`` sections of ``params.yaml``.

Frozen and without defaults, so every number comes from ``params.yaml`` (loaded with
:func:`lipsync.params_loader.from_mapping`). Resolution is one switch, ``image_size``: the
number of down-sampling levels follows from it (halve until the grid side is at most
``bottleneck_size``), and the encoder widths are read from the end of ``channels``, so
a larger face adds a thin level on top while the deep levels stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AudioEncoderSettings:
    """mel_bins x mel_frames is the mel window per video frame (80 x 16 = 0.2 s at 80 frames/s).

    dim: token width D. token_stride: mel frames per audio token (N_a = mel_frames / stride).
    layers, heads, ffn_dim: the Transformer encoder over the tokens.
    """

    mel_bins: int
    mel_frames: int
    dim: int
    token_stride: int
    layers: int
    heads: int
    ffn_dim: int

    def __post_init__(self) -> None:
        if self.mel_frames % self.token_stride:
            raise ValueError(f"audio.token_stride {self.token_stride} must divide mel_frames {self.mel_frames}")
        if self.dim % self.heads:
            raise ValueError(f"audio.heads {self.heads} must divide audio.dim {self.dim}")


@dataclass(frozen=True)
class FusionSettings:
    """Cross-attention blocks from bottleneck face tokens to audio tokens."""

    blocks: int
    heads: int
    ffn_dim: int


@dataclass(frozen=True)
class CompositorSettings:
    """Blend-mask network. Rows above ``region_top`` (a fraction of the face height from the
    top) are never changed; the mask's prior logit ramps from -prior_logit there to
    +prior_logit at 1 - region_top, so the mask starts out covering the lower half."""

    hidden_channels: int
    region_top: float
    prior_logit: float

    def __post_init__(self) -> None:
        if not 0.0 < self.region_top < 0.5:
            raise ValueError(f"compositor.region_top must be in (0, 0.5), got {self.region_top}")


@dataclass(frozen=True)
class GeneratorSettings:
    """image_size: face crop side in px (96, 128, 192 or 256: any multiple of 2**levels).
    channels: encoder widths from the full-resolution level down to the bottleneck; the last
        ``levels + 1`` are used, so list enough for the largest size you will train.
    bottleneck_size: largest side of the bottleneck grid (8 gives 6x6 at 96 px, 8x8 at 256).
    """

    image_size: int
    channels: tuple[int, ...]
    bottleneck_size: int
    audio: AudioEncoderSettings
    fusion: FusionSettings
    compositor: CompositorSettings

    def __post_init__(self) -> None:
        levels = self.levels
        if self.image_size % 2**levels:
            raise ValueError(f"generator.image_size {self.image_size} is not divisible by 2**{levels}")
        if len(self.channels) < levels + 1:
            raise ValueError(
                f"generator.channels lists {len(self.channels)} widths; image_size {self.image_size} "
                f"needs {levels + 1} ({levels} down-sampling levels)"
            )

    @property
    def levels(self) -> int:
        """Number of 2x down-samplings between the face and the bottleneck grid."""
        levels, side = 0, self.image_size
        while side > self.bottleneck_size:
            side, levels = side // 2, levels + 1
        return levels

    @property
    def widths(self) -> tuple[int, ...]:
        """Widths used at this size, full resolution first: ``levels + 1`` entries."""
        return self.channels[-(self.levels + 1) :]


@dataclass(frozen=True)
class DiscriminatorSettings:
    """PatchGAN on the lower face: one width per stride-2 stage (each halves the grid). It is
    trained when ``training.generator.adversarial.enabled`` is on (the one switch)."""

    channels: tuple[int, ...]
