"""Benchmark the scalar engine: `python -m bench.scalar [--steps N]`.

1. One step of micrograd's moons demo (forward over 100 points, loss, backward, SGD update), with
   adjoint and, when it is installed, with the `micrograd` package from PyPI, in the same process,
   the same data, the same initial weights and the same step code. micrograd is timed as shipped
   and with its garbage collector switched off (collected between steps, outside the timing).
2. Backward throughput (nodes per second) on a chain of 200 000 ops.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from autodiff import topological_order
from examples.moons import SEED, make_moons, sgd_step, svm_loss
from scalar import Value
from scalar.nn import MLP

CHAIN = 200_000
ROUNDS = 3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=9, help="timed steps per engine and mode")
    args = parser.parse_args(argv)

    print(f"adjoint scalar benchmark: Python {platform.python_version()}, one thread")
    bench_step(args.steps)
    print()
    bench_chain()


def bench_step(steps: int) -> None:
    X, y = make_moons(100, noise=0.1, seed=SEED)
    Xs, ys = X.tolist(), y.tolist()
    engines: list[tuple[str, type, type]] = [("adjoint", Value, MLP)]
    micrograd = _micrograd()
    if micrograd is None:
        print("micrograd is not installed (pip install micrograd): timing adjoint alone")
    else:
        engines.append((f"micrograd {micrograd[2]}", micrograd[0], micrograd[1]))
    loss, _ = svm_loss(_model(MLP), Xs, ys)
    nodes = len(topological_order((loss,)))
    del loss
    print(
        "\nOne step of micrograd's moons demo: MLP(2, [16, 16, 1]) on 100 points: forward, loss,\n"
        f"backward, SGD update ({nodes:,} nodes). Median of {steps} steps per row; 'gc disabled'\n"
        "runs each step with gc.disable() and collects the garbage between steps, untimed."
    )
    first = [sgd_step(_model(mlp), Xs, ys, 0.1, value)[0] for _, value, mlp in engines]

    # Each row gets ROUNDS blocks of steps, and the blocks of all rows take turns, so a change in
    # machine load during the run hits every row alike. Each block starts with an untimed step.
    modes = [(name, value, mlp, gc_off) for name, value, mlp in engines for gc_off in (False, True)]
    models = [_model(mlp) for _, _, mlp, _ in modes]
    times: list[list[float]] = [[] for _ in modes]
    per_block = -(-steps // ROUNDS)
    for _ in range(ROUNDS):
        for i, (_, value, _, gc_off) in enumerate(modes):

            def step(model: Any = models[i], value: type = value) -> float:
                return sgd_step(model, Xs, ys, 0.1, value)[0]

            step()
            times[i] += _time(step, per_block, gc_off=gc_off)
    medians = [statistics.median(t) for t in times]
    ours = medians[0]
    print(f"\n{'engine':<32}{'ms/step':>9}{'adjoint speed-up':>20}")
    for (name, _, _, gc_off), seconds in zip(modes, medians, strict=True):
        label = f"{name} ({'gc disabled' if gc_off else 'as shipped'})"
        print(f"{label:<32}{seconds * 1e3:>9.1f}{seconds / ours:>19.2f}×")
    if micrograd is not None:
        print(
            f"adjoint as shipped vs micrograd as shipped: {medians[2] / ours:.1f}× faster "
            f"(target ≥ 10×); vs micrograd with gc disabled: {medians[3] / ours:.2f}× "
            "(target > 1×)"
        )
        # The literal reading of "switched off": gc.disable() for a run of steps, never collecting.
        # micrograd's graphs are all cycles, so none of them is freed and memory grows each step.
        model = _model(engines[1][2])

        def leaky_step() -> float:
            return sgd_step(model, Xs, ys, 0.1, engines[1][1])[0]

        leaky = statistics.median(_time_never_collected(leaky_step, steps))
        print(
            f"micrograd with gc.disable() for all {steps} steps, never collected (its graphs "
            f"pile up): {leaky * 1e3:.1f} ms/step, adjoint speed-up {leaky / ours:.2f}×"
        )
        same = "identical" if first[0] == first[1] else "DIFFERENT"
        print(
            f"first-step loss, same weights: adjoint {first[0]!r}, micrograd {first[1]!r} ({same})"
        )


def bench_chain() -> None:
    x = Value(0.0, label="x")
    y = x
    for _ in range(CHAIN):
        y = y + 1.0
    nodes = len(topological_order((y,), requiring_grad=True))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        y.backward()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    assert x.grad == 1.0
    print(f"Backward on a chain of {CHAIN:,} ops (y = x + 1 + 1 + ...), median of 3:")
    print(
        f"  adjoint    {nodes:,} nodes in {seconds:.3f} s = {nodes / seconds:,.0f} nodes/s"
        f" (recursion limit {sys.getrecursionlimit()})"
    )
    del x, y
    micrograd = _micrograd()
    if micrograd is None:
        return
    mx = micrograd[0](0.0)
    my = mx
    for _ in range(CHAIN):
        my = my + 1.0
    try:
        my.backward()
    except RecursionError:
        print(
            "  micrograd  RecursionError: its recursive topological sort hits the recursion limit"
        )
    else:
        print("  micrograd  completed")
    del mx, my
    gc.collect()


def _time(step: Callable[[], float], steps: int, *, gc_off: bool) -> list[float]:
    """Seconds per step. With `gc_off`, each step runs with the collector off and the garbage is
    collected between steps, outside the timing."""
    times = []
    gc.collect()
    for _ in range(steps):
        if gc_off:
            gc.collect()
        times += _time_never_collected(step, 1) if gc_off else _timed(step)
    gc.collect()
    return times


def _time_never_collected(step: Callable[[], float], steps: int) -> list[float]:
    """Seconds per step with the collector off for all the steps (and collected only after)."""
    gc.disable()
    try:
        return [seconds for _ in range(steps) for seconds in _timed(step)]
    finally:
        gc.enable()
        gc.collect()


def _timed(step: Callable[[], float]) -> list[float]:
    start = time.perf_counter()
    step()
    return [time.perf_counter() - start]


def _model(mlp: type) -> Any:
    random.seed(SEED)  # both engines draw the same weights, in the same order
    return mlp(2, [16, 16, 1])


def _micrograd() -> tuple[type, type, str] | None:
    try:
        from importlib.metadata import version

        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP
    except ImportError:
        return None
    return MicrogradValue, MicrogradMLP, version("micrograd")


if __name__ == "__main__":
    main()
