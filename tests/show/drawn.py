"""What the figure tests read back from a drawing, and the sentences they draw."""

from matplotlib.text import Text

def texts(artist):
    """Every non-empty string drawn in a Figure or Axes."""
    return [t.get_text() for t in artist.findobj(Text) if t.get_text()]


def tick_labels(ax, axis):
    """The tick label strings of ax's x or y axis."""
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels]


TOKENS = "The kids were scared of the lions so they left right away".split()
SMALL = ["Action", "gets", "results"]
