"""Presentation of arrays, shapes and strings: style, figures, diagrams, tables (needs matplotlib).

Notebooks reach every public name here as helpers.X; nothing in helpers.core imports this package.
"""

__all__ = []
