"""One name per node: what the trace tables, the pictures, the page and the adjoint program call it.

Names follow Baydin et al. (2018), Table 3: the n inputs of a graph (leaves that require grad)
are v₁₋ₙ … v₀ in creation order, every other node that requires grad is v₁, v₂, … in creation
order. A node the user labelled is called by its label instead, and Baydin's index stays beside
it where a table shows it (`n (v₄)`). Constants (nodes that require no grad) are c₁, c₂, … in
creation order unless labelled; the scalar tables write them as numbers.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

from autodiff.protocol import Node
from autodiff.topo import topological_order


def baydin_indices(root: Node, first: int | None = None) -> dict[int, int]:
    """Baydin's index k of vₖ for every node of `root`'s graph that requires grad, by node id.

    Inputs get 1 − n … 0 (or `first`, `first + 1`, … when given), then the other nodes follow in
    creation order (ids only grow, so creation order is id order).
    """
    nodes = sorted((n for n in topological_order((root,)) if n.requires_grad), key=lambda n: n.id)
    inputs = [n for n in nodes if not n.inputs]
    ops = [n for n in nodes if n.inputs]
    start = 1 - len(inputs) if first is None else first
    index = {n.id: start + k for k, n in enumerate(inputs)}
    index.update({n.id: start + len(inputs) + k for k, n in enumerate(ops)})
    return index


def v_name(k: int) -> str:
    """The name of vₖ in plain text and in Python: v3, v0, and vm1 for v₋₁ (m for minus)."""
    return f"v{k}" if k >= 0 else f"vm{-k}"


def node_names(root: Node) -> dict[int, str]:
    """The one name of every node of `root`'s graph, by id: its label, else vₖ, else cₖ.

    vₖ as in `baydin_indices` (`v_name`); constants are c1, c2, … in creation order. A label
    that several nodes carry (every neuron of a `scalar.nn.MLP` has a bias `b`) names the first of
    them; the others get `_2`, `_3`, … after it, so that no two nodes share a name.
    """
    index = baydin_indices(root)
    out: dict[int, str] = {}
    constants = 0
    nodes = sorted(topological_order((root,)), key=lambda n: n.id)
    for node in nodes:
        label = str(getattr(node, "label", "") or "")
        if node.id in index:
            out[node.id] = label or v_name(index[node.id])
        else:
            constants += 1
            out[node.id] = label or f"c{constants}"
    taken = set(out.values())
    seen: set[str] = set()
    for node in nodes:
        name = out[node.id]
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            out[node.id] = f"{name}_{n}"
            taken.add(out[node.id])
        seen.add(name)
    return out


_NOT_IN_IDENTIFIER = re.compile(r"\W")


def identifiers(names: dict[int, str], reserved: tuple[str, ...] = ()) -> dict[int, str]:
    """The names as distinct Python identifiers, for the adjoint program.

    A name that already is one is kept (`x1`, `W1`, `loss`). Otherwise characters that cannot
    stand in an identifier become `_`, a leading digit gets a `_` in front, a keyword gets a `_`
    after it; a name taken twice, or one of `reserved` (the modules a program uses, such as
    `math` and `np`), gets `_2`, `_3`, … after it.
    """
    taken: set[str] = set(reserved)
    out: dict[int, str] = {}
    for node_id, name in names.items():
        ident = _NOT_IN_IDENTIFIER.sub("_", name) or "_"
        if ident[0].isdigit():
            ident = "_" + ident
        if keyword.iskeyword(ident):
            ident += "_"
        candidate, n = ident, 1
        while candidate in taken:
            n += 1
            candidate = f"{ident}_{n}"
        taken.add(candidate)
        out[node_id] = candidate
    return out


def adjoint_names(
    idents: dict[int, str], node_ids: Iterable[int], reserved: tuple[str, ...] = ()
) -> dict[int, str]:
    """`x_bar`, the adjoint program's name for the adjoint of node x, for each of `node_ids`.

    Each stays apart from every node's identifier and from `reserved`: where `x_bar` is taken (a
    node labelled `x_bar`), the adjoint of x is `x_bar_2`, `x_bar_3`, ...
    """
    taken = set(idents.values()) | set(reserved)
    out: dict[int, str] = {}
    for node_id in node_ids:
        base = f"{idents[node_id]}_bar"
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        out[node_id] = candidate
    return out
