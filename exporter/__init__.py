"""qbank: a YAML question bank, checked by sympy, exported to Canvas, Moodle XML and GIFT."""

__version__ = "0.1.0"
