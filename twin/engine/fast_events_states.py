"""Machines' open-ended states and the shift clock of the event kernel.

A machine's minutes in a state it leaves at an instant nobody knows in advance (starved, blocked,
off) are booked when it leaves (`_close`); outside shifts an idle machine counts as `off`, the
idle state kept for the next start (`Machine._to_on_calendar`). The clock (`ShiftClock._run`)
flips the line between working and not at each window's start and end, and a start wakes the
machines waiting for it, in the order they began to wait.
"""

from __future__ import annotations

import numpy as np

from twin.engine.fast_events_flow import _push
from twin.engine.fast_events_layout import (
    CK_END,
    CK_FIRING,
    CK_PHASE,
    CK_WAITING,
    CK_WINDOW,
    CK_WORKING,
    CLOCK_BEFORE,
    CLOCK_END,
    CLOCK_START,
    K_AFTER,
    K_OFF_SAVED,
    K_OPEN,
    K_PC,
    K_SINCE,
    PC_SHIFT_WAIT,
)
from twin.engine.fast_kernel import _overlap, kernel
from twin.engine.states import BLOCKED, OFF, STARVED

KERNEL_SOURCES = "91b664e8b815d3ca"  # twin.engine.kernel_sources: what the kernels read


@kernel(inline="always")
def _close(k, now, ms_i, ms_f, mout_f, W, H):
    """`Machine.to` out of an open-ended state: its minutes since it began."""
    state = ms_i[k, K_OPEN]
    if state >= 0:
        mout_f[k, state] += _overlap(ms_f[k, K_SINCE], now, W, H)
        ms_i[k, K_OPEN] = -1
        ms_i[k, K_OFF_SAVED] = -1


@kernel(inline="always")
def _open(k, state, now, ms_i, ms_f, clk_f, shifts):
    """`Machine.to` into an open-ended state; outside shifts an idle one is `off`, the idle state
    kept for the next start (`Machine._to_on_calendar`)."""
    if shifts and clk_f[CK_WORKING] == 0.0 and state in (STARVED, BLOCKED):
        ms_i[k, K_OPEN] = OFF
        ms_i[k, K_OFF_SAVED] = state
    else:
        ms_i[k, K_OPEN] = state
        ms_i[k, K_OFF_SAVED] = -1
    ms_f[k, K_SINCE] = now


@kernel(inline="always")
def _wait_for_shift(k, now, after, ms_i, ms_f, mout_f, clk_i, waiters, W, H):
    """`Machine.wait_for_shift`: `off`, waiting on the next start (behind the machines already
    waiting on it); then on at `after`."""
    _close(k, now, ms_i, ms_f, mout_f, W, H)
    ms_i[k, K_OPEN] = OFF
    ms_f[k, K_SINCE] = now
    waiters[clk_i[CK_WAITING]] = k
    clk_i[CK_WAITING] += 1
    ms_i[k, K_AFTER] = after
    ms_i[k, K_PC] = PC_SHIFT_WAIT


@kernel()
def _clock_step(now, shift_s, shift_e, clk_f, clk_i, waiters, firing, ms_i, ms_f, mout_f, h_t, h_i, g_i,
                fire, W, H):
    """`ShiftClock._run` from where it waits: at a start, the line works, the machines waiting for
    it are woken (one event: `fire`), idle machines leave `off`; at an end, idle machines go `off`."""
    n_machines = ms_i.shape[0]
    while clk_i[CK_WINDOW] < shift_s.shape[0]:
        w = clk_i[CK_WINDOW]
        phase = clk_i[CK_PHASE]
        if phase == CLOCK_BEFORE:
            clk_i[CK_PHASE] = CLOCK_START
            if shift_s[w] > now:
                _push(h_t, h_i, g_i, now + (shift_s[w] - now), fire - 1)
                return
        elif phase == CLOCK_START:
            clk_f[CK_WORKING] = 1.0
            clk_f[CK_END] = shift_e[w]
            n = clk_i[CK_WAITING]
            if n > 0:
                for i in range(n):
                    firing[i] = waiters[i]
                clk_i[CK_FIRING] = n
                clk_i[CK_WAITING] = 0
                _push(h_t, h_i, g_i, now, fire)
            for k in range(n_machines):
                saved = ms_i[k, K_OFF_SAVED]
                if saved >= 0:
                    _close(k, now, ms_i, ms_f, mout_f, W, H)
                    ms_i[k, K_OPEN] = saved
                    ms_f[k, K_SINCE] = now
            clk_i[CK_PHASE] = CLOCK_END
            _push(h_t, h_i, g_i, now + (shift_e[w] - now), fire - 1)
            return
        else:
            clk_f[CK_WORKING] = 0.0
            clk_f[CK_END] = np.inf
            for k in range(n_machines):
                state = ms_i[k, K_OPEN]
                if state in (STARVED, BLOCKED):
                    _close(k, now, ms_i, ms_f, mout_f, W, H)
                    ms_i[k, K_OPEN] = OFF
                    ms_i[k, K_OFF_SAVED] = state
                    ms_f[k, K_SINCE] = now
            clk_i[CK_WINDOW] = w + 1
            clk_i[CK_PHASE] = CLOCK_BEFORE
