"""Image files: PNG and SVG by suffix, written atomically, and the message when `dot` is missing."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import viz
from scalar.value import Value

RENDER = sys.modules["viz.render"]  # the module; `viz.render` is the function


def graph() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    y = x1.log() + x1 * x2 - x2.sin()
    y.label = "y"
    return y


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000  # a real picture, not an empty canvas


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.needs_dot
def test_render_png_and_svg(tmp_path: Path) -> None:
    y = graph()
    y.backward()
    png = viz.render(y, tmp_path / "g.png", title="after backward")
    assert png == tmp_path / "g.png"
    assert_png(png)
    svg = viz.render(viz.draw(y), tmp_path / "sub" / "g.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "sends 1 × 5 = 5" in svg.read_text(encoding="utf-8")
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "sub") == []


@pytest.mark.needs_dot
def test_backward_frames_writes_one_png_per_step_in_order(tmp_path: Path) -> None:
    (tmp_path / "step-009.png").write_bytes(b"stale frame of an earlier, longer pass")
    (tmp_path / "notes.txt").write_text("not ours")
    y = graph()
    paths = viz.backward_frames(y, tmp_path)
    assert [p.name for p in paths] == [f"step-{k:03d}.png" for k in range(1, 8)]
    for path in paths:
        assert_png(path)
    assert sorted(p.name for p in tmp_path.glob("step-*.png")) == [p.name for p in paths]
    assert (tmp_path / "notes.txt").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.needs_dot
def test_node_step_renders(tmp_path: Path) -> None:
    y = graph()
    y.backward()
    assert_png(viz.render(viz.node_step(y), tmp_path / "step.png"))


def test_unknown_suffix_is_refused_before_drawing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'\.jpg'.*\.png, \.svg"):
        viz.render(graph(), tmp_path / "g.jpg")
    with pytest.raises(ValueError, match=r"'\(none\)'"):
        viz.render(graph(), tmp_path / "g")
    assert list(tmp_path.iterdir()) == []


def test_draw_kwargs_with_a_ready_digraph_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="title"):
        viz.render(viz.draw(graph()), tmp_path / "g.png", title="x")


def test_missing_dot_on_path_gives_install_hint(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for call in (
        lambda: viz.render(graph(), tmp_path / "g.png"),
        lambda: viz.backward_frames(graph(), tmp_path / "frames"),
    ):
        with pytest.raises(RuntimeError) as info:
            call()
        message = str(info.value)
        assert "the graphviz program `dot` is not installed" in message
        assert "sudo apt-get install graphviz" in message and "brew install graphviz" in message
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a folder of frames


def test_dot_vanishing_after_the_lookup_gives_the_same_hint(tmp_path: Path, monkeypatch) -> None:
    # `which` says yes but running it fails: graphviz raises ExecutableNotFound, which we translate
    monkeypatch.setattr(RENDER.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="sudo apt-get install graphviz"):
        viz.render(graph(), tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "g.png"
    target.write_bytes(b"old picture")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(RENDER, "image_bytes", lambda graph, fmt: b"half a picture")
    monkeypatch.setattr(RENDER.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        viz.render(graph(), target)
    assert target.read_bytes() == b"old picture"
    assert leftovers(tmp_path) == []
