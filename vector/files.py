"""Writing files so that a failure leaves nothing half-written, and nothing else is destroyed.

`atomic_output(path)` writes a temporary file beside the destination and renames it into place.
Where `path` is a symbolic link, the file it points to is replaced and the link stays, as `>`
in a shell would do; a destination that exists but is no regular file (a folder, a device such
as /dev/null, a named pipe) is refused with `OutputPathError` before anything is written, since
renaming over it would destroy it. `output_problem(path)` says, without writing anything, why a
path cannot be written (or None), so that a command can check its outputs before a long run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["OutputPathError", "atomic_output", "destination", "output_problem"]


class OutputPathError(OSError):
    """An output path that cannot be written without destroying something, or at all."""


def destination(path: str | os.PathLike[str]) -> Path:
    """The file that writing to `path` really replaces: `path` with every symbolic link followed
    (a dangling link leads to the file it names, which writing creates)."""
    return Path(os.path.realpath(path))


def output_problem(path: str | os.PathLike[str]) -> str | None:
    """Why a file cannot be written at `path` (one phrase), or None when it can.

    Refused: an empty path, an existing destination that is no regular file (folder, device,
    pipe, socket), and a destination whose folder is missing or not writable (tried by creating
    and removing an empty temporary file there).
    """
    if os.fspath(path) == "":
        return "the path is empty (an unset shell variable?)"
    target = destination(path)
    problem = _not_a_file(target)
    if problem is not None:
        return problem
    folder = target.parent
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    # Trying is the one reliable test: permissions, read-only file systems, root's exceptions.
    probe = _temporary_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as error:
        return f"cannot write in {folder} ({error.strerror})"
    probe.unlink()
    return None


def _temporary_name(target: Path) -> Path:
    """A fresh name beside `target` for the file that becomes it."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")


def _not_a_file(target: Path) -> str | None:
    """Why replacing the existing `target` would destroy something other than a file, or None."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot be inspected ({error.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder; give a file name"
    if not stat.S_ISREG(mode):
        return "is no regular file (a device, pipe or socket); give a file name"
    return None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` only if the `with` block finishes without error.

    The temporary file lives in the destination folder so that the final `os.replace` is a rename
    on one file system, which is atomic. On any exception (KeyboardInterrupt included) it is
    removed, so a failed write leaves nothing behind. A symbolic link at `path` is followed (its
    target is replaced, the link stays); a destination that is no regular file raises
    OutputPathError naming `path`, before anything is written.
    """
    target = destination(path)
    problem = _not_a_file(target)
    if problem is not None:
        raise OutputPathError(f"{os.fspath(path)}: {problem}")
    temporary = _temporary_name(target)
    try:
        # os.open with 0o666 lets the umask decide the final permissions, as for any new file;
        # tempfile would make it private (0o600).
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        # Name the file the caller asked for, not the temporary name they never chose.
        raise OutputPathError(
            f"{os.fspath(path)}: cannot write in {target.parent} ({error.strerror})"
        ) from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
