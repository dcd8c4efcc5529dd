"""Benchmark the scalar engine: `python -m bench.scalar [--steps N] [--rounds R]`.

1. One step of micrograd's moons demo (forward over 100 points, loss, backward, SGD update), with
   adjoint and, when it is installed, with the `micrograd` package from PyPI: the same data, the
   same initial weights and the same step code (`examples/moons.py`). Each engine is timed as
   shipped and with its garbage collector off during each step (collected between steps,
   untimed). The "program" row takes the same steps through the adjoint program of the demo's
   graph (`scalar.program`, recorded and written out once per process, that time reported
   apart): the program's call and the same SGD update. Every row runs in a fresh process of its
   own, a worker
   (`python -m bench.scalar --worker adjoint --gc off`, which prints JSON), so that no engine
   pays for the garbage another one left. The workers of all rows take turns for R rounds, so a
   change in machine load hits every row alike. A worker takes one untimed warm-up step, then N
   timed steps. The figure is the median CPU time per step (`time.process_time`) over all rounds,
   which other programs on the machine disturb less than wall time; wall time is shown beside it.
2. Backward throughput (nodes per second, CPU time) on a chain of 200 000 ops, in this process.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from autodiff import topological_order
from examples.moons import SEED, make_moons, moons_program, program_step, sgd_step, svm_loss
from scalar import Value
from scalar.nn import MLP

CHAIN = 200_000
ROOT = Path(__file__).resolve().parents[1]  # workers run `-m bench.scalar` from here
ROWS = [
    ("adjoint", "on"),
    ("adjoint", "off"),
    ("program", "on"),
    ("micrograd", "on"),
    ("micrograd", "off"),
]
"""(engine, garbage collector) of each row of the table; "off" means off during each step.
"program" is adjoint's scalar engine through the adjoint program of the step's graph."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=7, help="timed steps per worker process")
    parser.add_argument("--rounds", type=int, default=3, help="worker processes per row")
    parser.add_argument(
        "--worker",
        choices=["adjoint", "program", "micrograd"],
        help="time this engine alone, print JSON",
    )
    parser.add_argument("--gc", choices=["on", "off"], default="on", help="with --worker")
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.gc, args.steps)))
        return
    print(f"adjoint scalar benchmark: Python {platform.python_version()}, one thread")
    bench_step(args.steps, args.rounds)
    print()
    bench_chain()


def worker(engine: str, collector: str, steps: int) -> dict[str, Any]:
    """Time `steps` steps of the moons demo with `engine` ("adjoint", "program" or "micrograd"),
    after one untimed warm-up step. For "program", writing out the program comes first, timed
    apart (`build_cpu`, `build_wall` seconds; `lines` of source).

    With `collector` "off", each timed step runs with gc.disable() and the garbage of the step
    before is collected just before it, untimed. Returns the first step's loss (to check that
    every engine starts from the same weights), seconds of CPU and wall time per step, the
    engine's version and the file its code came from (to check which checkout was timed).
    """
    value, mlp, version, source = _engine(engine)
    Xs, ys = _moons()
    model = _model(mlp)
    build: dict[str, float] = {}
    if engine == "program":
        # Write out the program of the first step's graph (timed apart), then every step calls it.
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        prog = moons_program(model, Xs, ys)
        build = {"build_cpu": time.process_time() - cpu_start}
        build["build_wall"] = time.perf_counter() - wall_start
        build["lines"] = len(prog.line_steps)
        parameters = model.parameters()

        def step() -> float:
            return program_step(prog, parameters, 0.1)
    else:

        def step() -> float:
            return sgd_step(model, Xs, ys, 0.1, value)[0]

    first_loss = step()
    cpu, wall = [], []
    for _ in range(steps):
        if collector == "off":
            gc.collect()
            gc.disable()
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
        gc.enable()
    return {
        "engine": engine,
        "version": version,
        "source": source,
        "gc": collector,
        "first_loss": first_loss,
        "cpu": cpu,
        "wall": wall,
        **build,
    }


