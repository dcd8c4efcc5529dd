"""What every picture shares: the size guard, node names and roles, and writing nodes and edges.

A `Scene` fixes, once per picture, the order, names and roles of the nodes (names from
`autodiff.names.node_names`, the one name per node: its label, else vₖ, else cₖ); `emit` then
writes them into a `graphviz.Digraph`, asking the caller what each record says and how each edge
is labelled.
Node names in the DOT text are positions in the topological order (`n0`, `n1`, ...), which the
stable ids determine, so drawing the same expression twice, even rebuilt with fresh ids, gives
the same DOT text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autodiff import topological_order
from autodiff.names import node_names
from viz.checks import dot_text
from viz.labels import is_tensor, op_text, record
from viz.roles import FILL, Role, classify

if TYPE_CHECKING:
    import graphviz

Fields = list[str | list[str]]
Attrs = dict[str, str]


def load_graphviz() -> Any:
    """Import the `graphviz` Python package, which only `viz` needs, with a helpful error."""
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - the dev environment always has it
        raise ImportError(
            "viz needs the `graphviz` Python package: pip install graphviz "
            "(or pip install 'adjoint[viz]')"
        ) from exc
    return graphviz


def checked_order(root: Any, max_nodes: int) -> list[Any]:
    """The topological order of `root`'s graph, refused when it has more than `max_nodes` nodes."""
    order = topological_order((root,))
    if len(order) > max_nodes:
        raise ValueError(
            f"viz: this graph has {len(order)} nodes, more than max_nodes={max_nodes}; a picture "
            "that big is unreadable and slow to lay out. Draw less: draw one example rather than "
            "a batch, draw a sub-graph by passing an intermediate node as the root, or raise the "
            f"limit (max_nodes={len(order)})."
        )
    return order


@dataclass(frozen=True)
class Scene:
    """One graph as a picture sees it; every dict is keyed by stable id."""

    root: Any
    order: list[Any]
    index: dict[int, int]
    names: dict[int, str]
    roles: dict[int, Role]
    tensor: bool

    @classmethod
    def build(cls, root: Any, *, max_nodes: int, params: Iterable[Any] | None = None) -> Scene:
        order = checked_order(root, max_nodes)
        roles = classify(order, root, params)
        return cls(
            root=root,
            order=order,
            index={node.id: k for k, node in enumerate(order)},
            names=node_names(root),
            roles=roles,
            tensor=is_tensor(root),
        )

    def dot_name(self, node: Any) -> str:
        return f"n{self.index[node.id]}"

    def name(self, node: Any) -> str:
        return self.names[node.id]

    def role(self, node: Any) -> Role:
        return self.roles[node.id]


def new_graph(title: str | None, rankdir: str) -> graphviz.Digraph:
    """An empty Digraph with the shared look: sans-serif text sized to read at 100%."""
    graph = load_graphviz().Digraph("adjoint")
    graph.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.35", ranksep="0.55")
    if title:
        graph.attr(label=dot_text(title), labelloc="t", fontsize="15")
    graph.attr("node", fontname="Helvetica", fontsize="11", shape="record", style="filled")
    graph.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    return graph


def role_style(scene: Scene, node: Any) -> Attrs:
    return {"fillcolor": FILL[scene.role(node)]}


def emit(
    scene: Scene,
    graph: graphviz.Digraph,
    *,
    fields: Callable[[Any], Fields],
    node_style: Callable[[Any], Attrs],
    edge: Callable[[Any, int, Any], tuple[str | None, Attrs]],
    op_style: Callable[[Any], Attrs] = lambda node: {},
    rankdir: str = "LR",
) -> None:
    """Write every node, op and edge of `scene` into `graph`, in topological order.

    Scalar graphs get a small op node between a value and its inputs, so each argument has its own
    edge to carry numbers; tensor graphs put the op in the record and link the records directly.
    `edge(node, k, input)` gives the label and attributes of the edge for argument k of `node`.
    """
    for node in scene.order:
        graph.node(scene.dot_name(node), record(fields(node), rankdir), **node_style(node))
    for node in scene.order:
        if not node.inputs:
            continue
        target = scene.dot_name(node)
        if not scene.tensor:
            op = target + "op"
            style = {"shape": "ellipse", "fillcolor": "#f4f4f4", "margin": "0.04,0.02"}
            highlight = op_style(node)
            graph.node(op, op_text(node), **{**style, **highlight})
            line = {k: v for k, v in highlight.items() if k in ("color", "penwidth")}
            graph.edge(op, target, **line)
            target = op
        for k, inp in enumerate(node.inputs):
            label, attrs = edge(node, k, inp)
            if label is not None:
                attrs = {"label": label, **attrs}
            graph.edge(scene.dot_name(inp), target, **attrs)


def argument_prefix(node: Any, k: int, inp: Any) -> str:
    """'arg 2: ' when `inp` is used more than once by `node` (as in a + a), else ''."""
    if sum(1 for other in node.inputs if other is inp) > 1:
        return f"arg {k + 1}: "
    return ""
