"""The adjoint program: reverse mode written out as Python, and run.

`backward()` walks a graph. `program(root, inputs)` writes the same computation out as one
straight-line function, the forward sweep and then the reverse sweep, one line per row of the
evaluation trace (Baydin et al., Table 3), and compiles it: calling it gives the value and the
gradients, equal to `backward()`'s to the last bit, with no graph.

Run with `python -m examples.adjoint_program`.
"""

from __future__ import annotations

from examples import seed_program
from scalar import Value, program


def title(text: str) -> str:
    return f"{text}\n{'=' * len(text)}\n"


def baydin_graph(x1: float = 2.0, x2: float = 5.0) -> tuple[Value, Value, Value]:
    """Baydin et al.'s example y = ln(x₁) + x₁·x₂ − sin(x₂), recorded at (x1, x2)."""
    a, b = Value(x1, label="x1"), Value(x2, label="x2")
    return a, b, a.log() + a * b - b.sin()


def scalar_report() -> str:
    """Baydin's example: its program, a call, and the same numbers from `backward()`."""
    x1, x2, y = baydin_graph()
    prog = program(y, inputs=[x1, x2])
    value, (g1, g2) = prog(2.0, 5.0)
    y.backward()
    lines = [
        title("The adjoint program of y = ln(x₁) + x₁·x₂ − sin(x₂) (Baydin et al., Table 3)"),
        ">>> x1, x2 = Value(2.0, label='x1'), Value(5.0, label='x2')",
        ">>> y = x1.log() + x1 * x2 - x2.sin()",
        ">>> prog = program(y, inputs=[x1, x2])",
        ">>> print(prog)",
        str(prog),
        "Read it against Table 3: the forward sweep computes v1 … v5; the reverse sweep starts",
        "from v5_bar = dy/dy = 1 and, node by node in the order backward() takes them, sends each",
        "input its partial adjoint, adjoint × local derivative, under a comment quoting the",
        "node's forward line. x1 and x2 are used twice: their second partial adjoint is added",
        "with +=.",
        "",
        ">>> prog(2.0, 5.0)",
        repr((value, (g1, g2))),
        ">>> y.backward(); y.data, (x1.grad, x2.grad)",
        repr((y.data, (x1.grad, x2.grad))),
        f"The same numbers, bit for bit: {value == y.data and (g1, g2) == (x1.grad, x2.grad)}.",
    ]
    # The program is a function: it runs at any point, and there it is backward() of the graph
    # recorded at that point.
    a, b, z = baydin_graph(0.5, -3.0)
    z.backward()
    at_new = prog(0.5, -3.0)
    lines += [
        "",
        ">>> prog(0.5, -3.0)   # at another point; backward() of a graph recorded there:",
        repr(at_new),
        repr((z.data, (a.grad, b.grad))),
        f"Equal: {at_new == (z.data, (a.grad, b.grad))}. prog.save('y_grad.py') writes the "
        "function as a module that imports only math.",
    ]
    return "\n".join(lines)


def vector_report() -> str:
    """The seed loop's step: its program beside the backprop needle's hw0 derives by hand."""
    prog, loss, leaves = seed_program.seed_step_program()
    return "\n".join(
        [
            title("The adjoint program of the seed loop's step (examples/seed_program.py)"),
            ">>> prog = vector.program(loss, inputs=[X, W1, W2, Y])   # one batch's graph",
            ">>> print(prog)",
            seed_program.report(prog, loss, leaves),
        ]
    )


def report() -> str:
    """Every section of this example."""
    return scalar_report() + "\n\n" + vector_report()


if __name__ == "__main__":
    print(report())