def run_worker(engine: str, collector: str, steps: int) -> dict[str, Any]:
    """Run `worker` in a fresh Python process (same interpreter, environment and sys.path)."""
    command = [sys.executable, "-m", "bench.scalar", "--worker", engine, "--gc", collector]
    done = subprocess.run(
        [*command, "--steps", str(steps)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {' '.join(command[1:])} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def bench_step(steps: int, rounds: int) -> None:
    rows = [row for row in ROWS if row[0] != "micrograd" or _has_micrograd()]
    if len(rows) < len(ROWS):
        print("micrograd is not installed (pip install micrograd): timing adjoint alone")
    loss, _ = svm_loss(_model(MLP), *_moons())
    nodes = len(topological_order((loss,)))
    del loss
    print(
        "\nOne step of micrograd's moons demo: MLP(2, [16, 16, 1]) on 100 points: forward, loss,\n"
        f"backward, SGD update ({nodes:,} nodes). Each row is timed in fresh processes of its\n"
        f"own, one per round ({rounds} rounds, the rows taking turns), each with one warm-up\n"
        f"step and {steps} timed steps. Figures are medians of the {rounds * steps} timed steps;"
        " 'processes' is\nthe range of the medians of single processes. 'gc disabled' runs each"
        " step with\ngc.disable() and collects the garbage between steps, untimed."
    )
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {row: [] for row in rows}
    for k in range(rounds):
        # Rotate the order, so that no row always runs first in its round.
        for row in rows[k % len(rows) :] + rows[: k % len(rows)]:
            runs[row].append(run_worker(*row, steps))
    print_table(runs)


def print_table(runs: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    """The table of CPU and wall time per step, and adjoint's speed-ups against the targets."""
    cpu = {row: statistics.median(_seconds(row_runs, "cpu")) for row, row_runs in runs.items()}
    ours = cpu[("adjoint", "on")]
    program = cpu.get(("program", "on"))
    print(
        f"\n{'engine':<31}{'CPU ms/step':>12}{'processes':>12}{'wall ms':>10}"
        f"{'adjoint faster by':>19}" + ("" if program is None else f"{'program faster by':>19}")
    )
    for (engine, collector), row_runs in runs.items():
        mode = "(gc disabled)" if collector == "off" else "(as shipped)"
        name = "adjoint program" if engine == "program" else engine
        label = " ".join(filter(None, [name, row_runs[0]["version"], mode]))
        each = [statistics.median(run["cpu"]) * 1e3 for run in row_runs]
        wall = statistics.median(_seconds(row_runs, "wall"))
        speed_up = cpu[(engine, collector)] / ours
        print(
            f"{label:<31}{cpu[(engine, collector)] * 1e3:>12.1f}"
            f"{_range(each):>12}{wall * 1e3:>10.1f}{speed_up:>18.2f}×"
            + ("" if program is None else f"{cpu[(engine, collector)] / program:>18.1f}×")
        )
    if ("micrograd", "off") in runs:
        print(
            "In CPU time per step, adjoint as shipped is faster by "
            f"{cpu[('micrograd', 'on')] / ours:.2f}× than micrograd as shipped (target ≥ 7×)\n"
            f"and by {cpu[('micrograd', 'off')] / ours:.2f}× than micrograd with gc disabled "
            "(target > 1×)."
        )
    if program is not None and ("micrograd", "off") in runs:
        builds = [run["build_cpu"] for run in runs[("program", "on")]]
        print(
            "Through the adjoint program, a step is faster by "
            f"{cpu[('micrograd', 'on')] / program:.0f}× than micrograd as shipped (target ≥ 100×)\n"
            f"and by {cpu[('micrograd', 'off')] / program:.1f}× than micrograd with gc disabled "
            "(target ≥ 15×).\n"
            f"Writing out the program ({runs[('program', 'on')][0]['lines']:,} lines) took "
            f"{statistics.median(builds):.2f} s of CPU time\n(median of {len(builds)} processes, "
            f"{min(builds):.2f}–{max(builds):.2f}; target ≤ 3 s)."
        )
    losses = {run["first_loss"] for row_runs in runs.values() for run in row_runs}
    same = "identical in every process" if len(losses) == 1 else "DIFFERENT"
    print(f"First-step loss, same weights: {', '.join(map(repr, sorted(losses)))} ({same}).")


def bench_chain() -> None:
    x = Value(0.0, label="x")
    y = x
    for _ in range(CHAIN):
        y = y + 1.0
    nodes = len(topological_order((y,), requiring_grad=True))
    times = []
    for _ in range(3):
        start = time.process_time()
        y.backward()
        times.append(time.process_time() - start)
    seconds = statistics.median(times)
    assert x.grad == 1.0
    print(f"Backward on a chain of {CHAIN:,} ops (y = x + 1 + 1 + ...), median CPU time of 3:")
    print(
        f"  adjoint    {nodes:,} nodes in {seconds:.3f} s = {nodes / seconds:,.0f} nodes/s"
        f" (recursion limit {sys.getrecursionlimit()})"
    )
    del x, y
    if not _has_micrograd():
        return
    from micrograd.engine import Value as MicrogradValue

    mx = MicrogradValue(0.0)
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


def _engine(name: str) -> tuple[type, type, str, str]:
    """The Value and MLP classes of engine `name`, its version and the file of its Value."""
    if name in ("adjoint", "program"):
        import scalar.value

        return Value, MLP, "", scalar.value.__file__
    from importlib.metadata import version

    import micrograd.engine
    from micrograd.nn import MLP as MicrogradMLP

    return micrograd.engine.Value, MicrogradMLP, version("micrograd"), micrograd.engine.__file__


def _range(milliseconds: list[float]) -> str:
    return (
        f"{min(milliseconds):.0f}–{max(milliseconds):.0f}"
        if min(milliseconds) >= 10
        else (f"{min(milliseconds):.1f}–{max(milliseconds):.1f}")
    )


def _seconds(runs: list[dict[str, Any]], clock: str) -> list[float]:
    """The times per step of all the worker processes of one row, by `clock` ("cpu" or "wall")."""
    return [seconds for run in runs for seconds in run[clock]]


def _has_micrograd() -> bool:
    return importlib.util.find_spec("micrograd") is not None


def _moons() -> tuple[list[list[float]], list[float]]:
    X, y = make_moons(100, noise=0.1, seed=SEED)
    return X.tolist(), y.tolist()  # Python floats: the engines are about Python numbers


def _model(mlp: type) -> Any:
    random.seed(SEED)  # both engines draw the same weights, in the same order
    return mlp(2, [16, 16, 1])


if __name__ == "__main__":
    main()
