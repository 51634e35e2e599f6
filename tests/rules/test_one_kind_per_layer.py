from archon_dsl.rules import find_rule
from archon_dsl.rules.base import Reporter


def test_mixed_layer_from_an_import_is_reported():
    rule = find_rule("A001")
    report = Reporter(rule, "config.json")
    rule.check_kinds([["generator", "generator"], ["generator", "fuser"]], report)
    assert [d.message for d in report.found] == ["layer 2 mixes component kinds: fuser, generator"]


def test_single_kind_layers_pass():
    rule = find_rule("A001")
    report = Reporter(rule, None)
    rule.check_kinds([["generator"], ["critic"], ["fuser", "fuser"]], report)
    assert report.found == []
