"""`twin check --theory`: which exact model applies (or to which named simplification), the twin
beside it, and the verdicts.

The choice of model is pure and tested without simulation. The runs use fixed seeds and few,
short replications; each requires every exact value within 1.5 half-widths of the twin's 95%
interval (about its 99.5% interval for these replication counts) and the interval tight enough
that a neighbouring wrong answer (M/M/1's wait for an M/D/1 queue, a buffer one larger) is outside.
"""

from __future__ import annotations

import json

import pytest
from conftest import make_line, poisson
from typer.testing import CliRunner

from twin.checks.exact import exact_cases
from twin.checks.theory_run import TheoryCheck, check_theory
from twin.cli import app
from twin.theory import mmc, serial_line

SEED = 1234


def exponential(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


def mm1_line(**settings) -> dict:
    return {"name": "MM1", "source": poisson(0.5), "horizon": 6000, "warmup": 500,
            "stations": [{"name": "Milling", "process": exponential(1.0)}], **settings}


def chain_stations() -> list[dict]:
    return [{"name": "a", "process": exponential(1.0)},
            {"name": "b", "buffer": 1, "process": exponential(1.25),
             "failures": {"mtbf": exponential(50.0), "mttr": exponential(5.0)}},
            {"name": "c", "buffer": 0, "process": exponential(0.9)}]


def only_case(line):
    cases, reasons = exact_cases(line)
    assert len(cases) == 1, reasons
    return cases[0]


# --- which model: pure ------------------------------------------------------------------------------

def test_one_station_with_poisson_arrivals_is_mmc_or_mg1():
    assert only_case(make_line(**mm1_line())).model == "M/M/1"
    three = mm1_line(stations=[{"name": "s", "machines": 3, "process": exponential(4.0)}])
    assert only_case(make_line(**three)).model == "M/M/3"
    gamma = mm1_line(stations=[{"name": "s", "process": {"dist": "gamma", "mean": 1.0, "cv": 0.5}}])
    case = only_case(make_line(**gamma))
    assert case.model.startswith("M/G/1") and case.subject == "the line as it is"
    wait = {(e.kpi, e.station): e.value for e in case.expected}
    assert wait[("lead_time_min", None)] == pytest.approx(1 + 0.5 * 1.25 / (2 * 0.5))


def test_exponential_tandem_with_poisson_arrivals_is_jackson():
    means = {"a": 1.0, "b": 1.4, "c": 0.8}
    line = make_line([{"name": n, "process": exponential(m)} for n, m in means.items()],
                     source=poisson(0.5))
    case = only_case(line)
    values = {(e.kpi, e.station): e.value for e in case.expected}
    assert case.model.startswith("Jackson")
    assert values[("lead_time_min", None)] == pytest.approx(8.0)
    assert values[("buffer_mean", "b")] == pytest.approx(0.7**2 / 0.3)


def test_what_has_no_model_says_why_in_one_line():
    mg2 = mm1_line(stations=[{"name": "s", "machines": 2, "process": 1.5}])
    cases, reasons = exact_cases(make_line(**mg2))
    assert cases == [] and len(reasons) == 1 and "M/G/2" in reasons[0]
    unstable = mm1_line(stations=[{"name": "s", "process": exponential(2.5)}])
    assert "no steady state" in exact_cases(make_line(**unstable))[1][0]
    conwip = mm1_line(source={"kind": "conwip", "wip_cap": 3})
    assert "CONWIP" in exact_cases(make_line(**conwip))[1][0]
    big = make_line([{"name": f"s{i}", "buffer": 9, "process": exponential(1.0)} for i in range(6)])
    cases, reasons = exact_cases(big)
    assert cases == [] and "states" in reasons[0] and "\n" not in " ".join(reasons)


def test_saturated_exponential_line_is_its_markov_chain():
    case = only_case(make_line(chain_stations()))
    assert case.model.startswith("Markov chain") and case.subject == "the line as it is"
    exact = serial_line([1.0, 0.8, 1 / 0.9], [0, 1, 0], mtbf=[None, 50.0, None],
                        mttr=[None, 5.0, None])
    values = {(e.kpi, e.station): e.value for e in case.expected}
    assert values[("throughput_per_hour", None)] == pytest.approx(exact.throughput * 60)
    assert values[("share_down", "b")] == pytest.approx(exact.shares[1]["down"])
    assert ("share_down", "a") not in values and ("share_blocked", "c") not in values


def test_a_simplification_is_named_and_is_what_runs():
    """Shifts are dropped (named); then, with gamma times, only the stations alone remain."""
    stations = chain_stations()
    calendar = {"shifts": [{"start": "6h", "end": "14h"}]}
    line = make_line(stations, calendar=calendar)
    case = only_case(line)
    assert case.subject == "the line without shifts" and case.line.calendar is None
    assert case.line.stations[1].failures is not None
    stations[0]["process"] = {"dist": "gamma", "mean": 1.0, "cv": 0.5}
    cases, reasons = exact_cases(make_line(stations, calendar=calendar))
    assert [c.subject for c in cases] == [
        "station 'b' alone, without shifts, saturated: isolated unreliable machine"]
    assert len(cases[0].line.stations) == 1 and cases[0].line.calendar is None
    assert any("not all exponential" in r for r in reasons)
    tandem = make_line([{"name": "x", "process": 0.8}, {"name": "y", "process": exponential(1.0)}],
                       source=poisson(0.5))
    subjects = [c.subject for c in exact_cases(tandem)[0]]
    assert subjects == [
        "station 'x' alone, as M/G/1 (Pollaczek-Khinchine) at the line's arrival rate "
        "(one part every 2min)",
        "station 'y' alone, as M/M/1 at the line's arrival rate (one part every 2min)"]


# --- the twin beside the exact value -----------------------------------------------------------------

def assert_close(check: TheoryCheck, max_rel_half_width: float) -> None:
    assert check.results, check.not_applicable
    for case in check.results:
        for verdict in case.verdicts:
            exact, twin = verdict.expected.value, verdict.twin
            what = f"{case.case.subject}: {verdict.expected.kpi} at {verdict.expected.station}"
            assert verdict.inside == (twin.low - 1e-9 <= exact <= twin.high + 1e-9), what
            assert abs(twin.mean - exact) <= 1.5 * twin.half_width + 1e-9, (what, exact, twin)
            assert twin.half_width <= max_rel_half_width * max(abs(exact), 0.05), (what, twin)


def test_mm1_twin_inside_and_tight():
    check = check_theory(make_line(**mm1_line()), replications=10, seed=SEED, workers=1)
    assert_close(check, max_rel_half_width=0.12)
    lead = next(v for v in check.results[0].verdicts if v.expected.kpi == "lead_time_min")
    assert lead.expected.value == pytest.approx(mmc(0.5, 1.0).lead_time)


def test_md1_interval_excludes_the_mm1_answer():
    """M/D/1 at ρ = 0.5: W = 1.5 (P-K); M/M/1 would say 2: the interval tells them apart."""
    line = make_line(**mm1_line(stations=[{"name": "Milling", "process": 1.0}]))
    check = check_theory(line, replications=10, seed=SEED, workers=1)
    assert check.results[0].case.model.startswith("M/G/1")
    assert_close(check, max_rel_half_width=0.1)
    lead = next(v for v in check.results[0].verdicts if v.expected.kpi == "lead_time_min")
    assert lead.expected.value == pytest.approx(1.5)
    assert not lead.twin.low <= mmc(0.5, 1.0).lead_time <= lead.twin.high


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_markov_chain_line_inside(engine):
    line = make_line(chain_stations(), horizon=8000, warmup=500)
    check = check_theory(line, replications=10, seed=SEED, workers=1, engine=engine)
    assert check.results[0].engine == engine
    assert_close(check, max_rel_half_width=0.12)
    throughput = check.results[0].verdicts[0]
    assert throughput.expected.kpi == "throughput_per_hour"
    wrong = serial_line([1.0, 0.8, 1 / 0.9], [0, 2, 0], mtbf=[None, 50.0, None],
                        mttr=[None, 5.0, None]).throughput * 60
    assert not throughput.twin.low <= wrong <= throughput.twin.high  # a buffer one larger


def test_unreliable_machine_inside_and_the_no_warmup_note():
    line = make_line([{"name": "m", "process": 4.0,
                       "failures": {"mtbf": {"dist": "weibull", "mean": 45.0, "shape": 2.0},
                                    "mttr": {"dist": "lognormal", "mean": 9.0, "cv": 0.8}}}],
                     horizon=15_000)
    check = check_theory(line, replications=10, seed=SEED, workers=1)
    assert check.results[0].case.model == "isolated unreliable machine"
    assert check.results[0].case.line.warmup == 1500 and "no warm-up" in check.notes[0]
    assert_close(check, max_rel_half_width=0.25)


def test_machine_repairman_inside():
    """Two machines, one repairer, exponential failures and repairs: E[up] = 1.2 of 2."""
    line = make_line([{"name": "pair", "machines": 2, "process": 4.0,
                       "failures": {"mtbf": exponential(20.0), "mttr": exponential(10.0)}}],
                     maintenance_crew=1, horizon=12_000, warmup=500)
    check = check_theory(line, replications=12, seed=2, workers=1)
    case = check.results[0]
    assert case.case.model == "machine-repairman queue (M/M/1//2)"
    assert case.verdicts[0].expected.value == pytest.approx(1.2 / 4 * 60)
    assert_close(check, max_rel_half_width=0.1)
    assert not case.verdicts[0].twin.low <= 2 * 2 / 3 / 4 * 60 <= case.verdicts[0].twin.high


# --- the command -----------------------------------------------------------------------------------

@pytest.fixture
def mm1_file(tmp_path):
    import yaml

    path = tmp_path / "mm1.yaml"
    path.write_text(yaml.safe_dump(mm1_line(horizon=2000, warmup=200, replications=3)))
    return path


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_cli_table_and_json(mm1_file):
    table = run_cli("check", "--theory", str(mm1_file), "--workers", "1")
    assert table.exit_code == 0, table.output
    assert "M/M/1" in table.stdout and "the line as it is" in table.stdout
    assert "inside" in table.stdout or "outside" in table.stdout
    result = run_cli("check", "--theory", str(mm1_file), "--workers", "1", "--format", "json",
                     "--replications", "4", "--seed", "9", "--engine", "simpy")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["replications"], document["seed"]) == (4, 9)
    case = document["cases"][0]
    assert case["model"] == "M/M/1" and case["engine"] == "simpy"
    assert {v["kpi"] for v in case["values"]} >= {"throughput_per_hour", "lead_time_min", "wip"}
    for value in case["values"]:
        assert set(value) == {"kpi", "station", "exact", "twin", "relative_error", "inside"}
        low, high = value["twin"]["ci95"]
        assert value["inside"] == (low - 1e-9 <= value["exact"] <= high + 1e-9)


def test_one_replication_has_no_interval():
    from twin.errors import ConfigError

    with pytest.raises(ConfigError, match="--replications: a confidence interval needs at least 2"):
        check_theory(make_line(**mm1_line()), replications=1)


def test_cli_no_model_is_a_note_and_exit_0(tmp_path):
    import yaml

    path = tmp_path / "conwip.yaml"
    path.write_text(yaml.safe_dump(mm1_line(source={"kind": "conwip", "wip_cap": 2})))
    result = run_cli("check", "--theory", str(path))
    assert result.exit_code == 0, result.output
    assert "no exact model applies" in result.stderr and "CONWIP" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--theory", "LOG.csv"], "LOG: --theory compares with theory"),
    ([], "LOG: missing"),
    (["--theory", "--format", "csv"], "--format"),
])
def test_cli_errors_are_one_line(mm1_file, args, message):
    extra = [a for a in args if a != "LOG.csv"]
    log = ["LOG.csv"] if "LOG.csv" in args else []
    result = run_cli("check", str(mm1_file), *log, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
