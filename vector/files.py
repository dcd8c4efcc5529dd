"""Writing files so that a failure leaves nothing half-written."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` only if the `with` block finishes without error.

    The temporary file lives in the destination folder so that the final `os.replace` is a rename
    on one file system, which is atomic. On any exception (KeyboardInterrupt included) it is
    removed, so a failed write leaves nothing behind.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    # os.open with 0o666 lets the umask decide the final permissions, as for any new file;
    # tempfile would make it private (0o600).
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
