"""The adjoint program of a tensor graph: `backward()` written out as one numpy function.

    prog = vector.program(loss, inputs=[X, W1, W2, Y])
    print(prog)                                  # def loss_grad(X, W1, W2, Y): ...
    loss_value, (gX, gW1, gW2, gY) = prog(X_batch, W1_array, W2_array, Y_batch)

How it is written. `root.backward(trace=True)` is run once, recording its gradient graph (as
`backward()` always does unless told not to): every step of the reverse pass hands each input of
a node a partial adjoint, a Tensor built by the op's `gradient` rule from Tensor ops, and the pass
adds a node's partial adjoints up with `+`. The program is the forward graph and that gradient
graph written out node by node, each node as its op's own numpy source (`op.source`, beside
`compute` in `vector/ops/`): the same primitives on the same operands, so the same numbers,
bit for bit. Writing it, each line is run once on the recorded values and compared with the
engine's; a source form that disagrees with its `compute` is an error, not a wrong program.

How it reads. The forward sweep gives every node a line (`v1 = X @ W1`); the reverse sweep
follows the steps of the pass, a comment quoting the forward line above the lines of its step. A
node's adjoint is `name_bar`; its first partial adjoint is assigned, a later one added with `+=`.
A gradient node used once is written inside the line that uses it (`v1_bar = v2_bar * (v1 > 0)`),
one used more often gets a line of its own (`t1 = ...`). Every line ends with the shape and dtype
of its result.

What an op gives the writer (beside `compute`, in `vector/ops/`):
- `source(*operands) -> str`: its compute as one numpy expression over the operands' texts
  (`Operand`: text with the shape and dtype of the value; `f"{a} @ {b}"`, `f"np.exp({a})"`);
- `helpers`: the functions that expression calls, when one expression is not enough
  (`vector/program_helpers.py`, or the engine's own, such as `softmax`); their source is copied
  into the program;
- `gives_view = True` when its result shares memory with an operand (reshape, transpose,
  broadcast_to), so that `x_bar += ...` never writes through it;
- `gradient_constants(*operands)`: the expressions of the constants its `gradient` makes from
  forward values (relu's mask `a > 0`), tried in turn against the constant's value.

`line_steps` gives each line its step of `root.backward(trace=True)`: 0 for the header and the
forward sweep, k for the lines of step k (1-based; the seed belongs to step 1, the return line to
the last step, the helper functions after the function to 0).
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff.names import adjoint_names, identifiers, node_names
from autodiff.program import Program
from autodiff.topo import topological_order

__all__ = ["Operand", "literal", "program"]


class Operand(str):
    """The source text of an op's operand, with the shape and dtype its value has.

    An op's `source(*operands)` returns its compute as a numpy expression over these texts; the
    shape and dtype are there for ops whose text depends on them (`a.T` only for 2-D arrays).
    """

    shape: tuple[int, ...]
    dtype: np.dtype

    def __new__(cls, text: str, shape: tuple[int, ...], dtype: np.dtype) -> Operand:
        self = super().__new__(cls, text)
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        return self

    @property
    def ndim(self) -> int:
        return len(self.shape)


def literal(value: Any) -> str:
    """`value` (a number an op keeps as a parameter) as Python source giving it back exactly.

    Python numbers print as themselves (`0.5`, `-1`); numpy numbers keep their type
    (`np.float32(0.5)`), since numpy promotes with them differently.
    """
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, np.generic):
        name = np.dtype(type(value)).name
        inner = literal(value.item())
        return f"np.{name}({inner})"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def program(
    root: Any, inputs: Sequence[Any], *, name: str | None = None, outputs: Sequence[Any] = ()
) -> Program:
    """The adjoint program of `root` (a one-element Tensor) as a function of `inputs`.

    Every Tensor leaf of `root`'s graph must be one of `inputs` (a leaf made from a Python
    number, such as the 2 of `2 / x`, is written as a literal). Calling the program with arrays of
    the inputs' shapes and dtypes returns `(value, grads)`: root's value and d(root)/d(input) for
    each input, None for an input that does not require grad. The numbers are `backward()`'s.

    `name` names the function (default: root's name and `_grad`). `outputs`, nodes of root's
    graph (such as the logits of a loss), are returned too, as a third item: `(value, grads,
    output_values)`.
    """
    return _Writer(root, list(inputs), name, list(outputs)).program()


# --------------------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\b_(\d+)\b")


def _atomic(text: str) -> bool:
    """True when `text` can stand as an operand without parentheses (a name, call, attribute)."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    if isinstance(tree, ast.Constant):
        return not (isinstance(tree.value, (int, float)) and tree.value < 0)
    return isinstance(tree, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))


