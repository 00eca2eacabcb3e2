"""Notebook 12 (heads of a real model): a pretrained encoder run by the series' own numpy functions.

    model.py       GELU, the weights (LayerWeights), loading and checking data/all-MiniLM-L6-v2/
                   (load_pretrained) and the forward pass (encoder_layer, PretrainedEncoder.run)
    evaluation.py  looking at heads (token_index, rank_heads), the pronoun evaluation set
                   (load_pronoun_eval, pronoun_head_scores) and what heads mostly do (key_role_shares)
    figures.py     drawing a head (HeadFigure, draw_head), the head roles, and the explorer widget

Notebooks reach every name below as helpers.X; tests may import this package as one module.
"""

from .evaluation import (
    KEY_ROLES,
    PronounItem,
    key_role_shares,
    load_pronoun_eval,
    pronoun_baselines,
    pronoun_head_scores,
    rank_heads,
    token_index,
    word_token_indices,
)
from .figures import ARC_THRESHOLD, HeadFigure, draw_head, draw_head_roles, pretrained_explorer
from .model import (
    CACHE_SIZE,
    MODEL_DIR_NAME,
    PRETRAINED_SHA256,
    LayerWeights,
    PretrainedEncoder,
    RunResult,
    encoder_layer,
    expected_shapes,
    gelu,
    load_pretrained,
)

__all__ = [
    "ARC_THRESHOLD",
    "CACHE_SIZE",
    "KEY_ROLES",
    "MODEL_DIR_NAME",
    "PRETRAINED_SHA256",
    "HeadFigure",
    "LayerWeights",
    "PretrainedEncoder",
    "PronounItem",
    "RunResult",
    "draw_head",
    "draw_head_roles",
    "encoder_layer",
    "expected_shapes",
    "gelu",
    "key_role_shares",
    "load_pretrained",
    "load_pronoun_eval",
    "pretrained_explorer",
    "pronoun_baselines",
    "pronoun_head_scores",
    "rank_heads",
    "token_index",
    "word_token_indices",
]
