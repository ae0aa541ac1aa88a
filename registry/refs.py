"""Plain values that name registry rows, for pure engines and the reads that
feed them: no Django."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VersionRef:
    """Which version: its id and number."""

    version_id: int
    version: int
