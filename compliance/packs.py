"""The framework packs shipped with mlgov: versioned YAML files in
compliance/frameworks/, read and validated once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from compliance.engine import FrameworkSpec, PackError, validate_pack

PACK_DIRECTORY = Path(__file__).resolve().parent / "frameworks"


class PackFileError(ValueError):
    """A shipped pack file that does not load: names the file and the field."""


def load_pack_file(path: Path) -> FrameworkSpec:
    """One pack file, parsed with YAML's safe loader and validated strictly."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PackFileError(f"{path.name}: not valid YAML: {error}") from error
    try:
        spec = validate_pack(data)
    except PackError as error:
        raise PackFileError(f"{path.name}: {error}") from error
    if path.stem != spec.id:
        raise PackFileError(f"{path.name}: id {spec.id!r} differs from the file name")
    return spec


@cache
def shipped_packs() -> dict[str, FrameworkSpec]:
    """Every shipped pack by id, in file-name order."""
    return {
        spec.id: spec
        for spec in map(load_pack_file, sorted(PACK_DIRECTORY.glob("*.yaml")))
    }


def shipped_pack(framework_id: str) -> FrameworkSpec | None:
    """The shipped pack of that id, or None."""
    return shipped_packs().get(framework_id)
