"""The adjoint program: a scalar graph's reverse mode written out as one Python function.

`backward()` walks a graph; `program(root, inputs)` writes the same computation out as
straight-line Python, one line per row of Baydin et al.'s evaluation trace (Table 3):

    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    y = x1.log() + x1 * x2 - x2.sin()
    prog = program(y, inputs=[x1, x2])
    print(prog)                    # def y_grad(x1, x2): the forward sweep, then the reverse sweep
    value, grads = prog(2.0, 5.0)  # 11.652..., (5.5, 1.7163378145367738)

Every line comes from the primitive table: a node's forward line is its row's Python `value`
form, and the line that sends a partial adjoint to an input is `x_bar = v_bar * ∂v/∂x`, with the
row's local derivative written out. The program runs the same operations as `backward()` in the
same order: each node's adjoint is the sum of the partial adjoints it receives, in the order the
shared reverse pass adds them (`x_bar = p` for the first, `x_bar += p` after), so its numbers
equal `backward()`'s bit for bit, at the point the graph was recorded and at any other.

What the program does with each kind of node:
- `inputs` (leaves of the graph) are the function's arguments, in that order; any other leaf is
  a constant, written into the program as the number it held (`repr` of the float, exact;
  `math.inf`, `math.nan` where needed). A node made only of constants is still computed by its
  own line.
- The gradient of an input that does not require grad is `None`: the program never computes it.
  An input that is not in the graph at all is `None` too: `backward()` never reaches it and
  leaves its `grad` as it was, so there is no gradient to return.
- The reverse sweep computes only the adjoints that lead to an input (the adjoint of a leaf that
  is not an argument is never needed). Leaving them out does not change any sum: every consumer
  of a node that leads to an input leads to that input too.
- A local derivative that is exactly 1 or -1 (`+`, `-`) is written as a copy or a negation
  (`v3_bar = v5_bar`, `v4_bar = -v5_bar`, `x_bar -= v_bar`): in IEEE arithmetic v·1 = v and
  v·(-1) = -v exactly, and a - b = a + (-b), so the numbers are the same.
- The program does not repeat the table's domain checks: a point outside an op's domain fails in
  the line of that op (`math.log(x1)`: math domain error, shown with the line by the
  traceback), and a negative number to a non-integer power gives a complex number, as `**` does.

`line_steps` gives, for each line of the source, the step of `root.backward(trace=True)` whose
work it is (1-based): 0 for the header and the forward sweep; the comment opening the reverse
sweep and the seed `y_bar = 1.0` belong to step 1 (the root's); the lines that differentiate a
node, with the comment quoting its forward line, belong to that node's step; the `return` line
belongs to the last step. Steps that send nothing (leaves) have no lines.
"""

from __future__ import annotations

import ast
import keyword
import math
import numbers
from collections.abc import Callable, Container, Sequence
from typing import Any, NamedTuple

from autodiff import topological_order
from autodiff.names import adjoint_names, identifiers, node_names
from autodiff.program import Program
from scalar.primitives import Primitive, primitive_of
from scalar.value import Value


