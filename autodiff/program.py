"""A function written out as Python source: the container both engines' adjoint programs share.

`scalar.program` and `vector.program` write a graph's forward and reverse sweeps out as one
straight-line Python function. What is left once the text is written is the same for both:
compile it, register its lines with `linecache` (so tracebacks, `pdb` and `inspect` show them),
check the arguments of a call, and save the text as a module that imports nothing of adjoint.
"""

from __future__ import annotations

import itertools
import linecache
import os
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_numbers = itertools.count(1)


class Program:
    """A compiled straight-line function with its source.

    - `name`, `parameters`: the function's name and argument names, in order;
    - `source` (also `str(prog)`): the text of the function, `def name(...):` and its body;
    - `line_steps`: one entry per line of `source`, the step of the reverse pass whose work the
      line is (0 for the header and the forward sweep, k for the lines of step k);
    - `imports`: the import lines the text needs (`import math`, `import numpy as np`);
    - `check`: called with the arguments of a call before the function runs; raises a
      TypeError/ValueError naming the input, or returns the arguments to pass on.
    """

    def __init__(
        self,
        name: str,
        parameters: Sequence[str],
        source: str,
        line_steps: Sequence[int],
        *,
        imports: Sequence[str],
        check: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
        doc: str = "",
    ) -> None:
        lines = source.splitlines()
        if len(line_steps) != len(lines):
            raise ValueError(
                f"Program {name}: {len(line_steps)} line steps for {len(lines)} source lines"
            )
        self.name = name
        self.parameters = tuple(parameters)
        self.source = source
        self.line_steps = tuple(line_steps)
        self.imports = tuple(imports)
        self.doc = doc
        self._check = check
        # A file name no real file has: linecache serves these lines for tracebacks and pdb.
        self.filename = f"<adjoint program {next(_numbers)}: {name}>"
        text = source if source.endswith("\n") else source + "\n"
        linecache.cache[self.filename] = (len(text), None, text.splitlines(True), self.filename)
        # The lines stay known while the program lives (a large graph's program is megabytes).
        weakref.finalize(self, linecache.cache.pop, self.filename, None)
        namespace: dict[str, Any] = {}
        exec("\n".join(self.imports), namespace)
        exec(compile(text, self.filename, "exec"), namespace)
        self.function: Callable[..., Any] = namespace[name]

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.parameters):
            raise TypeError(
                f"{self.name}() takes {len(self.parameters)} argument(s) "
                f"({', '.join(self.parameters)}), got {len(args)}"
            )
        if self._check is not None:
            args = self._check(args)
        return self.function(*args)

    def module_text(self) -> str:
        """The program as a standalone module: a docstring, its imports, the function."""
        doc = self.doc or f"{self.name}: an adjoint program, written out by adjoint."
        return f'"""{doc}"""\n\n' + "\n".join(self.imports) + "\n\n\n" + self.source.rstrip() + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write `module_text()` to `path` (a symlink is written through) and return the path.

        The text goes to a temporary file beside the target first and replaces it in one step, so
        a failed write never leaves half a module behind.
        """
        given = Path(path)
        target = Path(os.path.realpath(given))
        if target.exists() and not target.is_file():
            raise ValueError(f"Program.save: {str(given)!r} exists and is not a regular file")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(self.module_text(), encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return given

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        lines = len(self.source.splitlines())
        return f"<adjoint program {self.name}({', '.join(self.parameters)}): {lines} lines>"
