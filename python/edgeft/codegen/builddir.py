"""Build directories: written whole or not at all, locked, and checked against a manifest.

    check_target(build, force=False)                 # before a slow compile: may -o go there?
    with locked(build):                              # one edgeft at a time on BUILD
        with staged(build, force=False) as stage:    # a fresh sibling folder
            ...write every file into stage...
            write_manifest(stage, producer)          # the files and their hashes
        # here BUILD is the new build, swapped in in one rename
    verify(build)                                    # edgeft run / report: UserError if tampered
    record(build, ["metrics.json", "report.json"])   # what edgeft run rewrote

A compile writes into `.NAME.new-*` beside BUILD and swaps it with BUILD in
one `renameat2(RENAME_EXCHANGE)` (Linux; elsewhere two renames), so an
interrupted or failed compile leaves the previous build whole. The lock is
`.NAME.lock` beside BUILD (`flock`): a second compile or run on the same
BUILD waits for the first. BUILD/manifest.json names what produced the build
(edgeft's version, the model, the options) and the SHA-256 of every file
edgeft wrote; the backends' own work folders (`DERIVED`) are not listed, so
a build can be copied or moved and still runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from edgeft.ir.errors import UserError
from edgeft.ir.files import replace_text, strict_json

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# Folders the backends build in (CMake's for the host, rv32's, gvsoc's):
# recreated from the listed files whenever they are missing or stale.
DERIVED = ("host", "rv32", "gvsoc")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(build: Path) -> dict[str, Any] | None:
    """BUILD/manifest.json if it is one edgeft wrote, else None."""
    try:
        manifest = json.loads((build / MANIFEST).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or manifest.get("format") != MANIFEST_FORMAT:
        return None
    return manifest


def _foreign(build: Path) -> list[str]:
    """The names in BUILD that edgeft did not write (by its manifest)."""
    manifest = _read_manifest(build)
    ours = set(manifest["files"]) | {MANIFEST, *DERIVED} if manifest else set()
    return sorted(p.name for p in build.iterdir() if p.name not in ours)


def check_target(build: Path, force: bool = False) -> None:
    """A user error unless a build may be written at `build`: a new or empty
    folder, a build edgeft wrote, or anything with `force`."""
    if not str(build) or str(build) == ".":
        raise UserError("-o needs the name of a build folder (got an empty name or '.')")
    resolved = build.resolve()
    if resolved.parent == resolved:
        raise UserError(f"-o {build}: a build folder cannot be the root of a file system")
    if not resolved.parent.is_dir():
        if resolved.parent.exists() or any(p.is_file() for p in resolved.parents):
            raise UserError(f"cannot write the build '{build}': a part of its path is a file")
    _lock_file(build).close()   # where the lock goes, the build can go (or say why not)
    if not build.exists() and not build.is_symlink():
        return
    if build.is_symlink() or not build.is_dir():
        raise UserError(f"'{build}' exists and is not a folder; choose another -o")
    foreign = _foreign(build)
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        raise UserError(f"'{build}' holds files edgeft did not write ({shown}); choose another "
                        "-o, or pass --force to replace the whole folder")


@contextlib.contextmanager
def locked(build: Path, what: str = "edgeft") -> Iterator[None]:
    """Hold `.NAME.lock` beside BUILD: another edgeft on the same BUILD waits."""
    with _lock_file(build) as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{what}: waiting for another edgeft working on '{build}'", file=sys.stderr)
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield   # closing the file releases the lock


def _lock_file(build: Path) -> io.FileIO:
    """`.NAME.lock` beside BUILD, opened (made with its folders if missing)."""
    resolved = build.resolve()
    try:
        resolved.parent.mkdir(parents=True, exist_ok=True)
        return io.FileIO(resolved.parent / f".{resolved.name}.lock", "a")
    except OSError as e:
        raise UserError(f"cannot write the build '{build}': {e.strerror}") from None


def _leftovers(build: Path) -> list[Path]:
    """Stage folders of earlier compiles into BUILD that were killed before they cleaned up."""
    parent, name = build.parent, build.name
    return [p for p in parent.glob(f".{name}.new-*") if p.is_dir() and not p.is_symlink()]


@contextlib.contextmanager
def staged(build: Path, force: bool = False) -> Iterator[Path]:
    """A fresh folder beside BUILD to write a build into; on a normal exit it
    replaces BUILD in one step, on an exception it is removed and BUILD stays
    as it was. Call with the lock held (`locked`)."""
    build = build.resolve()
    for stale in _leftovers(build):   # the lock is ours: nobody else writes them
        shutil.rmtree(stale, ignore_errors=True)
    check_target(build, force)
    try:
        stage = Path(tempfile.mkdtemp(dir=build.parent, prefix=f".{build.name}.new-"))
    except OSError as e:
        raise UserError(f"cannot write the build '{build}': {e.strerror}") from None
    try:
        os.chmod(stage, 0o755)
        yield stage
        _swap(stage, build)
    finally:
        shutil.rmtree(stage, ignore_errors=True)   # the new build if it failed, else the old


def _swap(stage: Path, build: Path) -> None:
    """Put `stage` where `build` is; afterwards `stage` holds the old build (if any)."""
    if not build.exists():
        os.rename(stage, build)
        return
    if _exchange(stage, build):
        return
    old = Path(tempfile.mkdtemp(dir=build.parent, prefix=f".{build.name}.new-"))
    os.rename(build, old / "build")
    os.rename(stage, build)
    os.rename(old, stage)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where that is not offered."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                       ctypes.c_uint(_RENAME_EXCHANGE))
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(b))


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).parts[0] not in DERIVED
                  and p.name != MANIFEST)


def write_manifest(folder: Path, producer: dict[str, Any]) -> None:
    """FOLDER/manifest.json: `producer` (what made the build) and the SHA-256
    of every file in FOLDER."""
    manifest = {"format": MANIFEST_FORMAT, **producer,
                "files": {name: _sha256(folder / name) for name in _files(folder)}}
    (folder / MANIFEST).write_text(strict_json(manifest))


def verify(build: Path) -> dict[str, Any]:
    """BUILD's manifest, after checking that every file it lists is there and
    unchanged; a user error naming the first that is not."""
    if not build.is_dir() or not any((build / name).exists() for name in
                                     (MANIFEST, "program.json", "report.json")):
        raise UserError(f"'{build}' is not an edgeft build directory (make one with edgeft "
                        f"compile ... -o {build})")
    manifest = _read_manifest(build)
    if manifest is None:
        raise UserError(f"'{build}' has no valid {MANIFEST}: it is not a build edgeft wrote "
                        f"whole (an older edgeft, or a copy of part of one); compile it again "
                        f"(edgeft compile ... -o {build})")
    for name, digest in sorted(manifest["files"].items()):
        path = build / name
        if not path.is_file():
            raise UserError(f"the build '{build}' is incomplete: {name} is missing (listed in "
                            f"{MANIFEST}); compile it again (edgeft compile ... -o {build})")
        if _sha256(path) != digest:
            raise UserError(f"{path} was changed after edgeft wrote it (it does not match "
                            f"{MANIFEST}); compile it again (edgeft compile ... -o {build})")
    return manifest


def record(build: Path, names: Sequence[str]) -> None:
    """After rewriting `names` in BUILD (edgeft run), list their new hashes in
    its manifest. Call with the lock held."""
    manifest = _read_manifest(build)
    if manifest is None:
        return
    for name in names:
        if (build / name).is_file():
            manifest["files"][name] = _sha256(build / name)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    replace_text(build / MANIFEST, strict_json(manifest))
