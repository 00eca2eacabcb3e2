"""helpers: the small numpy package behind the multi-head self-attention series.

Each function's docstring names the notebook that builds its idea by hand first.
"""

from .attention import (
    MHAWeights,
    attention_scores,
    causal_mask,
    count_parameters,
    head_weights,
    init_mha_weights,
    merge_heads,
    multi_head_attention,
    naive_softmax,
    output_weights_per_head,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

__version__ = "0.1.0"
