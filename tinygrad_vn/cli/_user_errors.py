"""Errors a user can cause from the command line become one readable line instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

# Missing or damaged data and model files (OSError, CheckpointError, IDXFormatError), settings the
# model refuses (ValueError) and state dicts that do not fit the model (KeyError).
USER_ERRORS = (OSError, ValueError, KeyError)


def run_reporting_errors(command: str, body: Callable[[], int]) -> int:
    """Run ``body``; on a user error print ``tinygrad-vn COMMAND: error: ...`` to stderr and return 1."""
    try:
        return body()
    except USER_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"tinygrad-vn {command}: error: {message}", file=sys.stderr)
        return 1
