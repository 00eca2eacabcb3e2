"""Shared test settings: figures render off-screen, never in a window."""

import matplotlib

matplotlib.use("Agg")
