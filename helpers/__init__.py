"""helpers: the small numpy package behind the multi-head self-attention series.

Notebooks write `import helpers`, then `helpers.X` for every name below (one import style).
The map (helpers/README.md has the table notebook -> modules):

    core.py        the slides' pipeline, numpy only: softmax, scores, masks, attention, heads, W_O
    _validate.py   every input check (ValueErrors naming the shapes)
    data.py        sentences, vocabulary, embeddings, the worked example (data/)
    environment.py the set-up check of notebook 00
    show/          style, figures, diagrams, tables (matplotlib)
    lessons/       nbNN_<notebook>.py: code that serves one notebook
    checks/        nbNN_<notebook>.py: the "check yourself" exercise checkers

Imports go one way: _validate <- core <- show <- lessons <- checks (data, environment: leaves).
`import helpers` needs numpy only: core, data and environment load now; the names of show/,
lessons/ and checks/ load on first use (module __getattr__ below), so matplotlib and ipywidgets
are imported only by the code that draws.
"""

import importlib

from .core import (
    MHAWeights,
    attention_scores,
    causal_mask,
    count_parameters,
    head_weights,
    init_mha_weights,
    mask_scores,
    masked_softmax,
    merge_heads,
    multi_head_attention,
    naive_softmax,
    output_weights_per_head,
    scaled_dot_product_attention,
    softmax,
    split_heads,
    step_values,
)
from .data import (
    DATA_DIR,
    embed,
    embedding_sizes,
    EMBEDDINGS_PATTERN,
    ENV_VAR,
    get_sentence,
    load_embeddings,
    load_sentences,
    load_vocab,
    load_worked_example,
    Relationship,
    Sentence,
    SENTENCES_FILE,
    TOKEN_PATTERN,
    tokenize,
    VOCAB_FILE,
    WORKED_EXAMPLE_FILE,
    WorkedExample,
)
from .environment import (
    check_environment,
    environment_ok,
    MIN_PYTHON,
    REQUIREMENTS,
    version_at_least,
)

__version__ = "0.1.0"

