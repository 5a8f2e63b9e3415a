"""The Wav2Lip benchmark report: tables, figures and the pages that hold them.

Pure rendering: it takes the ``evaluation`` stage's summary, per-offset curves and frame
strip plus each row's cost (parameters, GMAC per frame, training seconds) and returns
Markdown, a self-contained HTML page (figures embedded) and PNG bytes. Nothing is measured
here and no number is typed in: every cell is a value of the inputs. LSE cells carry a
dagger when the evaluator's self-checks failed (the figures are then unreliable).
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np

ROW_NAMES = {
    "ground_truth": "ground truth (real video, own audio)",
    "mismatched_audio": "mismatched audio (real video, another clip's audio)",
    "copy_reference": "copy the reference (trivial generator)",
    "ours": "ours",
    "wav2lip_baseline": "Wav2Lip trained here",
    "wav2lip_official": "official Wav2Lip",
}
RECONSTRUCTION = (("lse_d", "LSE-D ↓", 2), ("lse_c", "LSE-C ↑", 2), ("face_ssim", "SSIM face ↑", 3),
                  ("face_psnr", "PSNR face ↑", 1), ("mouth_ssim", "SSIM mouth ↑", 3), ("mouth_psnr", "PSNR mouth ↑", 1),
                  ("lpips", "LPIPS ↓", 3), ("identity", "identity dist ↓", 3), ("lmd", "LMD ↓", 3),
                  ("flicker_ratio", "flicker vs real", 2), ("jitter_ratio", "jitter vs real", 2))  # fmt: skip
CROSS_AUDIO = (("lse_d", "LSE-D ↓", 2), ("lse_c", "LSE-C ↑", 2), ("identity", "identity dist ↓", 3),
               ("flicker_ratio", "flicker vs real", 2), ("jitter_ratio", "jitter vs real", 2))  # fmt: skip
COSTS = (("inference_fps", "inference frames/s", 0), ("parameters_m", "params (M)", 2), ("gmac", "GMAC/frame", 2),
         ("train_seconds", "training s", 0))  # fmt: skip
LSE = {"lse_d", "lse_c"}


def cell(value, digits: int, dagger: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}" + (" †" if dagger else "")


def table(summary: dict, setting: str, columns, costs: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of one setting: every metric, then the costs of each row."""
    means = summary["means"].get(setting, {})
    unreliable = not summary["lse_reliable"]
    header = ["row", *(title for _, title, _ in columns), *(title for _, title, _ in COSTS)]
    rows = []
    for row in sorted(means, key=lambda r: list(ROW_NAMES).index(r) if r in ROW_NAMES else len(ROW_NAMES)):
        values = means[row]
        metrics = _lpips_note([cell(values.get(k), d, unreliable and k in LSE) for k, _, d in columns], values, columns)
        rows.append([ROW_NAMES.get(row, row), *metrics, *(cell(costs.get(row, {}).get(k), d) for k, _, d in COSTS)])
    return header, rows


def _lpips_note(metrics: list[str], values: dict, columns) -> list[str]:
    keys = [k for k, _, _ in columns]
    if "lpips" in keys and values.get("lpips") is None:
        metrics[keys.index("lpips")] = "n/a: no AlexNet weights"
    return metrics


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def curves_figure(curves: dict[str, np.ndarray], offsets: np.ndarray, dpi: int) -> bytes:
    """PNG: the mean distance per offset of every row (mean over clips), one panel per setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = sorted({key.split("/")[0] for key in curves}, reverse=True)
    figure, axes = plt.subplots(1, len(settings), figsize=(6 * len(settings), 3.6), dpi=dpi, squeeze=False)
    for axis, setting in zip(axes[0], settings, strict=True):
        for key, values in curves.items():
            if key.startswith(f"{setting}/"):
                row = key.split("/", 1)[1]
                axis.plot(offsets, values.mean(axis=0), marker=".", label=ROW_NAMES.get(row, row))
        axis.set(title=setting.replace("_", " "), xlabel="AV offset (frames)", ylabel="mean embedding distance")
        axis.axvline(0, color="grey", linewidth=0.6)
        axis.legend(fontsize=7)
    return _png(figure)


def bars_figure(summary: dict, dpi: int) -> bytes:
    """PNG: bars of the headline metrics (LSE-C both settings, SSIM mouth, LMD, identity) per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (("reconstruction", "lse_c", "LSE-C, own audio ↑"), ("cross_audio", "lse_c", "LSE-C, other audio ↑"),
              ("reconstruction", "mouth_ssim", "SSIM mouth ↑"), ("reconstruction", "lmd", "LMD ↓"),
              ("reconstruction", "identity", "identity distance ↓"))  # fmt: skip
    figure, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), dpi=dpi)
    for axis, (setting, metric, title) in zip(axes, panels, strict=True):
        rows = summary["means"].get(setting, {})
        names = [r for r in ROW_NAMES if r in rows and rows[r].get(metric) is not None]
        axis.bar(range(len(names)), [rows[r][metric] for r in names], color="tab:blue")
        axis.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=6)
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    return _png(figure)


