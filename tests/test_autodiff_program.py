"""The shared pieces of the adjoint program: one name per node, and the compiled `Program`."""

from __future__ import annotations

import linecache
import traceback

import pytest

from autodiff.names import adjoint_names, baydin_indices, identifiers, node_names, v_name
from autodiff.program import Program
from scalar import Value


def baydin() -> tuple[Value, Value, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    return x1, x2, x1.log() + x1 * x2 - x2.sin()


def test_baydin_indices_follow_table_3() -> None:
    x1, x2, y = baydin()
    index = baydin_indices(y)
    assert index[x1.id] == -1 and index[x2.id] == 0
    assert sorted(index.values()) == [-1, 0, 1, 2, 3, 4, 5]
    assert index[y.id] == 5


def test_node_names_use_labels_then_v_then_c() -> None:
    a = Value(3.0)
    b = Value(4.0, label="b")
    c = Value(2.0, requires_grad=False)
    out = a * b + c
    names = node_names(out)
    assert names[a.id] == "vm1" and names[b.id] == "b" and names[c.id] == "c1"
    assert names[out.id] == "v2"
    assert [v_name(k) for k in (-2, 0, 3)] == ["vm2", "v0", "v3"]


def test_a_label_several_nodes_carry_names_the_first_of_them() -> None:
    a, b, c = Value(1.0, label="w"), Value(2.0, label="w"), Value(3.0, label="w_2")
    out = a * b + c
    names = node_names(out)
    assert [names[a.id], names[b.id], names[c.id]] == ["w", "w_3", "w_2"]
    assert len(set(names.values())) == len(names)


def test_identifiers_are_distinct_python_names() -> None:
    got = identifiers({1: "x1", 2: "a·b", 3: "2w", 4: "lambda", 5: "x1", 6: "np"}, ("np",))
    assert got == {1: "x1", 2: "a_b", 3: "_2w", 4: "lambda_", 5: "x1_2", 6: "np_2"}
    assert all(name.isidentifier() for name in got.values())


def test_adjoint_names_stay_apart_from_node_names() -> None:
    idents = {1: "x", 2: "x_bar", 3: "np"}
    assert adjoint_names(idents, [1, 2], reserved=("np_bar",)) == {1: "x_bar_2", 2: "x_bar_bar"}
    assert adjoint_names(idents, [3], reserved=("np_bar",)) == {3: "np_bar_2"}


SOURCE = """def f(a, b):
    # forward
    c = a * b
    d = c / (a - b)
    return d"""


def test_program_runs_checks_and_shows_its_lines(tmp_path) -> None:
    def check(args: tuple) -> tuple:
        if not all(isinstance(x, float) for x in args):
            raise TypeError("f: every argument must be a float")
        return args

    prog = Program("f", ("a", "b"), SOURCE, [0] * 5, imports=["import math"], check=check)
    assert prog(3.0, 1.0) == 1.5
    assert str(prog) == SOURCE
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(a, b\), got 1"):
        prog(1.0)
    with pytest.raises(TypeError, match="must be a float"):
        prog(1, 2.0)
    with pytest.raises(ZeroDivisionError) as caught:
        prog(2.0, 2.0)
    shown = "".join(traceback.format_exception(caught.value))
    assert "d = c / (a - b)" in shown and prog.filename in shown
    assert linecache.getline(prog.filename, 4).strip() == "d = c / (a - b)"
    saved = prog.save(tmp_path / "f.py")
    text = saved.read_text()
    assert text.splitlines()[2] == "import math" and text.rstrip().endswith("return d")
    with pytest.raises(ValueError, match="not a regular file"):
        prog.save(tmp_path)


def test_program_refuses_line_steps_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="3 line steps for 5 source lines"):
        Program("f", ("a", "b"), SOURCE, [0, 0, 0], imports=[])


def test_a_programs_lines_are_forgotten_with_it() -> None:
    prog = Program("f", ("a", "b"), SOURCE, [0] * 5, imports=[])
    filename = prog.filename
    assert linecache.getline(filename, 3).strip() == "c = a * b"
    del prog
    assert filename not in linecache.cache
