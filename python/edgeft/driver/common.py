"""What both drivers share: the exit-code contract.

0 success, 1 user error (one message, no traceback), 2 internal error (the
traceback and a command line that reproduces it).
"""

from __future__ import annotations

import shlex
import sys
import traceback
from collections.abc import Callable


def run_main(program: str, body: Callable[[list[str]], int], argv: list[str] | None) -> int:
    """Run a driver body, mapping exceptions to the exit-code contract."""
    from edgeft.ir.errors import UserError

    args = sys.argv[1:] if argv is None else argv
    try:
        return body(args)
    except UserError as e:
        print(f"{program}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # noqa: BLE001 - the contract for bugs is exit 2 with a reproducer
        traceback.print_exc()
        print(f"{program}: internal error; please report it with this reproducer:\n  "
              f"{shlex.join([program, *args])}", file=sys.stderr)
        return 2
