"""Moved to exporter.writers.moodle_grades (Moodle question-bank policy lives with the Moodle
writers); this name stays while work in flight still imports it."""

from .writers.moodle_grades import *  # noqa: F403
from .writers.moodle_grades import __all__ as __all__  # noqa: F401
