"""Many course-days hashed at once (``payload_hashes``, the Libro import) give the
same strings as the one definition, ``payload_hash``, one course-day at a time:
corrections, a child written twice, RUTs whose lines sort unlike the RUTs."""
from __future__ import annotations

import numpy as np
import pytest

from reconcile.payload import payload_hash, payload_hashes

RUTS = np.array(["1-9", "10-8", "100234567-2", "23456789-6", "2345678-K", "25123456-6",
                 "9-0", "12667869-K", "12531909-2"], dtype=object)


@pytest.mark.parametrize("seed", range(20))
def test_the_same_hashes_as_one_course_day_at_a_time(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    groups = np.sort(rng.integers(0, max(1, n // 8), n))
    groups = np.unique(groups, return_inverse=True)[1]  # codes 0..g-1, all used
    codes = rng.integers(0, len(RUTS), n)
    present = rng.random(n) < 0.6
    corrections = {"100234567-2": "25123456-6", "1-9": "10-8"} if seed % 2 else None
    got = payload_hashes(groups, RUTS, codes, present, corrections)
    expected = [payload_hash(list(zip(RUTS[codes[groups == g]].tolist(),
                                      present[groups == g].tolist(), strict=True)),
                             corrections) for g in range(groups.max() + 1)]
    assert got == expected


def test_a_child_twice_counts_present_if_either_mark_says_so():
    hashes = payload_hashes(np.array([0, 0]), np.array(["100234567-2", "25123456-6"]),
                            np.array([0, 1]), np.array([True, False]),
                            {"100234567-2": "25123456-6"})
    assert hashes == [payload_hash([("25123456-6", True)])]
