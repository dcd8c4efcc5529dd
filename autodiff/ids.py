"""Stable node ids: a process-wide counter, so drawings and traces do not depend on `id()`."""

import itertools

_counter = itertools.count(1)

next_id = _counter.__next__
"""Return the next node id (1, 2, 3, ...). Ids only grow, so a node made later has a larger id."""
