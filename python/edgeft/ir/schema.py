"""The JSON files edgeft reads back (BUILD/program.json, BUILD/report.json),
checked against a small schema before anything indexes them.

A schema is a Python value:

- `int`, `float`, `str`, `bool`: a JSON value of that kind (`float` takes
  any number, `int` only integers; neither takes true or false); `object`
  any value;
- `[item]`: an array whose every element matches `item`;
- a dict: an object; key `"k"` is required, `"k?"` optional, and `"*"`
  gives the schema of every other key (without it, other keys are refused).

    data = read_json(path, {"batch": int, "shape": [int], "cache?": {"*": int}})

Any failure is a `UserError` naming the file and the field
(`'BUILD/program.json': field 'sample_shape[1]' must be an integer, not a
string`), never a KeyError or TypeError later on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgeft.ir.errors import UserError

_KINDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
          object: "any value"}


def read_json(path: Path, schema: Any, hint: str = "") -> Any:
    """The JSON document in `path`, or a user error naming the file and what
    is wrong with it (`hint` is added to the message: how to make the file anew)."""
    suffix = f"; {hint}" if hint else ""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise UserError(f"cannot read '{path}': {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"'{path}' is not UTF-8 text{suffix}") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise UserError(f"'{path}' is not valid JSON ({e}){suffix}") from None
    problem = mismatch(data, schema)
    if problem is not None:
        raise UserError(f"'{path}': {problem}{suffix}")
    return data


def mismatch(value: Any, schema: Any, where: str = "") -> str | None:
    """What makes `value` not match `schema`, in words, or None if it does."""
    if isinstance(schema, dict):
        return _object_mismatch(value, schema, where)
    if isinstance(schema, list):
        if not isinstance(value, list):
            return _wrong(where, "an array", value)
        for i, item in enumerate(value):
            problem = mismatch(item, schema[0], f"{where}[{i}]")
            if problem is not None:
                return problem
        return None
    if not _is(value, schema):
        return _wrong(where, _KINDS[schema], value)
    return None


def _object_mismatch(value: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, dict):
        return _wrong(where, "an object", value)
    known = {key.rstrip("?"): key.endswith("?") for key in schema if key != "*"}
    for key, optional in known.items():
        if key not in value and not optional:
            return f"field '{_join(where, key)}' is missing"
    for key, item in value.items():
        if key in known:
            item_schema = schema[key + "?" if known[key] else key]
        elif "*" in schema:
            item_schema = schema["*"]
        else:
            return (f"field '{_join(where, key)}' is not one edgeft writes (known: "
                    f"{', '.join(known)})")
        problem = mismatch(item, item_schema, _join(where, key))
        if problem is not None:
            return problem
    return None


def _is(value: Any, kind: type) -> bool:
    if kind is object:
        return True
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _wrong(where: str, expected: str, value: Any) -> str:
    subject = f"field '{where}'" if where else "the document"
    return f"{subject} must be {expected}, not {_kind_of(value)}"


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    for kind, words in ((int, "an integer"), (float, "a number"), (str, "a string"),
                        (list, "an array"), (dict, "an object")):
        if isinstance(value, kind):
            return words
    return type(value).__name__
