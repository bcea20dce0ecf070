"""Rules as data: the schema, the loader and the in-memory ``Rule`` type."""

from keyscan.rules.loader import load_builtin_rules, load_rule_file, load_rules
from keyscan.rules.model import Example, Rule, RuleSet

__all__ = ["Example", "Rule", "RuleSet", "load_builtin_rules", "load_rule_file", "load_rules"]
