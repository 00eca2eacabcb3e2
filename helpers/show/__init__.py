"""Presentation of arrays, shapes and strings: style, figures, diagrams, tables (needs matplotlib), and live.py.

live.py: widget figures drawn off-screen and updated in place (LiveFigure; needs ipywidgets).

Notebooks reach every public name here as helpers.X; nothing in helpers.core imports this package.
"""

__all__ = []
