"""The scalar primitive table as JavaScript, generated from `scalar/primitives.py`.

`viz.stepper`'s page recomputes a scalar graph in the browser when a learner changes an input.
It needs each primitive's value, local derivatives and domain check; those live in one row per
primitive of `scalar.primitives.PRIMITIVES`, which holds them in Python and, beside them, as
JavaScript expressions (`Primitive.js`). This module only wraps each row's expressions into
functions, so a primitive is still defined in one place. It is the one part of `viz` that imports
an engine, and only when a page of a scalar graph is made.
"""

from __future__ import annotations

import json
import re
from typing import Any


def derivative_formulas(doc: str, arity: int) -> list[str]:
    """The local derivatives of a primitive's `doc` line, one per graph input, as written there.

    'f(a, b) = a·b;  ∂f/∂a = b, ∂f/∂b = a' gives ['∂f/∂a = b', '∂f/∂b = a']; a one-input doc
    such as 'f(x) = eˣ;  f′(x) = eˣ (= f)' gives ['f′(x) = eˣ (= f)'].
    """
    _, _, rules = doc.partition(";")
    parts = [p.strip() for p in re.split(r",\s*(?=∂f/∂)", rules.strip())] if arity > 1 else []
    formulas = parts if arity > 1 else [rules.strip()]
    if len(formulas) != arity or not all(formulas):
        raise ValueError(f"cannot read {arity} derivative(s) from the primitive doc {doc!r}")
    return formulas


def primitive_rows() -> list[dict[str, Any]]:
    """Every row of the scalar primitive table, with the fields the page shows."""
    from scalar.primitives import PRIMITIVES  # only scalar pages need the table

    rows = []
    for prim in PRIMITIVES.values():
        if prim.js is None:  # added by scalar.primitive without js=: pages that use it say so
            continue
        function, _, _ = prim.doc.partition(";")
        try:
            derivatives = derivative_formulas(prim.doc, prim.arity)
        except ValueError:  # a doc written another way: name the derivatives without formulas
            derivatives = [f"∂f/∂{a}" for a in prim.args[: prim.arity]]
        rows.append(
            {
                "name": prim.name,
                "symbol": prim.symbol,
                "args": list(prim.args),
                "arity": prim.arity,
                "function": function.strip(),
                "derivatives": derivatives,
                "js": prim.js,
            }
        )
    return rows


def primitive_table_js() -> str:
    """`const PRIMITIVES = {...}`: per primitive its value, local derivatives and check as
    JavaScript functions of the row's argument names (and `out`, the value), plus its formulas."""
    entries = []
    for row in primitive_rows():
        args = ", ".join(row["args"])
        js = row["js"]
        assert js is not None  # rows without JavaScript were left out above
        entries.append(
            f"  {json.dumps(row['name'])}: {{\n"
            f"    symbol: {json.dumps(row['symbol'])},\n"
            f"    args: {json.dumps(row['args'])},\n"
            f"    arity: {row['arity']},\n"
            f"    value: ({args}) => ({js.value}),\n"
            f"    local_derivatives: ({args}, out) => ({js.local_derivatives}),\n"
            f"    check: ({args}) => ({js.check}),\n"
            f"    function: {json.dumps(row['function'], ensure_ascii=False)},\n"
            f"    derivatives: {json.dumps(row['derivatives'], ensure_ascii=False)},\n"
            "  },"
        )
    return "const PRIMITIVES = {\n" + "\n".join(entries) + "\n};\n"
