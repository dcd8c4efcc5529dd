"""Every document, picture or example a tracked file points to is in the repository.

A reader who follows a path written in a docstring, a comment, the README or a notebook must find
it here: Markdown files (`*.md`), anything under `docs/` or `examples/`, and no folder outside the
repository (a parent folder's `shared` notes, which users never get). URLs are left alone: they
point at other projects.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

TEXT_SUFFIXES = {
    ".md",
    ".py",
    ".ipynb",
    ".toml",
    ".sh",
    ".js",
    ".css",
    ".html",
    ".cfg",
    ".txt",
    ".yml",
    ".yaml",
}
TEXT_NAMES = {"Makefile", "run", ".gitignore"}

URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
"""Addresses of other projects: not paths of this one."""

PATH = re.compile(
    r"(?<![\w./-])"  # the start of a path, not the middle of a longer word
    r"(?:"
    r"(?:\.\./)+[\w.-]+(?:/[\w.-]+)*"  # anything that climbs out of the folder it is written in
    r"|(?:docs|examples)/[\w.*-]+(?:/[\w.*-]+)*"  # the documents and the examples
    r"|[\w./-]*[\w-]\.md"  # any Markdown document
    r")"
    r"(?![\w-]|\.\w)"
)
"""A path as prose, comments and links write it."""

EXPECTED_MISSING: set[tuple[str, str]] = set()
"""(file, path) pairs allowed to point nowhere. Empty: every reference must resolve."""


def tracked_text_files() -> list[Path]:
    """The files git tracks that are text a reader reads (sources, docs, notebooks, scripts)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    files = [REPO / name for name in listed.split("\0") if name]
    return [
        f
        for f in files
        if f.is_file() and (f.suffix in TEXT_SUFFIXES or f.name in TEXT_NAMES or f.suffix == "")
    ]


def references(text: str) -> list[str]:
    """The paths `text` mentions, in order, with trailing punctuation and URLs left out."""
    text = URL.sub(" ", text)
    found = []
    for match in PATH.finditer(text):
        path = match.group(0).rstrip(".")
        if path and path not in found:
            found.append(path)
    return found


def resolves(path: str, source: Path) -> bool:
    """True when `path` names something in the repository, read from the repository's root or from
    the folder of the file that mentions it; a `*` matches as in a shell."""
    if path.startswith(".."):
        target = (source.parent / path).resolve()
        if REPO not in target.parents and target != REPO:
            return False  # outside the repository: a user's checkout does not have it
        return target.exists()
    for base in (REPO, source.parent):
        if "*" in path:
            if any(base.glob(path)):
                return True
        elif (base / path).exists():
            return True
    return False


def dangling() -> list[tuple[str, str]]:
    """Every (file, path) pair whose path names nothing in the repository."""
    missing = []
    for source in tracked_text_files():
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a binary file without a suffix; nothing to read
        for path in references(text):
            if not resolves(path, source):
                missing.append((str(source.relative_to(REPO)), path))
    return missing


def test_every_referenced_document_exists() -> None:
    missing = [pair for pair in dangling() if pair not in EXPECTED_MISSING]
    assert not missing, "files refer to paths the repository lacks:\n" + "\n".join(
        f"  {source}: {path}" for source, path in missing
    )


def test_no_expected_missing_pair_is_stale() -> None:
    """An allowance that matches nothing any more would hide a future break: keep the list exact."""
    assert set(dangling()) >= EXPECTED_MISSING


# The scanner itself, on text made here. Names are built from parts so that this file does not
# mention, as a whole word, a document the repository lacks.
ABSENT_NOTE = "NOTES" + ".md"
ABSENT_DOC = "docs/" + "nowhere" + ".md"
SIBLING = "../" + "shared/" + "notes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"see {ABSENT_NOTE}, and `{ABSENT_DOC}`.", [ABSENT_NOTE, ABSENT_DOC]),
        (f"written in [{SIBLING}]({SIBLING})", [SIBLING]),
        (
            "run `python examples/demo.py` or open examples/tour.ipynb.",
            ["examples/demo.py", "examples/tour.ipynb"],
        ),
        ("https://github.com/karpathy/micrograd/blob/master/README.md", []),
        ("a backup `x.md.bak`, a word like autodocs/x or my_examples/y", []),
    ],
    ids=["documents", "outside-the-repository", "examples", "a-url", "near-misses"],
)
def test_references_are_found(text: str, expected: list[str]) -> None:
    assert references(text) == expected


def test_a_missing_document_is_reported() -> None:
    source = REPO / "README.md"
    assert not resolves(ABSENT_NOTE, source)
    assert not resolves(ABSENT_DOC, source)
    assert not resolves(SIBLING, source)  # outside the repository, even where it exists
    assert resolves("docs/design.md", source)
    assert resolves("examples/nn_epoch.py", source)
    assert resolves("examples/*.py", source)


def test_the_readme_stays_an_introduction() -> None:
    """The README leads a newcomer in; measurements, decisions and contracts live in docs/."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_readmes_commands_name_real_targets_and_modules() -> None:
    """Every `make X` is a Makefile target and every `python -m X` a module of this checkout."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    made = set(re.findall(r"\bmake ([a-z][\w-]*)", readme))
    assert {"demo", "test", "bench"} <= made
    assert made <= targets, f"README names make targets the Makefile lacks: {made - targets}"
    modules = set(re.findall(r"python -m ([\w.]+)", readme))
    assert modules, "the README shows no `python -m` command"
    for module in sorted(modules):
        parts = module.split(".")
        assert (REPO.joinpath(*parts) / "__main__.py").exists() or (
            REPO.joinpath(*parts[:-1]) / f"{parts[-1]}.py"
        ).exists(), f"README runs `python -m {module}`, which is not in the repository"
