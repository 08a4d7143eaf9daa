"""Errors that edgeft reports to its users.

A `UserError` is bad input: the drivers print its message and exit with 1,
never a traceback. Anything else that escapes is an internal error (exit 2).
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: one clear message, exit code 1."""
