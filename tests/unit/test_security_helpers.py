"""Pure helpers of issue 14's HTTP items: trainer paths, formula cells, signed requests and links, scope."""

from __future__ import annotations

import time

import pytest

from bridge.domain.auth import Principal
from bridge.domain.scope import ledger_filter, record_filter
from bridge.trainer import project
from bridge.trainer.ledger import as_text
from core import signatures
from media.urls import check_signed, signed_url


@pytest.mark.parametrize("path", ["data/nlu/ask.yml", "data/rules.yml", "data/stories.yml"])
def test_editable_training_files(path):
    assert project.editable(path) == path


@pytest.mark.parametrize("path", ["", "data/nlu/../kb/x.yml", "/work/data/rules.yml", "data//rules.yml",
                                  "./data/rules.yml", "data\\rules.yml", "data/kb/x.yml", "data/nlu/a/b.yml",
                                  "data/nlu/x.txt", "domain.yml", "data/rules.yml/", "data/nlu/\0.yml"])
def test_anything_else_is_refused(path):
    with pytest.raises(ValueError):
        project.editable(path)


def test_formula_cells_become_text():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert as_text(value) == "'" + value
    assert as_text("办理居住证") == "办理居住证" and as_text("") == ""


def test_signed_requests():
    body = b'{"ticket_id": "WO1"}'
    headers = signatures.signed_headers("k" * 32, body)
    assert signatures.check_request("k" * 32, body, headers) is None
    assert signatures.check_request("k" * 32, body + b" ", headers) == "bad_signature"
    assert signatures.check_request("other", body, headers) == "bad_signature"
    assert signatures.check_request("", body, headers) == "bad_signature"
    old = signatures.signed_headers("k" * 32, body, ts=int(time.time()) - 301)
    assert signatures.check_request("k" * 32, body, old) == "stale_callback"
    assert signatures.check_request("k" * 32, body, {**headers, signatures.NONCE: "short"}) == "bad_signature"


def test_signed_media_links():
    url, exp = signed_url("s" * 32, "m1", 600, now=1000)
    assert url == f"/api/v1/media/m1?exp={exp}&sig=" + url.rsplit("=", 1)[1] and exp == 1600
    sig = url.rsplit("=", 1)[1]
    assert check_signed("s" * 32, "m1", False, "1600", sig, now=1500) is None
    assert check_signed("s" * 32, "m1", False, "1600", sig, now=1601) == "link_expired"
    assert check_signed("s" * 32, "m1", True, "1600", sig, now=1500) == "bad_signature"
    assert check_signed("s" * 32, "m2", False, "1600", sig, now=1500) == "bad_signature"
    assert check_signed("s" * 32, "m1", False, "1700", sig, now=1500) == "bad_signature"


def test_a_requested_department_only_narrows():
    sup = Principal(id="s1", role="supervisor", name="", departments=("taxation",))
    assert record_filter(sup) == {"department": {"$in": ["taxation"]}}
    assert record_filter(sup, "taxation") == {"department": "taxation"}
    assert record_filter(sup, "housing-fund") == {"department": {"$in": []}}
    trainer = Principal(id="t1", role="trainer", name="")
    assert record_filter(trainer) == {} and record_filter(trainer, "housing-fund") == {"department": "housing-fund"}
    assert record_filter(Principal(id="s2", role="supervisor", name="", departments=("*",))) == {}
    agent = Principal(id="a1", role="agent", name="", departments=("taxation",))
    assert ledger_filter(agent) == {"$or": [{"department": {"$in": ["taxation"]}}, {"created_by.id": "a1"}]}
