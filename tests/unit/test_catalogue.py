"""The catalogue in data/ covers the client contract's matters and departments with the same ids."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from core.catalogue import load_catalogue
from core.settings import ROOT

CONTRACT = Path(os.environ.get("BANGBAN_CONTRACT", ROOT.parent / "shared" / "contract" / "matters.yml"))


def test_catalogue_matches_the_contract():
    ours = load_catalogue(ROOT / "data")
    source = CONTRACT if CONTRACT.exists() else ROOT / "data" / "catalogue" / "matters.yml"
    contract = yaml.safe_load(source.read_text(encoding="utf-8"))
    for m in contract["matters"]:
        assert m["id"] in ours.matters, m["id"]
        assert ours.matters[m["id"]].department == m["department"]
        assert ours.matters[m["id"]].name == m["name"]
    for d in contract["departments"]:
        assert d["id"] in ours.departments
    assert len(ours.matters) >= 35 and {"bigdata-center", "hotline-12345", "triage"} <= set(ours.departments)


def test_routing_rules_and_fallback():
    cat = load_catalogue(ROOT / "data")
    assert cat.route("housing-fund-loan") == "housing-fund"
    assert cat.route("company-registration", "in_scope") == "market-regulation"
    assert cat.route(None, "platform_tech") == "bigdata-center"
    assert cat.route("residence-permit", "platform_tech") == "bigdata-center"
    assert cat.route(None) == "triage" and cat.route("no-such-matter") == "triage"