def strip_figure(strip: dict[str, np.ndarray], zoom: int, dpi: int) -> bytes:
    """PNG: the same frames of one clip, one row of crops per generator, labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = [r for r in ("real", "copy_reference", "ours", "wav2lip_baseline", "wav2lip_official") if r in strip]
    frames, size = strip[order[0]].shape[0], strip[order[0]].shape[1]
    inches = size * zoom / dpi
    figure, axes = plt.subplots(len(order), frames, figsize=(inches * frames, inches * len(order) * 1.1), dpi=dpi,
                                squeeze=False)  # fmt: skip
    for r, row in enumerate(order):
        for f in range(frames):
            axis = axes[r][f]
            axis.imshow(strip[row][f], interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
        axes[r][0].set_ylabel(ROW_NAMES.get(row, row).split(" (")[0], fontsize=7)
    figure.tight_layout()
    return _png(figure)


def _png(figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def embedded(png: bytes, alt: str) -> str:
    """An ``<img>`` holding ``png`` itself, so the HTML page is one self-contained file."""
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def findings(summary: dict) -> list[str]:
    """Sentences that only restate the numbers: where ours and the baseline fall against the
    real clips, the mismatched-audio control and copy-the-reference."""
    out = []
    checks = summary["self_checks"]
    passed = sum(c["passed"] for c in checks)
    verdict = "reliable" if summary["lse_reliable"] else "unreliable (marked †): the evaluator failed a self-check"
    out.append(f"Evaluator self-checks: {passed} of {len(checks)} passed; LSE figures are {verdict}.")
    recon, cross = summary["means"].get("reconstruction", {}), summary["means"].get("cross_audio", {})
    for row in ("ours", "wav2lip_baseline", "wav2lip_official"):
        if row not in recon:
            continue
        name = ROW_NAMES[row]
        out.append(_compare(name, "LSE-C with its own audio", recon, row, "lse_c", "ground_truth", "copy_reference", 2))
        out.append(_compare(name, "mouth SSIM", recon, row, "mouth_ssim", None, "copy_reference", 3))
        out.append(_compare(name, "LMD", recon, row, "lmd", None, "copy_reference", 3, lower_is_better=True))
        if row in cross:
            out.append(_compare(name, "LSE-C with another clip's audio", cross, row, "lse_c", "mismatched_audio",
                                "copy_reference", 2))  # fmt: skip
    return [line for line in out if line]


def _compare(name, what, rows, row, metric, control, baseline, digits, lower_is_better=False) -> str:
    value = rows[row].get(metric)
    if value is None:
        return f"{name}: {what} could not be measured."
    parts = [f"{name}: {what} {value:.{digits}f}"]
    for other in (control, baseline):
        reference = rows.get(other, {}).get(metric) if other else None
        if reference is None:
            continue
        better = value < reference if lower_is_better else value > reference
        parts.append(
            f"{'better' if better else 'not better'} than {ROW_NAMES[other].split(' (')[0]} ({reference:.{digits}f})"
        )
    return ", ".join(parts) + "."
