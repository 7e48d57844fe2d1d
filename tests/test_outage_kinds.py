"""Which errors mean the database is out of reach, and the outage said once (any backend;
the outage itself, behind a proxy, is tests/test_db_outage.py's)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from reconcile.db import transaction
from reconcile.db.outage import Outage, answers, is_unreachable


def error_of(url: str, statement: str = "SELECT 1") -> Exception:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the kind is what is tested
        with transaction(url) as session:
            session.execute(text(statement))
    return raised.value


def test_a_database_file_that_cannot_open_is_unreachable_a_bad_statement_is_not(tmp_path, db_url):
    gone = f"sqlite:///{tmp_path}"  # a folder where the database file should be
    assert is_unreachable(error_of(gone))
    assert not answers(gone)
    assert not is_unreachable(error_of(db_url, "SELECT * FROM no_such_table"))
    assert answers(db_url)


def test_an_outage_is_said_once_and_its_end_once(tmp_path, db_url, caplog):
    caplog.set_level("INFO")
    gone = f"sqlite:///{tmp_path}"  # a folder where the database file should be
    outage = Outage(logging.getLogger("reconcile.test"), first=0.5, cap=2.0)
    assert outage.back(db_url) and not caplog.records  # not down: nothing to say
    for _ in range(5):
        assert outage.hit(error_of(gone))
        assert not outage.back(gone)
    assert [outage.pause() for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert not outage.hit(ValueError("not the database's"))
    assert outage.down and outage.back(db_url) and not outage.down
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2, said
    assert said[0].startswith("La base de datos no responde")
    assert said[1].startswith("La base de datos volvió a responder")