def program(root: Value, inputs: Sequence[Value], *, name: str | None = None) -> Program:
    """The adjoint program of `root`'s graph, a function of `inputs`: `prog(*numbers) -> (value,
    grads)`, one gradient per input (None for an input that does not require grad), equal bit for
    bit to what `root.backward()` computes at those numbers.

    The function is called `name`, by default `<root's label>_grad`, or `y_grad` for a root
    without a label. `print(prog)` shows its source; `prog.save(path)` writes it as a module that
    imports only `math`.
    """
    inputs = _check_inputs(root, inputs)
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise ValueError(f"program: name {name!r} is not a Python identifier")
    order = topological_order((root,))
    names, idents = _names(root, order, inputs)
    parameters = [idents[x.id] for x in inputs]
    arguments = {x.id for x in inputs}
    function = name or f"{idents[root.id] if root.label else 'y'}_grad"

    # Every op node's template, from its row of the table: refused here, before any line is
    # written, if the row cannot be written out.
    templates = _Templates()
    template_of = {node.id: templates.of(node, idents[node.id]) for node in order if node.inputs}

    # How each node is read in an expression: an argument or a computed node by its name, any
    # other leaf as the number it holds.
    read = {
        node.id: idents[node.id] if node.inputs or node.id in arguments else _literal(node.data)
        for node in order
    }
    forward = {
        node.id: f"{idents[node.id]} = {template_of[node.id].value.format(*_args(node, read))}"
        for node in order
        if node.inputs
    }
    lines = [f"def {function}({', '.join(parameters)}):", "    # forward sweep"]
    lines += [f"    {forward[node.id]}" for node in order if node.inputs]
    steps = [0] * len(lines)

    # The reverse sweep computes the adjoints of inputs that require grad, and of every node that
    # requires grad and has one of them below it (topological_order lists inputs first).
    needed: set[int] = set()
    for node in order:
        if node.requires_grad and (
            node.id in arguments or any(x.id in needed for x in node.inputs)
        ):
            needed.add(node.id)
    bars = adjoint_names(idents, sorted(needed), reserved=("math",))

    # Node by node in the order the reverse pass processes them: backwards through
    # `topological_order` over the nodes that require grad, as `backward()` does. The return line
    # belongs to the pass's last step, even when no step leads to an input (then the program has
    # no reverse sweep).
    grad_order = topological_order((root,), requiring_grad=True)
    if root.id in needed:
        lines += [
            f"    # reverse sweep: v_bar = d{idents[root.id]}/dv, from {idents[root.id]} back "
            "to the inputs",
            f"    {bars[root.id]} = 1.0",
        ]
        steps += [1, 1]
        received: set[int] = set()  # nodes that have had their first partial adjoint
        for step, node in enumerate(reversed(grad_order), start=1):
            if node.id not in needed or not node.inputs:
                continue
            lines.append(f"    # {forward[node.id]}")
            steps.append(step)
            args = _args(node, read)
            for x, partial in zip(node.inputs, template_of[node.id].partials, strict=True):
                if x.id in needed:
                    again = x.id in received
                    lines.append(f"    {partial.line(bars[x.id], bars[node.id], args, again)}")
                    steps.append(step)
                    received.add(x.id)

    grads = [bars[x.id] if x.id in needed else "None" for x in inputs]
    grads_tuple = f"({grads[0]},)" if len(grads) == 1 else f"({', '.join(grads)})"
    lines.append(f"    return {read[root.id]}, {grads_tuple}")
    steps.append(len(grad_order))

    recorded = [f"{names[x.id]} = {x.data!r}" for x in inputs]
    doc = (
        f"{function}: the adjoint program of a scalar graph of {len(order):,} nodes, written out "
        "by adjoint.\n\n"
        f"{function}({', '.join(parameters)}) returns the graph's value and its gradient with "
        "respect to each argument."
    )
    return Program(
        function,
        parameters,
        "\n".join(lines) + "\n",
        steps,
        imports=["import math"],
        check=_argument_check(function, parameters, recorded),
        doc=doc,
    )


def _names(
    root: Value, order: list[Value], inputs: list[Value]
) -> tuple[dict[int, str], dict[int, str]]:
    """The one name of every node (label, else v<k>, else c<k>; an input outside the graph: its
    label, else input<i>), and the same names as distinct Python identifiers, by node id."""
    names = node_names(root)
    in_graph = {node.id for node in order}
    for i, x in enumerate(inputs, start=1):
        if x.id not in in_graph:
            names[x.id] = str(x.label or "") or f"input{i}"
    return names, identifiers(names, reserved=("math",))


def _args(node: Value, read: dict[int, str]) -> list[str]:
    """How the node's inputs are read in its lines, and its own name as `out` (∂exp/∂x = out)."""
    return [*(read[x.id] for x in node.inputs), read[node.id]]


