"""Code that serves one notebook (or a notebook and its sequel), in a module (or package) named after it.

    nb03_scores_and_scaling   notebooks 03, 04: the variance of q · k, saturation, temperature, their figures
    nb05_weighted_sum         notebook 05: the query-word widget's live view
    nb06_causal_attention     notebook 06: mask conventions, the wrong order (softmax, then mask), the mask toggle
    nb07_eight_heads          notebooks 07, 08: one head, the number of heads, the shape walk, W_O head by head
    nb09_heads_that_learn/    notebook 09: the tiny model trained in numpy, its analysis (model.py) and stored
                              weights (storage.py)
    nb10_transformer_block    notebook 10: positional encoding, layer norm, feed-forward, the encoder block
    nb11_cost_of_attention    notebook 11: online softmax, blocked attention, memory and time
    nb12_heads_of_a_real_model/  notebook 12: a pretrained encoder (model.py), its heads evaluated
                              (evaluation.py), figures and the explorer (figures.py)

Notebooks reach every public name here as helpers.X.
"""

__all__ = []
