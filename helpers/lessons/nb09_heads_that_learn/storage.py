"""Notebook 09: saving and loading the trained model (.npz, never pickle) and the other models of section 8.

The task, the model and its training are in model.py; this file stores what train() returns.
"""

import hashlib
import json
import os
import zipfile

import numpy as np

from ... import data as _data
from ..._validate import check_training_config, check_weights
from .model import ANSWERS, COLOURS, PARAM_NAMES, VARIANTS_FILE, VOCAB, WEIGHTS_FILE, Config, TrainedModel, train

__all__ = [
    "load_variants",
    "load_weights",
    "param_shapes",
    "save_variants",
    "save_weights",
    "stored_variants_path",
    "stored_weights_path",
    "train_variants",
    "variant_configs",
    "weights_checksum",
]


# ---------------------------------------------------------------- saving and loading (.npz, never pickle)


def weights_checksum(params):
    """First 16 hex digits of the SHA-256 of the weights' float64 bytes, in PARAM_NAMES order (notebook 09)."""
    digest = hashlib.sha256()
    for k in PARAM_NAMES:
        digest.update(np.ascontiguousarray(params[k], dtype="<f8").tobytes())
    return digest.hexdigest()[:16]


def save_weights(path, model):
    """Save a TrainedModel to `path` as .npz: the weights, the loss history, the config as JSON (notebook 09)."""
    if not isinstance(model, TrainedModel):
        raise ValueError(f"save_weights expects a TrainedModel (from train or load_weights), "
                         f"got {type(model).__name__}")
    np.savez(path, **_model_arrays(model, f"the model to save to {path}"))


def stored_weights_path():
    """Where the trained weights of notebook 09 live: trained_heads.npz in the series' data folder (notebook 09)."""
    return _data.DATA_DIR / WEIGHTS_FILE


def load_weights(path=None):
    """Load a TrainedModel saved by save_weights (default: stored_weights_path()), allow_pickle=False (notebook 09).

    A file that is not what save_weights writes raises ValueError naming the file and the problem.
    """
    path = os.fspath(stored_weights_path() if path is None else path)
    return _model_from_arrays(_read_npz(path), path)