# name -> module (under helpers) for the names that load on first use
_LAZY = {
    # show.style
    "CLASSROOM_RC": "show.style",
    "DIVERGING_CMAPS": "show.style",
    "FONT_SIZE": "show.style",
    "LABEL_SIZE": "show.style",
    "OKABE_ITO": "show.style",
    "SUPTITLE_SIZE": "show.style",
    "TICK_SIZE": "show.style",
    "TITLE_SIZE": "show.style",
    "format_number": "show.style",
    "format_vector": "show.style",
    "ink_for": "show.style",
    "symmetric_limit": "show.style",
    "text_colour": "show.style",
    "use_classroom_style": "show.style",
    # show.figures
    "plot_attention": "show.figures",
    "plot_heads": "show.figures",
    "plot_heatmap": "show.figures",
    "plot_weights_bar": "show.figures",
    # show.diagrams
    "ROADMAP": "show.diagrams",
    "plot_concat_shapes": "show.diagrams",
    "plot_matrix_product": "show.diagrams",
    "plot_roadmap": "show.diagrams",
    "plot_sentence_links": "show.diagrams",
    "plot_transformer_block": "show.diagrams",
    # show.tables
    "STEPS": "show.tables",
    "Table": "show.tables",
    "matrix_table": "show.tables",
    "qkv_table": "show.tables",
    "scaled_header": "show.tables",
    "step_table": "show.tables",
    # lessons.nb03_scores_and_scaling
    "key_labels": "lessons.nb03_scores_and_scaling",
    "NAIVE_TITLE": "lessons.nb03_scores_and_scaling",
    "plot_jacobians": "lessons.nb03_scores_and_scaling",
    "plot_naive_vs_stable": "lessons.nb03_scores_and_scaling",
    "plot_saturation": "lessons.nb03_scores_and_scaling",
    "plot_scaling_view": "lessons.nb03_scores_and_scaling",
    "plot_score_variance": "lessons.nb03_scores_and_scaling",
    "plot_softmax_rows": "lessons.nb03_scores_and_scaling",
    "plot_temperature": "lessons.nb03_scores_and_scaling",
    "plot_temperatures": "lessons.nb03_scores_and_scaling",
    "random_query_keys": "lessons.nb03_scores_and_scaling",
    "RAW_COLOUR": "lessons.nb03_scores_and_scaling",
    "SATURATED": "lessons.nb03_scores_and_scaling",
    "Saturation": "lessons.nb03_scores_and_scaling",
    "saturation_curve": "lessons.nb03_scores_and_scaling",
    "SCALED_COLOUR": "lessons.nb03_scores_and_scaling",
    "scaling_demo": "lessons.nb03_scores_and_scaling",
    "ScalingDemo": "lessons.nb03_scores_and_scaling",
    "score_samples": "lessons.nb03_scores_and_scaling",
    "score_variance": "lessons.nb03_scores_and_scaling",
    "ScoreVariance": "lessons.nb03_scores_and_scaling",
    "softmax_jacobian": "lessons.nb03_scores_and_scaling",
    "STABLE_TITLE": "lessons.nb03_scores_and_scaling",
    "temperature_softmax": "lessons.nb03_scores_and_scaling",
    # lessons.nb06_causal_attention
    "CONVENTIONS": "lessons.nb06_causal_attention",
    "mask_as": "lessons.nb06_causal_attention",
    "mask_from": "lessons.nb06_causal_attention",
    "mask_view": "lessons.nb06_causal_attention",
    "masked_attention": "lessons.nb06_causal_attention",
    "ORDERS": "lessons.nb06_causal_attention",
    "softmax_then_mask": "lessons.nb06_causal_attention",
    # lessons.nb07_eight_heads
    "head_attention": "lessons.nb07_eight_heads",
    "head_contributions": "lessons.nb07_eight_heads",
    "head_counts": "lessons.nb07_eight_heads",
    "head_explorer": "lessons.nb07_eight_heads",
    "heads_config": "lessons.nb07_eight_heads",
    "heads_table": "lessons.nb07_eight_heads",
    "HeadsConfig": "lessons.nb07_eight_heads",
    "HeadView": "lessons.nb07_eight_heads",
    "shape_walk": "lessons.nb07_eight_heads",
    "shape_walk_table": "lessons.nb07_eight_heads",
    "show_head": "lessons.nb07_eight_heads",
    "Step": "lessons.nb07_eight_heads",
    "top_attended": "lessons.nb07_eight_heads",
    "top_attended_table": "lessons.nb07_eight_heads",
    # lessons.nb09_heads_that_learn
    "ablation": "lessons.nb09_heads_that_learn",
    "ablation_report": "lessons.nb09_heads_that_learn",
    "accuracy": "lessons.nb09_heads_that_learn",
    "adam_step": "lessons.nb09_heads_that_learn",
    "answer_losses": "lessons.nb09_heads_that_learn",
    "ANSWERS": "lessons.nb09_heads_that_learn",
    "attention_by_distance": "lessons.nb09_heads_that_learn",
    "attention_on_targets": "lessons.nb09_heads_that_learn",
    "backward": "lessons.nb09_heads_that_learn",
    "COLOURS": "lessons.nb09_heads_that_learn",
    "Config": "lessons.nb09_heads_that_learn",
    "cross_entropy": "lessons.nb09_heads_that_learn",
    "example_attention": "lessons.nb09_heads_that_learn",
    "forward": "lessons.nb09_heads_that_learn",
    "head_mask_without": "lessons.nb09_heads_that_learn",
    "head_roles": "lessons.nb09_heads_that_learn",
    "init_params": "lessons.nb09_heads_that_learn",
    "load_variants": "lessons.nb09_heads_that_learn",
    "load_weights": "lessons.nb09_heads_that_learn",
    "loss_and_grads": "lessons.nb09_heads_that_learn",
    "make_task": "lessons.nb09_heads_that_learn",
    "N_ITEMS": "lessons.nb09_heads_that_learn",
    "PAD": "lessons.nb09_heads_that_learn",
    "PAD_ID": "lessons.nb09_heads_that_learn",
    "PARAM_NAMES": "lessons.nb09_heads_that_learn",
    "param_shapes": "lessons.nb09_heads_that_learn",
    "predict": "lessons.nb09_heads_that_learn",
    "question_attention": "lessons.nb09_heads_that_learn",
    "save_variants": "lessons.nb09_heads_that_learn",
    "save_weights": "lessons.nb09_heads_that_learn",
    "SHAPES": "lessons.nb09_heads_that_learn",
    "softmax_backward": "lessons.nb09_heads_that_learn",
    "stored_variants_path": "lessons.nb09_heads_that_learn",
    "stored_weights_path": "lessons.nb09_heads_that_learn",
    "TaskData": "lessons.nb09_heads_that_learn",
    "token_labels": "lessons.nb09_heads_that_learn",
    "train": "lessons.nb09_heads_that_learn",
    "train_variants": "lessons.nb09_heads_that_learn",
    "train_with_progress": "lessons.nb09_heads_that_learn",
    "TrainedModel": "lessons.nb09_heads_that_learn",
    "variant_configs": "lessons.nb09_heads_that_learn",
    "VARIANTS_FILE": "lessons.nb09_heads_that_learn",
    "VOCAB": "lessons.nb09_heads_that_learn",
    "weights_checksum": "lessons.nb09_heads_that_learn",
    "WEIGHTS_FILE": "lessons.nb09_heads_that_learn",
    # lessons.nb10_transformer_block
    "add_and_norm": "lessons.nb10_transformer_block",
    "BlockWeights": "lessons.nb10_transformer_block",
    "decoder_block": "lessons.nb10_transformer_block",
    "encoder_block": "lessons.nb10_transformer_block",
    "feed_forward": "lessons.nb10_transformer_block",
    "init_block_weights": "lessons.nb10_transformer_block",
    "layer_norm": "lessons.nb10_transformer_block",
    "permutation_gap": "lessons.nb10_transformer_block",
    "positional_encoding": "lessons.nb10_transformer_block",
    "relu": "lessons.nb10_transformer_block",
    # lessons.nb11_cost_of_attention
    "attention_memory_bytes": "lessons.nb11_cost_of_attention",
    "blocked_attention": "lessons.nb11_cost_of_attention",
    "online_softmax": "lessons.nb11_cost_of_attention",
    "peak_memory": "lessons.nb11_cost_of_attention",
    "running_max_and_sum": "lessons.nb11_cost_of_attention",
    "time_it": "lessons.nb11_cost_of_attention",
    "timed": "lessons.nb11_cost_of_attention",
    # lessons.nb12_heads_of_a_real_model
    "CACHE_SIZE": "lessons.nb12_heads_of_a_real_model",
    "draw_head": "lessons.nb12_heads_of_a_real_model",
    "draw_head_roles": "lessons.nb12_heads_of_a_real_model",
    "encoder_layer": "lessons.nb12_heads_of_a_real_model",
    "expected_shapes": "lessons.nb12_heads_of_a_real_model",
    "figure_png": "lessons.nb12_heads_of_a_real_model",
    "gelu": "lessons.nb12_heads_of_a_real_model",
    "KEY_ROLES": "lessons.nb12_heads_of_a_real_model",
    "key_role_shares": "lessons.nb12_heads_of_a_real_model",
    "LayerWeights": "lessons.nb12_heads_of_a_real_model",
    "load_pretrained": "lessons.nb12_heads_of_a_real_model",
    "load_pronoun_eval": "lessons.nb12_heads_of_a_real_model",
    "MODEL_DIR_NAME": "lessons.nb12_heads_of_a_real_model",
    "PRETRAINED_SHA256": "lessons.nb12_heads_of_a_real_model",
    "PretrainedEncoder": "lessons.nb12_heads_of_a_real_model",
    "pretrained_explorer": "lessons.nb12_heads_of_a_real_model",
    "pronoun_baselines": "lessons.nb12_heads_of_a_real_model",
    "pronoun_head_scores": "lessons.nb12_heads_of_a_real_model",
    "PronounItem": "lessons.nb12_heads_of_a_real_model",
    "rank_heads": "lessons.nb12_heads_of_a_real_model",
    "RunResult": "lessons.nb12_heads_of_a_real_model",
    "token_index": "lessons.nb12_heads_of_a_real_model",
    "word_token_indices": "lessons.nb12_heads_of_a_real_model",
    # checks.nb01_embeddings
    "check_x_shape": "checks.nb01_embeddings",
    # checks.nb02_queries_keys_values
    "check_qkv": "checks.nb02_queries_keys_values",
    # checks.nb03_scores_and_scaling
    "check_scaled_scores": "checks.nb03_scores_and_scaling",
    # checks.nb04_softmax
    "check_softmax": "checks.nb04_softmax",
    # checks.nb05_weighted_sum
    "check_attention": "checks.nb05_weighted_sum",
    # checks.nb06_causal_attention
    "check_causal_mask": "checks.nb06_causal_attention",
    # checks.nb07_eight_heads
    "check_split_heads": "checks.nb07_eight_heads",
    # checks.nb08_concat_and_output_projection
    "check_multi_head_attention": "checks.nb08_concat_and_output_projection",
    # checks.nb09_heads_that_learn
    "check_softmax_backward": "checks.nb09_heads_that_learn",
    # checks.nb10_transformer_block
    "check_layer_norm": "checks.nb10_transformer_block",
    # checks.nb11_cost_of_attention
    "check_online_softmax": "checks.nb11_cost_of_attention",
    # checks.nb12_heads_of_a_real_model
    "check_plug_in": "checks.nb12_heads_of_a_real_model",
}

__all__ = [
    # core
    "MHAWeights",
    "attention_scores",
    "causal_mask",
    "count_parameters",
    "head_weights",
    "init_mha_weights",
    "mask_scores",
    "masked_softmax",
    "merge_heads",
    "multi_head_attention",
    "naive_softmax",
    "output_weights_per_head",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
    "step_values",
    # data
    "DATA_DIR",
    "embed",
    "embedding_sizes",
    "EMBEDDINGS_PATTERN",
    "ENV_VAR",
    "get_sentence",
    "load_embeddings",
    "load_sentences",
    "load_vocab",
    "load_worked_example",
    "Relationship",
    "Sentence",
    "SENTENCES_FILE",
    "TOKEN_PATTERN",
    "tokenize",
    "VOCAB_FILE",
    "WORKED_EXAMPLE_FILE",
    "WorkedExample",
    # environment
    "check_environment",
    "environment_ok",
    "MIN_PYTHON",
    "REQUIREMENTS",
    "version_at_least",
    *_LAZY,
]


def __getattr__(name):
    """Load a name of show/, lessons/ or checks/ on first use (PEP 562), so numpy alone imports helpers."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
