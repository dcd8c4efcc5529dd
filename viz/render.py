"""Writing pictures to files: PNG or SVG by suffix, atomically, with a clear error without `dot`."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from viz.checks import check_graph, check_path
from viz.scene import load_graphviz

FORMATS = (".png", ".svg")

DOT_MISSING = (
    "the graphviz program `dot` is not installed; install it with "
    "`sudo apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz`"
)


def image_format(path: Path) -> str:
    """'png' or 'svg' from the suffix of `path`; anything else is a ValueError."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"viz.render: cannot write {path.name!r}: unknown suffix {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return suffix[1:]


def require_dot() -> None:
    """Raise the install hint now, before any work, when `dot` is not on the PATH."""
    if shutil.which("dot") is None:
        raise RuntimeError(DOT_MISSING)


def image_bytes(graph: Any, fmt: str) -> bytes:
    """Lay out and draw `graph` with `dot`, returning the image file's bytes."""
    graphviz = load_graphviz()
    require_dot()
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError(DOT_MISSING) from exc


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename, so a failure
    leaves either the old file or none, never half an image. A symbolic link at `path` stays: the
    file it points to is replaced. A folder, device or pipe at `path` is refused, not replaced."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        raise ValueError(f"{path}: is a folder, device or pipe, not a file; give a file name")
    path = target
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the permissions, as for any new file (tempfile's
    # files are private, 0o600, and a picture is for showing).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(root_or_digraph: Any, path: str | os.PathLike[str], **draw_kwargs: Any) -> Path:
    """Write a picture of a graph to `path` (PNG or SVG by its suffix) and return the path.

    Pass a node (drawn with `viz.draw(node, **draw_kwargs)`) or a ready `graphviz.Digraph` (from
    `viz.draw`, `viz.node_step`, `viz.backward_frame_graphs`). The folder is created if needed.
    """
    check_path(path, "viz.render")
    path = Path(path)
    fmt = image_format(path)
    graphviz = load_graphviz()
    if not isinstance(root_or_digraph, graphviz.Digraph):
        check_graph(root_or_digraph, "viz.render")
    if isinstance(root_or_digraph, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(
                f"viz.render: {sorted(draw_kwargs)} only apply when drawing a node, "
                "not to a ready Digraph"
            )
        graph = root_or_digraph
    else:
        from viz.draw import draw

        graph = draw(root_or_digraph, **draw_kwargs)
    write_atomically(path, image_bytes(graph, fmt))
    return path
