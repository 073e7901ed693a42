"""twin.theory's exact answers against each other and against numbers worked by hand.

No simulation here: the formulas must agree where two of them cover the same case (M/G/1 with cv 1
is M/M/1, M/M/c with c = 1 is M/M/1, the chain of two stations is the closed form, the chain of one
unreliable machine is the availability formula), conserve flow, and refuse what has no answer.
"""

from __future__ import annotations

import math

import pytest

from twin import theory


def test_mm1_by_hand():
    """λ = 0.8, μ = 1: W = 1/(μ − λ) = 5, L = 4, Lq = 3.2, ρ = 0.8."""
    q = theory.mmc(0.8, 1.0, 1)
    assert (q.lead_time, q.wip, q.queue_length, q.utilisation) == pytest.approx((5.0, 4.0, 3.2, 0.8))


def test_mmc_erlang_c_by_hand():
    """M/M/3 at a = 2.25: W = 1.757 (tables); Erlang C of M/M/1 is ρ."""
    assert theory.mmc(2.25, 1.0, 3).lead_time == pytest.approx(1.757, abs=1e-3)
    assert theory.erlang_c(1, 0.6) == pytest.approx(0.6)


@pytest.mark.parametrize(("cv", "w"), [(0.0, 3.0), (0.5, 3.5), (1.0, 5.0)])
def test_mg1_pollaczek_khinchine(cv, w):
    """λ = 0.8, E[S] = 1: M/D/1 W = 3, gamma cv 0.5 W = 3.5, cv 1 is M/M/1's 5."""
    assert theory.mg1(0.8, 1.0, cv).lead_time == pytest.approx(w)
    assert theory.mg1(0.4, 2.0, 1.0).wait_in_queue == pytest.approx(theory.mmc(0.4, 2.0).wait_in_queue)


def test_jackson_tandem_adds_up():
    queues = theory.jackson_tandem(0.5, [(1.0, 1), (1.4, 1), (0.8, 1)])
    assert sum(q.lead_time for q in queues) == pytest.approx(8.0)
    assert sum(q.wip for q in queues) == pytest.approx(4.0)


@pytest.mark.parametrize("bad", [(1.0, 1.0, 1), (2.0, 1.0, 1), (3.0, 1.0, 3), (0.0, 1.0, 1)])
def test_unstable_queue_has_no_steady_state(bad):
    with pytest.raises(ValueError, match=r"stable|positive"):
        theory.mmc(*bad)


def test_unreliable_machine_and_repairman():
    machine = theory.unreliable_machine(4.0, 60.0, 6.0)
    assert machine.throughput == pytest.approx(60 / 66 / 4)
    assert machine.share_down == pytest.approx(6 / 66)
    # one repairer for two machines: E[up] = 1.2; as many repairers as machines: 2 × A
    assert theory.repairman(4.0, 20.0, 10.0, 2, 1).throughput == pytest.approx(1.2 / 4)
    assert theory.repairman(4.0, 20.0, 10.0, 2, 5).availability == pytest.approx(20 / 30)


@pytest.mark.parametrize("b", [0, 1, 3])
@pytest.mark.parametrize(("mu1", "mu2"), [(1.0, 1.0), (1.0, 1.25), (1.3, 0.9)])
def test_chain_is_the_two_station_closed_form_and_conserves_flow(mu1, mu2, b):
    line = theory.serial_line([mu1, mu2], [0, b])
    assert line.throughput == pytest.approx(theory.two_station_throughput(mu1, mu2, b), rel=1e-12)
    for j, rate in enumerate((mu1, mu2)):  # every station passes the same flow
        assert line.shares[j]["busy"] * rate == pytest.approx(line.throughput, rel=1e-9)
        assert sum(line.shares[j].values()) == pytest.approx(1.0)
    assert line.shares[0]["starved"] == 0 and line.shares[1]["blocked"] == 0
    assert 0 <= line.buffer_mean[1] <= b and line.buffer_mean[0] == 0
    assert line.lead_time == pytest.approx(line.wip / line.throughput)


def test_chain_of_one_unreliable_machine_is_its_availability():
    line = theory.serial_line([0.25], [0], mtbf=60.0, mttr=6.0)
    assert line.throughput == pytest.approx(theory.unreliable_machine(4.0, 60.0, 6.0).throughput)
    assert line.shares[0]["down"] == pytest.approx(6 / 66)
    assert line.wip == pytest.approx(1.0)  # a saturated machine always holds a part


def test_chain_with_failures_per_machine():
    """A machine that never fails (None) is the chain without its failures."""
    mixed = theory.serial_line([1.0, 1.0], [0, 2], mtbf=[None, 30.0], mttr=[None, 5.0])
    both = theory.serial_line([1.0, 1.0], [0, 2], mtbf=30.0, mttr=5.0)
    none = theory.serial_line([1.0, 1.0], [0, 2])
    assert both.throughput < mixed.throughput < none.throughput
    assert mixed.shares[0]["down"] == 0 and mixed.shares[1]["down"] > 0


def test_large_chain_is_refused_before_or_while_it_is_built():
    with pytest.raises(ValueError, match="could have up to"):
        theory.serial_line([1.0] * 8, [0, 9, 9, 9, 9, 9, 9, 9])
    with pytest.raises(ValueError, match="more than 20,000 states"):
        theory.serial_line([1.0] * 4, [0, 25, 25, 25])


def test_reference_line_is_its_chain():
    """The reference line (bench/): 3,905 states, throughput 0.743375 parts/min."""
    line = theory.serial_line([1 / 1.0, 1 / 1.1, 1 / 0.9, 1 / 1.2, 1 / 1.0], [0, 5, 5, 5, 5])
    assert line.throughput == pytest.approx(0.743375, abs=5e-7)
    assert line.states == 3905
    assert theory.chain_size([0, 9, 9], failures=False) == 27 * 100
    assert not math.isnan(theory.serial_line([1.0, 1.0, 1.0], [0, 1, 1]).throughput)
