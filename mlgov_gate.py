"""mlgov-gate, kept at its old place: the command lives in mlgov_client.gate.

`python mlgov_gate.py ...` from a checkout and the `mlgov-gate` entry point
both run `mlgov_client.gate.main`; exit codes and output are unchanged.
"""

import sys

from mlgov_client.gate import (
    APPROVED,
    BLOCKED,
    ERROR,
    GateError,
    ask_gate,
    main,
    report,
)

__all__ = ["APPROVED", "BLOCKED", "ERROR", "GateError", "ask_gate", "main", "report"]

if __name__ == "__main__":
    sys.exit(main())