def _paren(text: str) -> str:
    return text if _atomic(text) else f"({text})"


def _shape_dtype(value: np.ndarray) -> str:
    return f"{tuple(value.shape)} {value.dtype}"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _matmul_note(op: Any, operands: Sequence[np.ndarray]) -> str:
    """For a matrix product, the shapes it multiplies (`(100, 4) @ (4, 10) -> `), as a student
    checks them by hand; "" for any other op."""
    if getattr(op, "name", "") not in ("matmul", "matmul_transposed"):
        return ""
    shapes = []
    for value, flag in zip(operands, ("transpose_a", "transpose_b"), strict=True):
        shape = tuple(value.shape)
        if getattr(op, flag, False) and len(shape) >= 2:
            shape = (*shape[:-2], shape[-1], shape[-2])
        shapes.append(shape)
    return f"{shapes[0]} @ {shapes[1]} -> "


def _describe(node: Any, names: dict[int, str]) -> str:
    label = getattr(node, "label", "") or names.get(node.id, "")
    return f"{label} (shape {tuple(node.realize_cached_data().shape)})"


class _Writer:
    """Writes one program: the forward sweep, then the reverse sweep step by step."""

    def __init__(self, root: Any, inputs: list[Any], name: str | None, outputs: list[Any]) -> None:
        self.root = root
        self.inputs = inputs
        self.name = name
        self.outputs = outputs
        self.lines: list[tuple[str, int]] = []  # (line, step)
        self.notes: dict[int, str] = {}  # a matrix product's operand shapes, by node id
        self.helpers: dict[str, Callable[..., Any]] = {}
        self.values: dict[int, np.ndarray] = {}  # the program's own value of every named node
        self.env: dict[str, Any] = {"np": np}
        self.renamed: dict[int, str] = {}

    # ------------------------------------------------------------------------------ checking
    def _check_graph(self) -> None:
        root, inputs = self.root, self.inputs
        if not hasattr(root, "op") or not hasattr(root, "realize_cached_data"):
            raise TypeError(f"program: root must be a Tensor, got {type(root).__name__}")
        value = root.realize_cached_data()
        if value.size != 1:
            raise ValueError(
                f"program: root must have one element (a loss), got shape {value.shape}; "
                "sum it or pick an element first"
            )
        if not root.requires_grad:
            raise ValueError(
                "program: root does not require grad (it was built from tensors that need no "
                "gradient, or under no_grad), so there is nothing to differentiate"
            )
        self.forward = topological_order((root,))
        self.names = node_names(root)
        in_graph = {n.id for n in self.forward}
        seen: set[int] = set()
        for k, x in enumerate(inputs):
            if not hasattr(x, "op") or not hasattr(x, "realize_cached_data"):
                raise TypeError(
                    f"program: input {k} must be a Tensor (a leaf of root's graph), got "
                    f"{type(x).__name__}"
                )
            if x.id not in in_graph:
                raise ValueError(
                    f"program: input {k}, {_describe(x, self.names)}, is not in root's graph"
                )
            if x.op is not None:
                raise ValueError(
                    f"program: input {k}, {_describe(x, self.names)}, is the result of "
                    f"{x.op}, not a leaf; pass the leaves it was computed from"
                )
            if x.id in seen:
                raise ValueError(f"program: input {_describe(x, self.names)} is given twice")
            seen.add(x.id)
        for k, out in enumerate(self.outputs):
            if getattr(out, "id", None) not in in_graph:
                raise ValueError(f"program: output {k} is not a node of root's graph")
        self.literals: dict[int, str] = {}
        for node in self.forward:
            if node.op is not None or node.id in seen:
                continue
            data = node.realize_cached_data()
            if data.ndim == 0 and not node.requires_grad and not getattr(node, "label", ""):
                number = literal(data.item())
                self.literals[node.id] = f"np.asarray({number}, dtype=np.{data.dtype})"
                continue
            raise ValueError(
                f"program: the leaf {_describe(node, self.names)} of root's graph is not among "
                "the inputs; every Tensor leaf must be an input (the result of ops on tensors "
                "that need no gradient is a leaf too: pass it, or what it was computed from)"
            )

    # ------------------------------------------------------------------------ the reverse pass
    def _record_pass(self) -> None:
        """Run backward(trace=True) once, keeping the structure of its gradient graph, and put
        every node's `.grad` back as it was."""
        root = self.root
        saved = [(n, n.grad) for n in self.forward]
        value = root.realize_cached_data()
        seed = type(root)(np.ones(value.shape, dtype=value.dtype), requires_grad=False)
        try:
            steps = root.backward(seed, create_graph=True, trace=True)
        finally:
            for node, grad in saved:
                node.grad = grad
        assert steps is not None
        self.seed, self.steps = seed, steps
        # The structure first: reading a value computes a deferred node, and a computed node
        # that needs no gradient forgets its op (vector/deferred.py).
        forward_ids = {n.id for n in self.forward}
        self.structure: dict[int, tuple[Any, tuple[Any, ...]]] = {}
        self.nodes: dict[int, Any] = {}
        stack = [s.adjoint for s in steps] + [e.partial_adjoint for s in steps for e in s.partials]
        while stack:
            node = stack.pop()
            if node is None or node.id in forward_ids or node.id in self.nodes:
                continue
            self.nodes[node.id] = node
            self.structure[node.id] = (node.op, tuple(node.inputs))
            stack.extend(node.inputs)
        self.engine = {i: n.realize_cached_data() for i, n in self.nodes.items()}
        for node in self.forward:
            self.engine[node.id] = node.realize_cached_data()

    # ----------------------------------------------------------------------------- sources
    def _op_source(self, op: Any, operands: Sequence[str], values: Sequence[np.ndarray]) -> str:
        source = getattr(op, "source", None)
        if source is None:
            raise TypeError(f"program: the op {op} has no source form to write it with")
        for helper in getattr(op, "helpers", ()):
            self.helpers.setdefault(helper.__name__, helper)
            self.env.setdefault(helper.__name__, helper)
        ops = [Operand(t, v.shape, v.dtype) for t, v in zip(operands, values, strict=True)]
        return source(*ops)

    def _template(self, op: Any, operands: Sequence[Any]) -> str:
        """`op`'s source with `_k` standing for operand k (shapes and dtypes as recorded)."""
        values = [self.engine[x.id] if x.id in self.engine else self.values[x.id] for x in operands]
        return self._op_source(op, [f"_{k}" for k in range(len(values))], values)

    def _evaluate(
        self, node_id: int, op: Any, operands: Sequence[Any], describe: str
    ) -> tuple[str, np.ndarray]:
        """The template of `op` over `operands` (nodes whose values are known), run on those
        values and matched to the engine's value of node `node_id`: (template, value)."""
        values = [self.values[x.id] for x in operands]
        template = self._template(op, operands)
        scope = dict(self.env)
        scope.update({f"_{k}": v for k, v in enumerate(values)})
        value = eval(template, scope)  # (an op's own source text)
        expected = self.engine[node_id]
        if type(value) is not np.ndarray:  # a reduction gives a numpy scalar; the engine an array
            template, value = f"np.asarray({template})", np.asarray(value)
        if value.dtype != expected.dtype:  # a deferred gradient is kept in its node's dtype
            template = f"{_paren(template)}.astype(np.{expected.dtype})"
            value = value.astype(expected.dtype)
        if not _same(value, expected):
            raise RuntimeError(
                f"program: the source {template!r} of {describe} gives values other than the "
                f"engine's ({_shape_dtype(value)} vs {_shape_dtype(expected)}); the op's source "
                "form does not match its compute"
            )
        return template, value

    @staticmethod
    def _fill(template: str, texts: Sequence[str]) -> str:
        """`template` with operand k's text for `_k`, in parentheses unless it is atomic or a
        whole argument of a call (between `(` or `,` and `,` or `)`)."""

        def text(m: re.Match[str]) -> str:
            t = texts[int(m.group(1))]
            before = m.string[: m.start()].rstrip()[-1:]
            after = m.string[m.end() :].lstrip()[:1]
            whole = before in ("(", ",") and after in (")", ",")
            return t if whole else _paren(t)

        return _PLACEHOLDER.sub(text, template)

    # ------------------------------------------------------------------------------ writing
    def program(self) -> Program:
        self._check_graph()
        self._record_pass()
        self._name_nodes()
        params = [self.name_of[x.id] for x in self.inputs]
        self.lines.append((f"def {self.fname}({', '.join(params)}):", 0))
        self._forward_sweep()
        self._reverse_sweep()
        self._return_line()
        self._helper_lines()
        source = "\n".join(line for line, _ in self.lines) + "\n"
        checks = [
            (self.name_of[x.id], self.engine[x.id].shape, self.engine[x.id].dtype)
            for x in self.inputs
        ]
        return Program(
            self.fname,
            params,
            source,
            [step for _, step in self.lines],
            imports=("import numpy as np",),
            check=_argument_check(self.fname, checks),
            doc=f"{self.fname}: the adjoint program of {self.name_of[self.root.id]}, written "
            "out by adjoint (its value and gradients, in numpy).",
        )

    def _name_nodes(self) -> None:
        """Every forward node's name, its adjoint's (name_bar), and the function's."""
        idents = identifiers(self.names, ("np",))
        self.name_of: dict[int, str] = dict(idents)
        grads = [node.id for node in self.forward if node.requires_grad]
        self.bar = adjoint_names(idents, grads, reserved=("np",))
        self.taken = set(idents.values()) | set(self.bar.values())
        self.fname = self.name or f"{idents[self.root.id]}_grad"
        if self.fname in self.taken:
            self.fname += "_program"
        self.taken.add(self.fname)
        self.temps = 0

    def _forward_sweep(self) -> None:
        """One line per node, in topological order; `quoted` keeps each for the reverse sweep."""
        self.lines.append(("    # forward sweep", 0))
        for x in self.inputs:
            self.values[x.id] = self.engine[x.id]
        self.quoted: dict[int, str] = {}
        for node in self.forward:
            if node.id in self.literals:
                self.values[node.id] = eval(self.literals[node.id], {"np": np})
                self.name_of[node.id] = self.literals[node.id]
                continue
            if node.op is None:
                continue
            template, value = self._evaluate(node.id, node.op, node.inputs, f"{node.op}")
            texts = [self.name_of[x.id] for x in node.inputs]
            text = f"{self.name_of[node.id]} = {self._fill(template, texts)}"
            self.quoted[node.id] = text
            self.values[node.id] = value
            note = _matmul_note(node.op, [self.values[x.id] for x in node.inputs])
            self.lines.append((f"    {text}  # {note}{_shape_dtype(value)}", 0))

    def _reverse_sweep(self) -> None:
        """The seed, then for each step of the pass the lines of its partial adjoints."""
        steps = self.steps
        # How often each gradient node is used: by gradient nodes, and by the return line.
        self.uses: dict[int, int] = {}
        for _, inputs in self.structure.values():
            for x in inputs:
                self.uses[x.id] = self.uses.get(x.id, 0) + 1
        self.final = {s.node.id: s.adjoint for s in steps}
        for x in self.inputs:
            if x.requires_grad:
                if x.id not in self.final:
                    raise ValueError(
                        f"program: input {_describe(x, self.names)} requires grad but no "
                        "gradient reaches it from root"
                    )
                adjoint = self.final[x.id]
                self.uses[adjoint.id] = self.uses.get(adjoint.id, 0) + 1
        chains = self._sums()

        self.step = 1
        root_bar = self.bar[self.root.id]
        self.name_of[self.seed.id] = root_bar
        seed = self.values[self.seed.id] = self.engine[self.seed.id]
        self.lines.append(("    # reverse sweep", 1))
        self._line(f"{root_bar} = np.ones({seed.shape}, dtype=np.{seed.dtype})", seed)
        received: dict[int, int] = {}
        for k, step in enumerate(steps, start=1):
            self.step, self.step_node, self.renamed = k, step.node, {}
            if step.node.op is None:
                continue  # an input: its adjoint is complete, and it has no inputs to send to
            self.lines.append((f"    # {self.quoted[step.node.id]}", k))
            for edge in step.partials:
                p, x = edge.partial_adjoint, edge.input
                if p is None:
                    continue
                j = received[x.id] = received.get(x.id, 0) + 1
                chain = chains[x.id]
                if j == 1:
                    self._assign_first(p, self.bar[x.id], only=len(chain) == 1)
                else:
                    self._accumulate(chain[j - 2], chain[j - 1], p, self.bar[x.id])

    def _sums(self) -> dict[int, list[Any]]:
        """For each node, the running sums of its partial adjoints the pass built, read back from
        its adjoint: s1 = p1, s_j = s_(j-1) + p_j (the last is the adjoint)."""
        partials: dict[int, list[Any]] = {}
        for step in self.steps:
            for edge in step.partials:
                if edge.partial_adjoint is not None:
                    partials.setdefault(edge.input.id, []).append(edge.partial_adjoint)
        chains: dict[int, list[Any]] = {}
        for node_id, ps in partials.items():
            chain = [self.final[node_id]]
            for p in reversed(ps[1:]):
                op, ins = self.structure.get(chain[-1].id, (None, ()))
                if type(op).__name__ != "EWiseAdd" or ins[1].id != p.id:
                    raise RuntimeError(
                        "program: the reverse pass did not add up partial adjoints as "
                        "(s + p) in the order it sent them; the program cannot follow it"
                    )
                chain.append(ins[0])
            if chain[-1].id != ps[0].id:
                raise RuntimeError("program: the first partial adjoint is not where a sum starts")
            chains[node_id] = chain[::-1]
        return chains

    def _return_line(self) -> None:
        grads = [
            self.name_of[self.final[x.id].id] if x.requires_grad else "None" for x in self.inputs
        ]
        returned = f"{self.name_of[self.root.id]}, ({_listed(grads)})"
        if self.outputs:
            returned += f", ({_listed([self.name_of[out.id] for out in self.outputs])})"
        self.lines.append((f"    return {returned}", len(self.steps)))

    def _helper_lines(self) -> None:
        """The source of each function the lines call, after the function (step 0)."""
        if not self.helpers:
            return
        self.lines += [("", 0), ("", 0)]
        self.lines.append(("# The functions it calls, each doing what an op's compute does:", 0))
        for k, helper in enumerate(self.helpers.values()):
            if k:
                self.lines += [("", 0), ("", 0)]
            self.lines += [(line, 0) for line in inspect.getsource(helper).rstrip().splitlines()]

    # -------------------------------------------------------------------- the reverse lines
    def _line(self, text: str, value: np.ndarray, note: str = "") -> None:
        self.lines.append((f"    {text}  # {note}{_shape_dtype(value)}", self.step))

    def _temp(self) -> str:
        while True:
            self.temps += 1
            name = f"t{self.temps}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def _text(self, node: Any) -> str:
        """The text of `node` as an operand: its name, or its expression when used only once
        (writing the lines of the nodes it needs first)."""
        if node.id in self.name_of:  # (within a step, by the name it had when the step began)
            return self.renamed.get(node.id, self.name_of[node.id])
        expr = self._expression(node)
        if self.uses.get(node.id, 0) <= 1:
            return expr
        name = self._temp()
        self._line(f"{name} = {expr}", self.values[node.id], self.notes.get(node.id, ""))
        self.name_of[node.id] = name
        return name

    def _expression(self, node: Any) -> str:
        """`node`'s own expression over its operands' texts; computes and keeps its value."""
        op, ins = self.structure.get(node.id, (None, ()))
        if op is None:
            return self._constant(node)
        template = self._template(op, ins)
        texts: list[str] = []
        for k, x in enumerate(ins):
            # An operand written twice in the template is computed once, into a name.
            if len(re.findall(rf"\b_{k}\b", template)) > 1 and x.id not in self.name_of:
                self.uses[x.id] = max(self.uses.get(x.id, 0), 2)
            texts.append(self._text(x))
        where = f"{op} (in the gradient of step {self.step})"
        template, value = self._evaluate(node.id, op, ins, where)
        self.values[node.id] = value
        self.notes[node.id] = _matmul_note(op, [self.values[x.id] for x in ins])
        return self._fill(template, texts)

    def _constant(self, node: Any) -> str:
        """A constant of the gradient graph (a leaf its op's gradient made from the forward
        values, such as relu's mask), written as the expression that op says gives it."""
        expected = self.engine[node.id]
        op = self.step_node.op
        make = getattr(op, "gradient_constants", None)
        if make is not None:
            values = [self.values[x.id] for x in self.step_node.inputs]
            names = [self.name_of[x.id] for x in self.step_node.inputs]
            holes = [Operand(f"_{k}", v.shape, v.dtype) for k, v in enumerate(values)]
            for template in make(*holes):
                scope = dict(self.env)
                scope.update({f"_{k}": v for k, v in enumerate(values)})
                value = np.asarray(eval(template, scope))
                if _same(value, expected):
                    self.values[node.id] = value
                    return self._fill(template, names)
        if expected.ndim == 0:
            self.values[node.id] = expected
            return f"np.asarray({literal(expected.item())}, dtype=np.{expected.dtype})"
        raise RuntimeError(
            f"program: the gradient of {op} made a constant of shape {expected.shape} that "
            "none of its source forms gives"
        )

    def _assign_first(self, p: Any, xbar: str, only: bool) -> None:
        """`x_bar = ...` for x's first partial adjoint p (`only`: x receives no other)."""
        if p.id in self.name_of:  # it has a name already: the seed, another adjoint, a temp
            # (the name it had when this step began: `v5_bar = v7_bar`, `v6_bar = v7_bar`)
            source = self.renamed.get(p.id, self.name_of[p.id])
            self._line(f"{xbar} = {source}", self.values[p.id])
            if only and p.id in self.nodes:  # later steps call it by x's name
                self.renamed.setdefault(p.id, self.name_of[p.id])
                self.name_of[p.id] = xbar
            return
        if not only and self.uses.get(p.id, 0) > 1:
            # x_bar will be added to, but p is needed elsewhere too: p keeps a name of its own.
            name = self._text(p)
            self._line(f"{xbar} = {name}", self.values[p.id])
            return
        expr = self._expression(p)
        self.name_of[p.id] = xbar
        self._line(f"{xbar} = {expr}", self.values[p.id], self.notes.get(p.id, ""))

    def _accumulate(self, before: Any, total: Any, p: Any, xbar: str) -> None:
        """`x_bar += p` (x's j-th partial adjoint), in place when nothing else holds x_bar's
        array; otherwise `x_bar = x_bar + p`."""
        text = self._text(p)
        add = self.structure[total.id][0]
        _, value = self._evaluate(total.id, add, (before, p), "a sum of adjoints")
        old = self.values[before.id]
        op = self.structure.get(before.id, (None, ()))[0]
        in_place = (
            self.name_of.get(before.id) == xbar
            and self.uses.get(before.id, 0) == 1
            and op is not None
            and not getattr(op, "gives_view", False)
            and old.dtype == value.dtype
            and old.shape == value.shape
            and old.base is None
            and old.flags.writeable
            and not any(
                v is not old and np.may_share_memory(v, old)
                for i, v in self.values.items()
                if i != before.id
            )
        )
        if in_place:
            self._line(f"{xbar} += {text}", value)
        else:
            self._line(f"{xbar} = {xbar} + {_paren(text)}", value)
        self.values[total.id] = value
        self.name_of[total.id] = xbar


