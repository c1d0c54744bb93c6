"""Errors a user can cause from the command line become one readable line instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

# Missing, unwritable or damaged files and folders (OSError, CheckpointError, IDXFormatError), settings
# refused (ValueError) and state dicts that do not fit the model (KeyError).
USER_ERRORS = (OSError, ValueError, KeyError)
INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def report_error(command: str, message: object) -> None:
    """Print ``tinygrad-vn COMMAND: error: MESSAGE`` to stderr."""
    print(f"tinygrad-vn {command}: error: {message}", file=sys.stderr)


def run_reporting_errors(command: str, body: Callable[[], int]) -> int:
    """Run ``body``; a user error prints one ``error:`` line and returns 1, Ctrl-C one line and 130."""
    try:
        return body()
    except USER_ERRORS as err:
        report_error(command, err.args[0] if isinstance(err, KeyError) and err.args else err)
        return 1
    except KeyboardInterrupt:
        print(f"tinygrad-vn {command}: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE
