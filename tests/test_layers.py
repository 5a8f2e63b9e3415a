"""The import layers (pyproject.toml, checked by `lint-imports` in `make test`) cover every
module: a module outside every layer would escape the contract."""

from __future__ import annotations

import tomllib

from tests.builders import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def layer_modules() -> set[str]:
    layers = next(c for c in CONFIG["contracts"] if c["type"] == "layers")["layers"]
    return {m.strip() for layer in layers for m in layer.replace("|", ":").split(":")}


def project_modules() -> set[str]:
    modules = set()
    for package in CONFIG["root_packages"]:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_module_sits_in_a_layer():
    layers = layer_modules()
    roots = set(CONFIG["root_packages"]) - layers  # a bare root package (lipsync/__init__.py) holds no code
    uncovered = sorted(
        m for m in project_modules() - roots if not any(m == layer or m.startswith(f"{layer}.") for layer in layers)
    )
    assert not uncovered, f"modules outside every import layer (add them to pyproject.toml): {uncovered}"


def test_forbidden_contract_guards_every_non_wrapper():
    forbidden = next(c for c in CONFIG["contracts"] if c["type"] == "forbidden")
    wrappers = {"lipsync.cli", "pipelines", "assets"}
    assert set(forbidden["source_modules"]) == layer_modules() - wrappers
    assert {"dagster", "pipelines", "assets"} <= set(forbidden["forbidden_modules"])