def _listed(names: list[str]) -> str:
    """Names as the inside of a tuple: `a, b`, or `a,` for one."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _argument_check(
    fname: str, expected: list[tuple[str, tuple[int, ...], np.dtype]]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The engine's check of a call: each argument a numpy array of its input's shape and
    dtype (a Tensor gives its values)."""

    def check(args: tuple[Any, ...]) -> tuple[Any, ...]:
        out = list(args)
        for k, (arg, (name, shape, dtype)) in enumerate(zip(args, expected, strict=True)):
            if type(arg) is not np.ndarray:
                if hasattr(arg, "realize_cached_data"):
                    arg = out[k] = arg.realize_cached_data()
                elif isinstance(arg, np.generic):  # a numpy number: the 0-d array it stands for
                    arg = out[k] = np.asarray(arg)
                else:
                    raise TypeError(
                        f"{fname}: input {name} must be a numpy array of shape {shape} and "
                        f"dtype {dtype}, got {type(arg).__name__}"
                    )
            if arg.shape != shape:
                raise ValueError(
                    f"{fname}: input {name} must have shape {shape}, got {arg.shape}; the "
                    "program is written for the shapes it was recorded with (record another "
                    "for these, or use vector.compile, which keeps one per shape)"
                )
            if arg.dtype != dtype:
                raise TypeError(
                    f"{fname}: input {name} must have dtype {dtype}, got {arg.dtype}; convert "
                    "it, or record a program for this dtype"
                )
        return tuple(out)

    return check
