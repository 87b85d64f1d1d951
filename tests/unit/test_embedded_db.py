"""Which core the embedded database is pinned to (ops/embedded_db.py)."""

import pytest

from ops.embedded_db import chosen_core


def test_last_core_by_default_and_none_when_unpinned_or_alone():
    assert chosen_core("last", [0, 1, 2, 3]) == 3
    assert chosen_core("none", [0, 1]) is None
    assert chosen_core("last", [5]) is None


def test_a_named_core_must_be_usable():
    assert chosen_core("1", [0, 1]) == 1
    with pytest.raises(SystemExit, match="BANGBAN_DB_CPU"):
        chosen_core("7", [0, 1])
