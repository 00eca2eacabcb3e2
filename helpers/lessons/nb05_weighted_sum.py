"""Code that serves notebook 05 (the weighted sum): the query-word widget's live view."""

import functools

import numpy as np

from ..core import step_values
from ..show.style import format_vector
from ..show.tables import step_table

__all__ = ["live_query_view"]


def live_query_view(examples, choice_control, width=640, height=320):
    """The query-word menu's view, redrawn in place (notebook 05).

    The chosen query word's weights as bars (its own bar orange), and under them its output z_i and its
    row of the slides' table (step_table). Each query word's numbers are computed once.

    examples maps a name to (words, Q, K, V); the control's value is (name, i), i the query word's
    index. Returns the helpers.LiveFigure, connected.
    """
    from ..show.live import LiveBars, LiveFigure

    live = LiveFigure(width=width, height=height)
    live.figure.subplots_adjust(left=0.11, right=0.98, bottom=0.27, top=0.9)
    bars = LiveBars(live.figure.add_subplot(), xlabel="key word j   (orange: the query word itself)", live=live)

    @functools.lru_cache(maxsize=256)
    def computed(name, i):  # the bars' weights and the text under them, once per query word
        words, Q, K, V = examples[name]
        values = step_values(Q, K, V, query=i)
        z = format_vector(values["z"], max_items=8)
        text = _Html(f'<pre style="margin:0">z_{i + 1} of "{words[i]}" = {z}</pre>'
                     + step_table(words, Q, K, V, query=i)._repr_html_())
        return np.asarray(values["weights"]), text

    def update(choice):
        name, i = choice
        words = examples[name][0]
        weights, text = computed(name, i)
        bars.show(weights, words, highlight=i, title=f'softmax weights of query word "{words[i]}"')
        return text

    return live.connect(update, choice=choice_control)


class _Html:
    """Text already in HTML, shown as it is under a LiveFigure."""

    def __init__(self, html):
        self.html = html

    def _repr_html_(self):
        return self.html
