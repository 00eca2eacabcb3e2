"""helpers: the small numpy package behind the multi-head self-attention series.

Notebooks write `import helpers`, then `helpers.X` for every name below (one import style).
The map (helpers/README.md has the table notebook -> modules):

    core.py        the slides' pipeline, numpy only: softmax, scores, masks, attention, heads, W_O
    _validate.py   every input check (ValueErrors naming the shapes)
    data.py        sentences, vocabulary, embeddings, the worked example (data/)
    environment.py the set-up check of notebook 00
    show/          style, figures, diagrams, tables (matplotlib)
    lessons/       nbNN_<notebook>.py (or package nbNN_<notebook>/): code that serves one notebook
    checks/        nbNN_<notebook>.py: the "check yourself" exercise checkers

Imports go one way: _validate <- core <- show <- lessons <- checks (data, environment: leaves).
`import helpers` needs numpy only: core, data and environment load now; the names of show/,
lessons/ and checks/ load on first use (module __getattr__ below), so matplotlib and ipywidgets
are imported only by the code that draws.
"""

import importlib

from . import core, data, environment

# core, data and environment load now (numpy only): each of their __all__ names is helpers.X
for _module in (core, data, environment):
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})

__version__ = "0.1.0"

# The names of show/, lessons/ and checks/, by module; each loads on first use (see __getattr__).
# tests/test_public_api.py checks that these lists are the modules' __all__.
_LAZY_MODULES = {
    "show.style": (
        "CLASSROOM_RC DIVERGING_CMAPS FONT_SIZE LABEL_SIZE OKABE_ITO SUPTITLE_SIZE TICK_SIZE TITLE_SIZE "
        "MAX_FIGURE_WIDTH MAX_HEATMAP_HEIGHT fit_figsize format_number format_vector ink_for "
        "symmetric_limit text_colour use_classroom_style"
    ),
    "show.figures": "plot_attention plot_heads plot_heatmap plot_weights_bar",
    "show.diagrams": (
        "ROADMAP plot_concat_shapes plot_matrix_product plot_roadmap plot_sentence_links "
        "plot_transformer_block"
    ),
    "show.tables": (
        "FIT_WIDTH_PX STEPS Table matrix_table qkv_table scaled_header step_table table_min_width_px "
        "text_width_px"
    ),
    "show.live": "LiveBars LiveFigure LiveHeatmap live_fonts",
    "lessons.nb03_scores_and_scaling": (
        "key_labels live_scaling_view live_temperature_view NAIVE_TITLE plot_jacobians "
        "plot_naive_vs_stable plot_saturation plot_scaling_view plot_score_variance plot_softmax_rows "
        "plot_temperature plot_temperatures random_query_keys RAW_COLOUR SATURATED Saturation "
        "saturation_curve SCALED_COLOUR scaling_demo ScalingDemo score_samples score_variance "
        "ScoreVariance softmax_jacobian STABLE_TITLE temperature_softmax"
    ),
    "lessons.nb05_weighted_sum": "live_query_view",
    "lessons.nb06_causal_attention": (
        "CONVENTIONS live_mask_view mask_as mask_from mask_view masked_attention ORDERS "
        "softmax_then_mask"
    ),
    "lessons.nb07_eight_heads": (
        "head_attention head_contributions head_counts head_explorer heads_config heads_count_explorer "
        "heads_table HeadsConfig HeadView shape_walk shape_walk_table show_head Step top_attended "
        "top_attended_table"
    ),
    "lessons.nb09_heads_that_learn": (
        "ablation ablation_report accuracy adam_step answer_losses ANSWERS attention_by_distance "
        "attention_on_targets backward COLOURS Config cross_entropy example_attention forward "
        "head_mask_without head_roles init_params live_example_view load_variants load_weights "
        "loss_and_grads make_task N_ITEMS PAD PAD_ID PARAM_NAMES param_shapes predict question_attention "
        "save_variants save_weights SHAPES softmax_backward stored_variants_path stored_weights_path "
        "TaskData token_labels train train_variants train_with_progress TrainedModel variant_configs "
        "VARIANTS_FILE VOCAB weights_checksum WEIGHTS_FILE"
    ),
    "lessons.nb10_transformer_block": (
        "add_and_norm BlockWeights decoder_block encoder_block feed_forward init_block_weights "
        "layer_norm live_swap_view permutation_gap positional_encoding relu swap_gaps"
    ),
    "lessons.nb11_cost_of_attention": (
        "attention_memory_bytes blocked_attention live_memory_view online_softmax peak_memory "
        "running_max_and_sum time_it timed"
    ),
    "lessons.nb12_heads_of_a_real_model": (
        "ARC_THRESHOLD CACHE_SIZE KEY_ROLES MODEL_DIR_NAME PRETRAINED_SHA256 HeadFigure LayerWeights "
        "PretrainedEncoder PronounItem RunResult draw_head draw_head_roles encoder_layer expected_shapes gelu "
        "key_role_shares load_pretrained load_pronoun_eval pretrained_explorer pronoun_baselines "
        "pronoun_head_scores rank_heads token_index word_token_indices"
    ),
    "checks.nb01_embeddings": "check_x_shape",
    "checks.nb02_queries_keys_values": "check_qkv",
    "checks.nb03_scores_and_scaling": "check_scaled_scores",
    "checks.nb04_softmax": "check_softmax",
    "checks.nb05_weighted_sum": "check_attention",
    "checks.nb06_causal_attention": "check_causal_mask",
    "checks.nb07_eight_heads": "check_split_heads",
    "checks.nb08_concat_and_output_projection": "check_multi_head_attention",
    "checks.nb09_heads_that_learn": "check_softmax_backward",
    "checks.nb10_transformer_block": "check_layer_norm",
    "checks.nb11_cost_of_attention": "check_online_softmax",
    "checks.nb12_heads_of_a_real_model": "check_plug_in",
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names.split()}

__all__ = [
    *core.__all__,
    *data.__all__,
    *environment.__all__,
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
