"""Trials run without the GIL, and Ctrl-C stops them cleanly."""

from __future__ import annotations

import os
import signal
import threading

import pytest

import chokepoint
from conftest import SCENARIOS
from frames import assert_identical


@pytest.fixture
def sigint_raises():
    """Python's own Ctrl-C handler, whatever the test process inherited.

    A shell starts a background job with SIGINT ignored, and Python then installs no handler: the signal would be
    dropped and the tests below would wait for the whole run. They test the package, not how pytest was started.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_from_another_thread_cancels_a_run(sigint_raises):
    # The thread can only send the signal if the run lets go of the GIL; the run can only stop early if it looks
    # at Python's signals while its trials run. Uncancelled, these trials take minutes.
    sender = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            chokepoint.run(trials=2_000_000, seed=9, threads=2)
    finally:
        sender.cancel()
        sender.join()
    # Nothing of the interrupted run lingers: the next run is whole and equals a fresh one.
    again = chokepoint.run(trials=80, seed=9, threads=2)
    fresh = chokepoint.run(trials=80, seed=9, threads=1)
    assert_identical(again.trials, fresh.trials, "trials")


def test_ctrl_c_cancels_an_analysis(sigint_raises):
    sender = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            chokepoint.size_stockpile(
                SCENARIOS / "mitigations_2025.toml",
                stockpile="smco_alloy_reserve",
                end_use="f35_aircraft",
                max_shortfall_probability=0.0,
                trials=500_000,
            )
    finally:
        sender.cancel()
        sender.join()


def test_ctrl_c_cancels_a_trace(sigint_raises):
    # Uncancelled, 3,000 traced trials of the default scenario take about half a minute (and 0.9 GB of weekly values).
    sender = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            chokepoint.trace(trials=3_000)
    finally:
        sender.cancel()
        sender.join()


def test_runs_in_threads_of_their_own_give_the_same_tables():
    results: dict[int, chokepoint.RunResult] = {}

    def work(i: int) -> None:
        results[i] = chokepoint.run(trials=150, seed=11, threads=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2]
    for i in (1, 2):
        assert_identical(results[i].trials, results[0].trials, "trials")
