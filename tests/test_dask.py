"""Replications on a Dask cluster give exactly what a local run gives (each replication has its own
random streams, wherever it runs)."""

import pytest

import twin
from twin.cli import app

distributed = pytest.importorskip("distributed")

LINE = """
name: dask check
horizon: 1d
warmup: 1h
replications: 4
stations:
  - {name: A, buffer: 2, process: {dist: exponential, mean: 1.0},
     failures: {mtbf: {dist: exponential, mean: 200}, mttr: {dist: exponential, mean: 10}}}
  - {name: B, process: {dist: lognormal, mean: 0.9, cv: 0.5}}
"""


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_run_equals_serial_run(scheduler):
    line = twin.line_from_text(LINE)
    on_dask = twin.run(line, dask=scheduler)
    serial = twin.run(line, workers=1)
    assert on_dask.kpis.equals(serial.kpis)


def test_dask_compare_equals_serial_compare(scheduler):
    study = twin.study_from_text("line:\n" + "\n".join("  " + row for row in LINE.splitlines())
                                 + "\nlevers: {predictive_maintenance: {enabled: true}}\n")
    on_dask = twin.compare(study, dask=scheduler)
    serial = twin.compare(study, workers=1)
    assert on_dask.difference().equals(serial.difference())


def test_unreachable_scheduler_is_one_line(tmp_path):
    from typer.testing import CliRunner

    path = tmp_path / "line.yaml"
    path.write_text(LINE)
    result = CliRunner().invoke(app, ["run", str(path), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--dask: cannot reach a Dask scheduler" in result.output
    assert "Traceback" not in result.output
