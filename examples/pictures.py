"""The demo's pictures: every kind of `viz` picture, drawn from live graphs of both engines.

`write_pictures(folder)` writes the full set (what `make demo` puts in `out/`); `write_docs(folder)`
writes the few small images the README shows (`python -m examples.demo --docs` regenerates
`docs/`). The README images are laid out top to bottom, because a left-to-right graph as wide as
these would be shrunk on a web page until its labels can no longer be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import viz
from examples import graphs
from viz.numbers import number
from viz.render import require_dot
from viz.scene import load_graphviz

DOCS_MAX_BYTES = 150_000
"""README images stay below this size, so the repository and the page stay light."""

GIF_MAX_BYTES = 300_000
"""The README's animation may be larger than a still picture, but not much."""
GIF_WIDTH = 720
"""Pixels across: a README column is about this wide, so larger frames would only be shrunk."""


@dataclass(frozen=True)
class Written:
    """A picture file and what it shows."""

    path: Path
    what: str


def unavailable() -> str | None:
    """Why no picture can be made here (the viz module's own message), or None if they can."""
    try:
        load_graphviz()
        require_dot()
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


def write_pictures(folder: Path) -> list[Written]:
    """Write every picture of the demo into `folder` and return them in the order written."""
    written: list[Written] = []

    def render(graph_or_root: object, name: str, what: str, **draw_kwargs: object) -> None:
        written.append(Written(viz.render(graph_or_root, folder / name, **draw_kwargs), what))

    # Baydin et al. (2018): y = ln(x1) + x1·x2 − sin(x2) at (2, 5).
    b = graphs.baydin()
    y, x1 = b["v5"], b["x1"]
    at = "y = ln(x1) + x1·x2 − sin(x2) at (x1, x2) = (2, 5)"
    render(
        y,
        "baydin-before.png",
        "Baydin's graph before backward: local derivatives on the edges",
        title=f"{at}, before backward: each edge knows its local derivative",
    )
    y.backward()
    render(
        y,
        "baydin-after.png",
        "Baydin's graph after backward: partial adjoints on the edges, grads in the nodes",
        title=f"{at}, after y.backward(): each edge also shows the partial adjoint it sent back",
    )
    frames = viz.backward_frames(y, folder / "baydin-frames")
    for k, path in enumerate(frames, start=1):
        written.append(Written(path, f"reverse pass, step {k} of {len(frames)}"))
    tangents = viz.forward_tangents(y, {x1: 1.0})
    render(
        viz.draw(
            y,
            tangents={x1: 1.0},
            title=(
                f"{at}, forward mode with tangents ẋ1 = 1, ẋ2 = 0: "
                f"one pass gives ẏ = ∂y/∂x1 = {number(tangents[y.id])}"
            ),
        ),
        "baydin-forward.png",
        "forward mode: the tangent of every node for ẋ1 = 1",
    )

    # A node used twice: its adjoint is the sum of the partial adjoints it receives.
    u = graphs.used_twice()
    v2, v4 = u["v2"], u["v4"]
    v4.backward()
    render(
        v4,
        "used-twice.png",
        "v2 used twice, after backward: its grad sums two partial adjoints",
        title=(
            "v1 = x, v2 = exp(v1), v3 = v2 + 1, v4 = v2·v3 at x = 1, after v4.backward(): "
            f"v2 is used twice, so its grad {number(v2.grad)} is the sum of two partial adjoints"
        ),
    )
    frames = viz.backward_frames(v4, folder / "used-twice-frames")
    for k, path in enumerate(frames, start=1):
        written.append(Written(path, f"reverse pass, step {k} of {len(frames)}"))
    render(
        viz.node_step(v2, root=v4),
        "used-twice-node-step.png",
        "one backward step at v2: adjoint in, local derivative, partial adjoint out",
    )

    # micrograd's neuron, with the numbers of its lecture.
    n = graphs.neuron()
    n["o"].backward()
    render(
        n["o"],
        "neuron.png",
        "micrograd's neuron tanh(x1·w1 + x2·w2 + b) after backward",
        title="micrograd's neuron o = tanh(x1·w1 + x2·w2 + b) after o.backward()",
        params=[n["w1"], n["w2"], n["b"]],
    )

    # The vector engine: the seed loop's 2-layer network on a batch of 4 images.
    t = graphs.two_layer()
    t.loss.backward()
    render(
        t.loss,
        "two-layer.png",
        "the seed loop's 2-layer network (vector engine), shapes after backward",
        title=(
            "the seed loop's network: loss = softmax_loss(relu(X @ W1) @ W2, y_one_hot) "
            "on 4 images, after loss.backward()"
        ),
    )
    return written


