"""Moved to exporter.writers.moodle_bank (the one home of Moodle question-bank policy); this
name stays while work in flight still imports it."""

from .moodle_bank import CONTEXTS, category_path, escape_wildcards, split_category_path, unescape_wildcards

__all__ = ["CONTEXTS", "category_path", "escape_wildcards", "split_category_path", "unescape_wildcards"]