def _argument_check(
    function: str, parameters: list[str], recorded: list[str]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The check a call's arguments go through: floats pass as they are, other real numbers
    become floats (as `Value(data)` makes them), anything else is a TypeError naming the input."""

    def check(args: tuple[Any, ...]) -> tuple[Any, ...]:
        if all(type(arg) is float for arg in args):
            return args
        checked = []
        for parameter, was, arg in zip(parameters, recorded, args, strict=True):
            if type(arg) is not float:
                if not isinstance(arg, numbers.Real):
                    raise TypeError(
                        f"{function}(): argument {parameter} must be a number (the input "
                        f"recorded as {was}), got {arg!r} ({type(arg).__name__})"
                    )
                try:
                    arg = float(arg)
                except OverflowError:
                    raise ValueError(
                        f"{function}(): argument {parameter} = {arg!r} is too large for a float"
                    ) from None
            checked.append(arg)
        return tuple(checked)

    return check


def _check_inputs(root: Any, inputs: Any) -> list[Value]:
    """`inputs` as a list, after checking every argument of `program` before any work is done."""
    if not isinstance(root, Value):
        raise TypeError(f"program: root must be a Value, got {root!r} ({type(root).__name__})")
    # A list or a tuple: its order is the order of the function's arguments (a set has none).
    if isinstance(inputs, Value | str) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"program: inputs must be a list of Values (the graph's leaves that become the "
            f"function's arguments, in that order), got {inputs!r}"
        )
    checked: list[Value] = []
    seen: dict[int, int] = {}
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"program: inputs[{i}] must be a Value, got {x!r} ({type(x).__name__})")
        if x.inputs:
            raise ValueError(
                f"program: inputs[{i}] ({x!r}, op {x.op!r}) is not a leaf of the graph; an "
                "input of the program is a Value made by Value(...), not by an op"
            )
        if x.id in seen:
            raise ValueError(f"program: inputs[{i}] ({x!r}) is inputs[{seen[x.id]}] again")
        seen[x.id] = i
        checked.append(x)
    return checked


def _literal(x: float) -> str:
    """A float as Python source that gives it back exactly, fit to stand as an operand."""
    if math.isnan(x):
        return "math.nan"
    if math.isinf(x):
        return "math.inf" if x > 0 else "(-math.inf)"
    text = repr(float(x))
    return f"({text})" if math.copysign(1.0, x) < 0 else text


def _exponent_literal(n: Any) -> str:
    """The parameter of `x ** n` (an int, kept as one, or a float) as source."""
    if isinstance(n, int) and not isinstance(n, bool):
        return repr(n) if n >= 0 else f"({n!r})"
    return _literal(float(n))


# --- templates: a row's Python source with its arguments as holes --------------------------------


class _Partial(NamedTuple):
    """How a line sends adjoint · ∂v/∂x to input x: "copy" (∂v/∂x = 1), "negate" (−1) or "times"
    (`derivative`, a format string over the node's arguments, as an operand of `*`)."""

    kind: str
    derivative: str

    def line(self, x_bar: str, v_bar: str, args: Sequence[str], again: bool) -> str:
        """The line that sends v_bar · ∂v/∂x to x_bar: `=` for the first partial, `+=` after."""
        if self.kind == "copy":
            return f"{x_bar} {'+=' if again else '='} {v_bar}"
        if self.kind == "negate":
            return f"{x_bar} -= {v_bar}" if again else f"{x_bar} = -{v_bar}"
        derivative = self.derivative.format(*args)
        return f"{x_bar} {'+=' if again else '='} {v_bar} * {derivative}"


class _Template(NamedTuple):
    """A node's forward expression and its partials as format strings: `{0}`, `{1}`, … for the
    node's inputs, and the hole after them for the node itself (`out` in a derivative)."""

    value: str
    partials: tuple[_Partial, ...]


_NOT_KEPT = object()


class _Templates:
    """The templates of a graph's ops, made once per (primitive, exponent)."""

    def __init__(self) -> None:
        self._by_op: dict[tuple[str, int], Primitive] = {}
        self._checked: set[int] = set()  # ids of the rows found fit to be written out
        self._templates: dict[tuple[int, str], tuple[Primitive, _Template]] = {}

    def of(self, node: Value, name: str) -> _Template:
        prim = self._primitive(node, name)
        parameters = prim.args[prim.arity :]
        exponent = _exponent_literal(node.exponent) if parameters else ""
        kept = self._templates.get((id(prim), exponent))
        if kept is None:
            kept = self._templates[(id(prim), exponent)] = (prim, _template(prim, exponent))
        return kept[1]

    def _primitive(self, node: Value, name: str) -> Primitive:
        # A node that keeps the row that made it (`node.primitive`) is read by it; one made by a
        # micrograd-style `_backward` closure keeps None there. Otherwise the row is found from
        # the op's symbol and number of inputs.
        prim = getattr(node, "primitive", _NOT_KEPT)
        if prim is None:
            raise ValueError(
                f"{_where(node, name)} was made by a micrograd-style _backward closure, whose "
                "derivatives cannot be written out; define the op with "
                "scalar.primitive(..., source=...)"
            )
        if not isinstance(prim, Primitive):
            key = (node.op, len(node.inputs))
            prim = self._by_op.get(key)
            if prim is None:
                try:
                    prim = self._by_op[key] = primitive_of(*key)
                except KeyError:
                    raise ValueError(
                        f"{_where(node, name)} was made by no primitive of the table, so it "
                        "cannot be written out; define the op with "
                        "scalar.primitive(..., source=...)"
                    ) from None
        if id(prim) not in self._checked:
            _check_writable(prim, _where(node, name))
            self._checked.add(id(prim))
        return prim


def _where(node: Value, name: str) -> str:
    return f"program: node {name} (op {node.op!r}, {len(node.inputs)} input(s))"


def _check_writable(prim: Primitive, where: str) -> None:
    """Refuse, in one line, a row the program cannot write out."""
    if prim.source is None:
        raise ValueError(
            f"{where}: primitive {prim.name!r} has no Python source form; "
            "give it one with scalar.primitive(..., source=...)"
        )
    if len(prim.args) - prim.arity > 1:
        raise ValueError(f"{where}: primitive {prim.name!r} has more than one parameter")
    if len(prim.source.local_derivatives) != prim.arity:
        raise ValueError(
            f"{where}: primitive {prim.name!r} has {len(prim.source.local_derivatives)} local "
            f"derivative(s) in its Python source form for {prim.arity} input(s)"
        )
    # A saved program imports math and nothing else: a source may use its arguments, `out`
    # (in a derivative) and `math`, no other name.
    for k, expr in enumerate((prim.source.value, *prim.source.local_derivatives)):
        allowed = {*prim.args, "math"} | ({"out"} if k else set())
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError:
            raise ValueError(
                f"{where}: primitive {prim.name!r} has Python source {expr!r}, which is not a "
                "Python expression"
            ) from None
        others = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - allowed)
        if others:
            raise ValueError(
                f"{where}: primitive {prim.name!r} has Python source {expr!r}, which uses "
                f"{', '.join(others)}; a source may use only {', '.join(prim.args)}, out (in a "
                "derivative) and math"
            )


def _template(prim: Primitive, exponent: str) -> _Template:
    assert prim.source is not None
    inputs = prim.args[: prim.arity]
    parameter = {name: exponent for name in prim.args[prim.arity :]}
    # Holes {0}, {1}, … for the inputs, and one more after them for `out`, the node itself.
    holes = {name: str(k) for k, name in enumerate(inputs)} | {"out": str(len(inputs))}
    value = _holes(_fold(_substitute(prim.source.value, parameter)), holes)
    partials = []
    for derivative in prim.source.local_derivatives:
        expr = _fold(_substitute(derivative, parameter))
        number = _number(expr)
        if number == 1.0:
            partials.append(_Partial("copy", ""))
        elif number == -1.0:
            partials.append(_Partial("negate", ""))
        else:
            operand = expr if _is_operand(expr) else f"({expr})"
            partials.append(_Partial("times", _holes(operand, holes)))
    return _Template(value, tuple(partials))


def _names_at(expr: str, names: Container[str]) -> list[tuple[int, int, str]]:
    """(start, end, name) of each use of one of `names` in `expr`, by byte offset (attribute names
    such as the `exp` of `math.exp` are not uses)."""
    tree = ast.parse(expr, mode="eval")
    return sorted(
        (n.col_offset, n.end_col_offset or n.col_offset, n.id)
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id in names
    )


def _substitute(expr: str, names: dict[str, str]) -> str:
    """`expr` with each name of `names` replaced by its text."""
    data = expr.encode()
    for start, end, name in reversed(_names_at(expr, names)):
        data = data[:start] + names[name].encode() + data[end:]
    return data.decode()


def _holes(expr: str, holes: dict[str, str]) -> str:
    """`expr` as a format string: each name of `holes` becomes `{hole}`, braces are doubled."""
    data = expr.encode()
    pieces, at = [], 0
    for start, end, name in _names_at(expr, holes):
        pieces.append(data[at:start].decode().replace("{", "{{").replace("}", "}}"))
        pieces.append("{" + holes[name] + "}")
        at = end
    pieces.append(data[at:].decode().replace("{", "{{").replace("}", "}}"))
    return "".join(pieces)


class _FoldConstantTests(ast.NodeTransformer):
    """Replace `a if test else b` by its branch where `test` uses no variable (only numbers and
    `math`): once the exponent of `x ** 2` is written in, `2 == 0` is known."""

    folded = False

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if any(isinstance(n, ast.Name) and n.id != "math" for n in ast.walk(node.test)):
            return node
        self.folded = True
        test = eval(compile(ast.Expression(node.test), "<test>", "eval"), {"math": math})
        return node.body if test else node.orelse


def _fold(expr: str) -> str:
    """`expr` with the branches of its constant tests taken (the same value, fewer words)."""
    fold = _FoldConstantTests()
    tree = fold.visit(ast.parse(expr, mode="eval"))
    return ast.unparse(tree) if fold.folded else expr


def _number(expr: str) -> float | None:
    """The number `expr` is, if it is a plain number such as `1.0` or `-1.0`; else None."""
    try:
        value = ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_operand(expr: str) -> bool:
    """Whether `expr` can stand after `*` without parentheses: a name, a call, an attribute, or
    a non-negative number."""
    body = ast.parse(expr, mode="eval").body
    if isinstance(body, ast.Constant):
        return isinstance(body.value, int | float) and body.value >= 0
    return isinstance(body, ast.Name | ast.Call | ast.Attribute | ast.Subscript)