def write_steppers(folder: Path) -> list[Written]:
    """Write the demo's stepper pages into `folder`: one offline web page per graph, in which the
    reverse pass can be stepped through (and, for scalar graphs, the inputs changed)."""
    written: list[Written] = []

    def save(root: Any, name: str, what: str, **kwargs: Any) -> None:
        written.append(Written(viz.stepper(root, **kwargs).save(folder / name), what))

    b = graphs.baydin()
    save(
        b["v5"],
        "baydin.html",
        "Baydin's graph, step by step; change x1 or x2 and every number follows",
        title="y = ln(x1) + x1·x2 − sin(x2)",
    )
    u = graphs.used_twice()
    save(
        u["v4"],
        "used-twice.html",
        "v2 used twice: watch its two partial adjoints arrive and add up",
        title="v2 = exp(v1), v3 = v2 + 1, v4 = v2·v3: v2 is used twice",
    )
    n = graphs.neuron()
    save(
        n["o"],
        "neuron.html",
        "micrograd's neuron, step by step",
        title="micrograd's neuron o = tanh(x1·w1 + x2·w2 + b)",
        params=[n["w1"], n["w2"], n["b"]],
    )
    t = graphs.two_layer()
    save(
        t.loss,
        "two-layer.html",
        "the seed loop's 2-layer network on 4 images: shapes and norms, step by step",
        title="the seed loop's network: softmax_loss(relu(X @ W1) @ W2, y_one_hot)",
    )
    return written


def write_docs(folder: Path) -> list[Written]:
    """Write the README's images into `folder`: small PNGs, laid out top to bottom."""
    written: list[Written] = []

    def render(graph: Any, name: str, what: str) -> None:
        # Top to bottom, dot packs side-by-side edge labels close; a wider gap keeps them apart.
        graph.attr(nodesep="0.6")
        path = viz.render(graph, folder / name)
        size = path.stat().st_size
        if size > DOCS_MAX_BYTES:  # a README image must stay light; shrink the graph, not this
            raise RuntimeError(f"{path} is {size} bytes, more than {DOCS_MAX_BYTES}")
        written.append(Written(path, what))

    b = graphs.baydin()
    b["v5"].backward()
    render(
        viz.draw(
            b["v5"],
            rankdir="TB",
            title="y = ln(x1) + x1·x2 − sin(x2) at (2, 5), after y.backward()",
        ),
        "baydin.png",
        "Baydin's graph after backward",
    )

    u = graphs.used_twice()
    v2, v4 = u["v2"], u["v4"]
    steps = v4.backward(trace=True)
    (k,) = (k for k, step in enumerate(steps) if step.node is v2)
    render(
        viz.backward_frame_graphs(v4, rankdir="TB")[k],
        "used-twice-frame.png",
        "the reverse pass reaching v2, which sums the two partial adjoints it received",
    )
    render(
        viz.node_step(v2, root=v4),
        "node-step.png",
        "one backward step at v2",
    )

    b = graphs.baydin()
    path = write_gif(viz.backward_frame_graphs(b["v5"], rankdir="TB"), folder / "reverse-pass.gif")
    written.append(Written(path, "the reverse pass of Baydin's graph, one frame per step"))

    t = graphs.two_layer()
    t.loss.backward()
    render(
        viz.draw(
            t.loss,
            rankdir="TB",
            title="softmax_loss(relu(X @ W1) @ W2, y_one_hot) after loss.backward()",
        ),
        "two-layer.png",
        "the seed loop's 2-layer network, with its shapes",
    )
    return written


def write_gif(frames: list[Any], path: Path, *, seconds: float = 1.6) -> Path:
    """An animated GIF of backward frames (Digraphs), each shown `seconds`, the last twice as
    long. Frames are drawn by graphviz, scaled to GIF_WIDTH, placed on one white canvas (their
    sizes differ a little as labels appear), and share one small palette, which keeps the file
    light. Written to a temporary name and renamed."""
    import io

    from PIL import Image

    from viz.render import image_bytes, write_atomically

    images = []
    for graph in frames:
        graph.attr(nodesep="0.6")
        images.append(Image.open(io.BytesIO(image_bytes(graph, "png"))).convert("RGB"))
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    scale = GIF_WIDTH / width
    size = (GIF_WIDTH, round(height * scale))
    canvas = []
    for im in images:
        page = Image.new("RGB", (width, height), "white")
        page.paste(im, ((width - im.width) // 2, 0))
        canvas.append(page.resize(size, Image.LANCZOS))
    # One palette for all frames, from all of them, so colours do not flicker between frames.
    strip = Image.new("RGB", (size[0], size[1] * len(canvas)))
    for k, page in enumerate(canvas):
        strip.paste(page, (0, k * size[1]))
    palette = strip.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    paletted = [page.quantize(palette=palette, dither=Image.Dither.NONE) for page in canvas]
    durations = [round(seconds * 1000)] * len(paletted)
    durations[-1] *= 2
    out = io.BytesIO()
    paletted[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=paletted[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    data = out.getvalue()
    if len(data) > GIF_MAX_BYTES:  # a README animation must stay light; shrink the graph
        raise RuntimeError(f"{path} would be {len(data)} bytes, more than {GIF_MAX_BYTES}")
    write_atomically(path, data)
    return path