def _read_npz(path):
    """All arrays of a .npz file as a dict, read without pickle; ValueError/FileNotFoundError naming the file."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file; train the model (TRAIN = True in notebook 09) and save it")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{path}: holds a single array, not a .npz archive of named arrays")
        with npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as err:
        if str(err).startswith(path):
            raise
        raise ValueError(f"{path}: cannot be read without pickle ({err})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({err})") from None


def _model_from_arrays(arrays, where):
    """A checked TrainedModel from the arrays save_weights writes, or ValueError naming `where` and the problem."""
    expected = set(PARAM_NAMES) | {"loss_history", "config_json"}
    missing = sorted(expected - set(arrays))
    if missing:
        raise ValueError(f"{where}: missing array(s) {missing}; it holds {sorted(arrays)}")
    extra = sorted(set(arrays) - expected)
    if extra:
        raise ValueError(f"{where}: unexpected array(s) {extra}; expected exactly {sorted(expected)}")
    raw = arrays["config_json"]
    if raw.dtype.kind != "U" or raw.shape != ():
        raise ValueError(f"{where}: config_json must be a 0-d text array, got dtype {raw.dtype} and shape {raw.shape}")
    try:
        fields = json.loads(str(raw))
        config = Config(**fields)
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"{where}: config_json is not a valid Config ({err})") from None
    try:
        config = check_training_config(config, Config)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    params = {k: arrays[k] for k in PARAM_NAMES}
    check_weights(params, param_shapes(config), where, _sizes(config))
    history = arrays["loss_history"]
    if history.shape != (config.steps, len(ANSWERS)) or history.dtype.kind != "f" or not np.isfinite(history).all():
        raise ValueError(
            f"{where}: loss_history must hold finite floats of shape ({config.steps}, {len(ANSWERS)}) "
            "(one loss per step and answer), "
            f"got dtype {history.dtype} and shape {history.shape}"
        )
    return TrainedModel({k: v.astype(np.float64) for k, v in params.items()}, config, history.astype(np.float64))


# ---------------------------------------------------------------- the other models of section 8 (notebook 09)


def variant_configs():
    """The models notebook 09 compares with the stored one, name -> Config: other seeds, 4 heads, 1 head (notebook 09).

    The one-head models keep d_model = 16, so their single head (d_head = 16) has exactly as
    many weights as the two heads of the main model together: a controlled comparison.
    """
    return {
        "seed1": Config(seed=1),
        "seed2": Config(seed=2),
        "seed3": Config(seed=3),
        "four_heads": Config(n_heads=4),
        "one_head": Config(n_heads=1),
        "one_head_seed1": Config(n_heads=1, seed=1),
        "one_head_600_steps": Config(n_heads=1, steps=600),
    }


def train_variants():
    """Train every model of variant_configs() from scratch (a few seconds): name -> TrainedModel (notebook 09)."""
    return {name: train(config) for name, config in variant_configs().items()}


def _model_arrays(model, where):
    """The arrays save_weights writes for one TrainedModel, checked."""
    if not isinstance(model, TrainedModel):
        raise ValueError(f"{where}: expected a TrainedModel (from train or load_weights), got {type(model).__name__}")
    c = check_training_config(model.config, Config)
    check_weights(model.params, param_shapes(c), where, _sizes(c))
    arrays = {k: np.asarray(model.params[k], dtype=np.float64) for k in PARAM_NAMES}
    arrays["loss_history"] = np.asarray(model.loss_history, dtype=np.float64)
    if arrays["loss_history"].shape != (c.steps, len(ANSWERS)):
        raise ValueError(
            f"{where}: loss_history has shape {arrays['loss_history'].shape}, "
            f"expected ({c.steps}, {len(ANSWERS)}) for config.steps = {c.steps}"
        )
    arrays["config_json"] = np.array(json.dumps(c._asdict(), sort_keys=True))  # a 0-d unicode array, not an object
    return arrays


def save_variants(path, models):
    """Save several TrainedModels in one .npz, array "name__E_tok" etc. for each name (notebook 09)."""
    if not isinstance(models, dict) or not models:
        raise ValueError(f"save_variants expects a non-empty dict name -> TrainedModel, got {models!r:.60}")
    arrays = {}
    for name, model in models.items():
        if not isinstance(name, str) or not name.isidentifier() or "__" in name:
            raise ValueError(f"model name {name!r}: use letters, digits and single underscores only")
        for key, value in _model_arrays(model, f"the model {name!r} to save to {path}").items():
            arrays[f"{name}__{key}"] = value
    np.savez(path, **arrays)


def stored_variants_path():
    """Where the other models of notebook 09 section 8 live: data/trained_heads_variants.npz (notebook 09)."""
    return _data.DATA_DIR / VARIANTS_FILE


def load_variants(path=None):
    """Load the models saved by save_variants (default: stored_variants_path()): name -> TrainedModel (notebook 09)."""
    path = os.fspath(stored_variants_path() if path is None else path)
    grouped = {}
    for key, value in _read_npz(path).items():
        name, sep, field = key.partition("__")
        if not sep or not name or not field:
            raise ValueError(f"{path}: array {key!r} is not named 'model__array' as save_variants writes")
        grouped.setdefault(name, {})[field] = value
    return {name: _model_from_arrays(arrays, f"{path} (model {name!r})") for name, arrays in grouped.items()}


def param_shapes(config):
    """The shape of every weight for a Config: {"E_tok": (17, d_model), …} (notebook 09)."""
    c = check_training_config(config, Config)
    n_out = len(ANSWERS) * len(COLOURS)
    d = c.d_model
    return {"E_tok": (len(VOCAB), d), "E_pos": (c.T, d), "W_q": (d, d), "W_k": (d, d), "W_v": (d, d),
            "W_o": (d, d), "W_r": (d, n_out), "b_r": (n_out,)}


def _sizes(config):
    """What the weights' shapes follow from, for an error message."""
    return f"d_model = {config.d_model}, T = {config.T}, vocabulary {len(VOCAB)}"
