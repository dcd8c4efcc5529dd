"""bench.scalar's plumbing: a worker process and its JSON report, and the table made of reports.

Nothing here asserts a speed: the times are made up or only counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scalar as bench
from examples.moons import sgd_step
from scalar.nn import MLP


def test_a_worker_times_this_checkout_from_the_demos_first_weights() -> None:
    report = bench.run_worker("adjoint", "off", steps=2)
    assert report["engine"] == "adjoint" and report["gc"] == "off"
    assert len(report["cpu"]) == len(report["wall"]) == 2
    assert all(seconds > 0 for seconds in report["cpu"] + report["wall"])
    # The worker is a fresh process: it must still import the code of this checkout...
    assert Path(report["source"]).is_relative_to(bench.ROOT)
    # ...and start from the weights and data every other row starts from.
    assert report["first_loss"] == sgd_step(bench._model(MLP), *bench._moons(), 0.1)[0]


def _run(cpu: float, loss: float) -> dict[str, object]:
    return {"version": "", "first_loss": loss, "cpu": [cpu, cpu, 9.0], "wall": [cpu, cpu, 9.0]}


def test_the_table_divides_medians_and_flags_different_first_losses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    runs = {
        ("adjoint", "on"): [_run(0.1, 1.5)],
        ("adjoint", "off"): [_run(0.08, 1.5)],
        ("micrograd", "on"): [_run(0.75, 1.5), _run(0.7, 1.5)],
        ("micrograd", "off"): [_run(0.09, 1.25)],
    }
    bench.print_table(runs)
    out = capsys.readouterr().out
    # The median of all the steps of a row (0.7, 0.7, 0.75, 0.75, 9, 9), not of its processes.
    assert "faster by 7.50× than micrograd as shipped" in out
    assert "by 0.90× than micrograd with gc disabled" in out
    assert "1.25, 1.5 (DIFFERENT)" in out


def test_the_program_row_gets_its_own_column_and_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    program = _run(0.004, 1.5) | {"build_cpu": 1.5, "build_wall": 2.0, "lines": 1234}
    runs = {
        ("adjoint", "on"): [_run(0.1, 1.5)],
        ("program", "on"): [program, program | {"build_cpu": 2.5}],
        ("micrograd", "on"): [_run(0.8, 1.5)],
        ("micrograd", "off"): [_run(0.08, 1.5)],
    }
    bench.print_table(runs)
    out = capsys.readouterr().out
    assert "program faster by" in out and "adjoint program (as shipped)" in out
    assert "faster by 200× than micrograd as shipped" in out
    assert "by 20.0× than micrograd with gc disabled" in out
    assert "(1,234 lines) took 2.00 s of CPU time" in out and "1.50–2.50" in out


def test_a_program_worker_reports_the_build_and_starts_from_the_same_loss() -> None:
    report = bench.run_worker("program", "on", steps=1)
    assert report["engine"] == "program" and len(report["cpu"]) == 1
    assert report["build_cpu"] > 0 and report["lines"] > 65_818
    assert report["first_loss"] == sgd_step(bench._model(MLP), *bench._moons(), 0.1)[0]
