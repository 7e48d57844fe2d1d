"""The reconciliation pauses Python's cyclic garbage collector while it builds its
many small objects, and gives it back exactly as it found it."""
from __future__ import annotations

import gc
import threading

import pandas as pd
import pytest

from reconcile.matching import reconcile
from reconcile.collector import collector_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _frames():
    enrolment = pd.DataFrame({"course": ["110-1-A"] * 2, "rut": ["11111111-1", "22222222-2"],
                              "incorporated_on": [None, None], "withdrawn_on": [None, None]})
    marks = pd.DataFrame({"course": ["110-1-A"] * 2, "rut": ["11111111-1", "33333333-3"],
                          "day": [pd.Timestamp("2026-11-02")] * 2})
    return enrolment, marks


def test_paused_inside_and_back_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # reentrant: the inner end does not turn it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_even_when_the_step_fails(collector_on):
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_two_threads_overlapping_turn_it_on_only_at_the_last_end(collector_on):
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first thread has left; this one has not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_reconcile_gives_the_collector_back(collector_on):
    result = reconcile(*_frames())
    assert gc.isenabled()
    assert result.missing["rut"].tolist() == ["22222222-2"]
    assert result.unknown["rut"].tolist() == ["33333333-3"]
