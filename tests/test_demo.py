"""`make demo` end to end: the pictures it writes, the numbers it prints, its README images.

The demo runs once per module with `--quick` (fewer training steps and images, a smaller Jacobian;
the same code paths) into a temporary folder, and each test reads what that run left behind.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

import viz
from examples import demo, fashion, graphs, pictures, topo_order
from viz.render import DOT_MISSING

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

EXPECTED = [
    "baydin-before.png",
    "baydin-after.png",
    *(f"baydin-frames/step-{k:03d}.png" for k in range(1, 8)),  # one per node of y's graph
    "baydin-forward.png",
    "used-twice.png",
    *(f"used-twice-frames/step-{k:03d}.png" for k in range(1, 5)),
    "used-twice-node-step.png",
    "neuron.png",
    "two-layer.png",
    "baydin.html",  # the stepper pages
    "used-twice.html",
    "neuron.html",
    "two-layer.html",
]
"""Every picture of the demo, relative to its output folder."""


@dataclass(frozen=True)
class Run:
    out: Path
    printed: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("demo") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        demo.main(["--out", str(out), "--quick"])
    return Run(out, printed.getvalue())


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 5_000, path  # a drawn graph, not an empty canvas


@pytest.mark.needs_dot
def test_writes_every_picture_and_names_each_file(run: Run) -> None:
    written = sorted(str(p.relative_to(run.out)) for p in run.out.rglob("*") if p.is_file())
    assert written == sorted(EXPECTED)
    for name in EXPECTED:
        if name.endswith(".html"):
            assert 'id="adjoint-trace"' in (run.out / name).read_text(encoding="utf-8")
        else:
            assert_png(run.out / name)
        assert str(run.out / name) in run.printed
    assert "open one in any browser, offline" in run.printed


def test_without_dot_says_so_once_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on it
    assert demo.show_pictures(tmp_path / "out") == []
    printed = capsys.readouterr().out
    assert printed.count(DOT_MISSING) == 1
    assert not (tmp_path / "out").exists()


def test_prints_the_baydin_traces(run: Run) -> None:
    for line in [
        "v5 = v4 − v3 = 10.69 − (−0.9589) = 11.65",
        "ẏ = v̇5 = 5.5",  # Table 2: one forward pass, ∂y/∂x₁
        "x̄1 = x̄1→v1 + x̄1→v2 = 0.5 + 5 = 5.5",  # Table 3: both partial adjoints at once
        "x̄2 = x̄2→v2 + x̄2→v3 = 2 − 0.2837 = 1.716",
        "v̄₂   = 6.436564 = v̄₂→₃ + v̄₂→₄ = 6.436564",  # the node used twice
    ]:
        assert line in run.printed


def test_prints_the_numbered_sections_in_order(run: Run) -> None:
    titles = [line for line in run.printed.splitlines() if line[:3] in {f"{k}. " for k in range(9)}]
    assert [t.split(".")[0] for t in titles] == ["1", "2", "3", "4", "5", "6", "7"]
    assert titles[2] == "3. Why a topological order?"


def test_prints_why_a_topological_order(run: Run) -> None:
    assert topo_order.report() in run.printed


def test_prints_the_cost_of_each_mode(run: Run) -> None:
    # --quick uses n = 100: f: R^100 → R^1 and g: R^1 → R^100.
    assert "100 forward passes" in run.printed  # forward mode on the loss
    assert "1 forward + 1 backward pass " in run.printed  # reverse mode on the loss
    assert "1 forward + 100 backward passes" in run.printed  # reverse mode on the curve
    assert run.printed.count("the Jacobians agree") == 2


def test_trains_both_engines(run: Run) -> None:
    assert "final training accuracy: 100%" in run.printed  # micrograd's moons
    rows = run.printed.split("epoch  train loss")[1].splitlines()[1:3]  # after the header
    assert [row.split()[0] for row in rows] == ["1", "2"]
    losses = [float(row.split()[1]) for row in rows]
    assert losses[1] < losses[0]
    assert "The demo took" in run.printed


def test_without_the_dataset_trains_on_generated_images(tmp_path: Path) -> None:
    said: list[str] = []
    data = fashion.load(300, 100, data_dir=tmp_path, log=said.append)
    assert len(said) == 1 and "not found" in said[0] and "generated" in said[0]
    assert data.X_train.shape == (300, 784) and data.X_test.shape == (100, 784)
    (epoch,) = fashion.train(data, epochs=1, log=None)
    assert 0.0 <= epoch.test_error <= 1.0


def test_pictures_go_to_out_by_default() -> None:
    assert demo.parse([]).out == Path("out")


@pytest.mark.needs_dot
def test_docs_images_are_small_pngs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo.main(["--docs", str(tmp_path)])
    printed = capsys.readouterr().out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "baydin.png",
        "node-step.png",
        "reverse-pass.gif",
        "two-layer.png",
        "used-twice-frame.png",
    ]
    for name in names:
        assert str(tmp_path / name) in printed
        if name.endswith(".gif"):
            continue
        assert_png(tmp_path / name)
        assert (tmp_path / name).stat().st_size < pictures.DOCS_MAX_BYTES
    gif = (tmp_path / "reverse-pass.gif").read_bytes()
    assert gif[:6] == b"GIF89a" and len(gif) < pictures.GIF_MAX_BYTES


@pytest.mark.needs_dot
def test_the_readme_animation_has_one_frame_per_step(tmp_path: Path) -> None:
    from PIL import Image

    b = graphs.baydin()
    frames = viz.backward_frame_graphs(b["v5"], rankdir="TB")
    path = pictures.write_gif(frames, tmp_path / "pass.gif", seconds=1.0)
    with Image.open(path) as gif:
        assert gif.n_frames == len(frames) == 7
        assert gif.width == pictures.GIF_WIDTH
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
    assert durations == [1000] * 6 + [2000]  # the last frame stays longer


def test_the_node_step_of_the_node_used_twice_shows_the_sum() -> None:
    # What the demo's node-step picture is for: v̄₂ arrives as v̄₂→₃ + v̄₂→₄.
    u = graphs.used_twice()
    u["v4"].backward()
    source = viz.node_step(u["v2"], root=u["v4"]).source
    assert "v̄ = 2.7183 + 3.7183 = 6.4366 arrives at v2" in source  # right at the digits shown
    assert "sent by its consumers v3, v4" in source


def test_prints_the_adjoint_programs(run: Run) -> None:
    assert "4. The adjoint program: the reverse pass written out as code" in run.printed
    assert "    x1_bar += v1_bar * (1.0 / x1)" in run.printed  # Baydin's x1, used twice
    assert "    W2_bar = v2.T @ Z_bar  # (100, 100) @ (100, 10) -> (100, 10) float32" in run.printed
    assert run.printed.count("program vs backward(): equal, bit for bit") == 2
