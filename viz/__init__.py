"""Pictures of automatic differentiation for both engines.

- `draw(root)`: the computation graph as a `graphviz.Digraph`: values, grads, and on every edge
  the local derivative and the partial adjoint; `draw(root, tangents={x: 1.0})` is the
  forward-mode picture with tangents on the nodes.
- `render(root_or_graph, "g.png")`: PNG or SVG by suffix.
- `backward_frame_graphs(root)` / `backward_frames(root, folder)`: the reverse pass step by step.
- `node_step(node)`: one node's backward step: adjoint in, local derivatives, partial adjoints out.
- `forward_tangents(root, seeds)`: forward-mode tangents of every node, by id.
- `stepper(root).save("y.html")`: the reverse pass as one offline web page, step by step, with
  the trace table and the adjoint program beside the graph, a forward-mode view and, for scalar
  graphs, inputs that recompute the page (`inputs=` chooses them; Jupyter shows it inline).
- `forward_table(root, {x1: 1.0})` / `reverse_table(root)`: the evaluation traces as text, in the
  layout of Baydin et al. (2018), Tables 2 and 3 (`forward_trace` / `reverse_trace`: their rows).

Every picture, table and page names a node alike (`autodiff.names`: its label, else vₖ) and
writes numbers with one formatter (`viz.numbers`), with enough digits that the arithmetic it
shows is right at the digits shown.

The `graphviz` Python package is imported only when a picture is made, so `import viz` works
without it; writing images also needs the graphviz program `dot`.
"""

from viz.draw import draw
from viz.frames import backward_frame_graphs, backward_frames, node_step
from viz.render import render
from viz.roles import Role
from viz.stepper import Stepper, stepper
from viz.tangents import forward_tangents
from viz.trace import forward_table, forward_trace, reverse_table, reverse_trace

__all__ = [
    "Role",
    "Stepper",
    "backward_frame_graphs",
    "backward_frames",
    "draw",
    "forward_table",
    "forward_tangents",
    "forward_trace",
    "node_step",
    "render",
    "reverse_table",
    "reverse_trace",
    "stepper",
]
