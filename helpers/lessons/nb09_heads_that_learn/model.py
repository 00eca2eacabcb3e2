"""A tiny multi-head attention model trained in numpy with hand-written gradients (notebook 09).

The task ("two questions, one answer slot"). A sequence is a row of coloured shapes followed by
a question token, e.g.

    red ●   blue ■   green ▲   red ■   ?▲          (the question "?▲" is always the last token)

At the question the model answers two things at once:
    answer 0, "previous token": the colour of the token just before the question     (red)
    answer 1, "same shape":     the colour of the earlier token with the asked shape (green)
The first needs a relationship by position (the neighbour), the second a relationship by
content (the token that matches the question). Sequences have T_len = 5 … 8 tokens, so "the
token just before the question" is not at a fixed place; padding after the question is never
looked at (causal mask). Chance is 1/3 per answer.

The model, in the series' glossary (one layer, no residual, no layer norm, no feed-forward):
    X = E_tok[tokens] + E_pos                    (B, T, d_model)
    Q = X W_q, K = X W_k, V = X W_v              (B, T, d_model) -> heads (B, n_heads, T, d_head)
    S = Q_h K_hᵀ / √d_head, masked causally      (B, n_heads, T, T)
    A = softmax(S), Z_h = A V_h                  (B, n_heads, T, d_head)
    Z = concat(Z_0 … Z_{h-1}) W_o                (B, T, d_model)
    logits = Z[question] W_r + b_r               (B, 2 answers, 3 colours)
Training: cross-entropy averaged over examples and both answers, Adam written by hand on fresh
seeded mini-batches (step k trains on make_task(batch, seed=(data_seed, k))), in float64 so that
finite differences and repeated runs agree to the last bit.
"""

import math
import time
from typing import NamedTuple

import numpy as np

from ..._validate import check_model_inputs, check_positive_int, check_training_config
from ...core import causal_mask, init_mha_weights, merge_heads, scaled_dot_product_attention, split_heads

__all__ = [
    "ablation",
    "ablation_report",
    "accuracy",
    "adam_step",
    "answer_losses",
    "ANSWERS",
    "attention_by_distance",
    "attention_on_targets",
    "backward",
    "COLOURS",
    "Config",
    "cross_entropy",
    "example_attention",
    "forward",
    "head_mask_without",
    "head_roles",
    "init_params",
    "live_example_view",
    "loss_and_grads",
    "make_task",
    "N_ITEMS",
    "PAD",
    "PAD_ID",
    "PARAM_NAMES",
    "predict",
    "question_attention",
    "SHAPES",
    "softmax_backward",
    "TaskData",
    "token_labels",
    "train",
    "train_with_progress",
    "TrainedModel",
    "VARIANTS_FILE",
    "VOCAB",
    "WEIGHTS_FILE",
]

# ---------------------------------------------------------------- the task

COLOURS = ("red", "green", "blue")
SHAPES = ("●", "■", "▲", "★")
ANSWERS = ("previous token", "same shape")  # the two relationships, in the order of the answers
PAD = "·"
N_ITEMS = len(COLOURS) * len(SHAPES)  # 12 coloured shapes: id = shape * 3 + colour
VOCAB = tuple(f"{c} {s}" for s in SHAPES for c in COLOURS) + tuple(f"?{s}" for s in SHAPES) + (PAD,)
PAD_ID = len(VOCAB) - 1
PARAM_NAMES = ("E_tok", "E_pos", "W_q", "W_k", "W_v", "W_o", "W_r", "b_r")
WEIGHTS_FILE = "trained_heads.npz"  # in the series' data folder (helpers.DATA_DIR)
VARIANTS_FILE = "trained_heads_variants.npz"  # the other models of notebook 09, section 8


class TaskData(NamedTuple):
    """A batch of the two-questions task: token ids, lengths, where the match is, and the answers."""

    tokens: np.ndarray  # (B, T) int: coloured shapes, the question at lengths - 1, then padding
    lengths: np.ndarray  # (B,) int: T_len of each sequence, question included
    asked: np.ndarray  # (B,) int: the shape the question asks about
    match_pos: np.ndarray  # (B,) int: position of the earlier token with that shape
    targets: np.ndarray  # (B, 2) int: colour of the previous token, colour of the same-shape token


def make_task(n, seed=0, T=8, min_len=5):
    """n seeded sequences of the two-questions task, each T_len = min_len … T tokens long (notebook 09).

    `seed` is anything np.random.default_rng accepts (an int, or a tuple such as (1, step)).
    The asked shape appears exactly once before the question, never right before it (so the two
    answers come from two different tokens); every other token has another shape; colours are
    uniform. Returns TaskData.
    """
    n, T, min_len = (check_positive_int(v, name) for v, name in ((n, "n"), (T, "T"), (min_len, "min_len")))
    if not 4 <= min_len <= T:
        raise ValueError(f"need 4 ≤ min_len ≤ T so that both answers exist, got min_len = {min_len}, T = {T}")
    rng = np.random.default_rng(seed)
    n_s, n_c = len(SHAPES), len(COLOURS)
    lengths = rng.integers(min_len, T + 1, size=n)  # (n,)
    asked = rng.integers(0, n_s, size=n)  # (n,)
    match_pos = np.floor(rng.random(n) * (lengths - 2)).astype(np.int64)  # (n,) in 0 … T_len - 3
    colours = rng.integers(0, n_c, size=(n, T))  # (n, T)
    other = rng.integers(0, n_s - 1, size=(n, T))  # (n, T): one of the three other shapes …
    shapes = other + (other >= asked[:, None])  # … skipping the asked one
    pos = np.arange(T)  # (T,)
    shapes = np.where(pos == match_pos[:, None], asked[:, None], shapes)  # (n, T)
    tokens = shapes * n_c + colours  # (n, T): item ids
    q = lengths - 1  # (n,): where the question stands
    tokens = np.where(pos == q[:, None], N_ITEMS + asked[:, None], tokens)
    tokens = np.where(pos > q[:, None], PAD_ID, tokens)
    rows = np.arange(n)
    targets = np.stack([colours[rows, q - 1], colours[rows, match_pos]], axis=1)  # (n, 2)
    return TaskData(tokens.astype(np.int64), lengths.astype(np.int64), asked.astype(np.int64),
                    match_pos, targets.astype(np.int64))


def token_labels(tokens, length=None):
    """The words of one sequence of ids, e.g. ['red ●', 'blue ■', '?●'], cut at `length` (notebook 09)."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ValueError(f"token_labels expects one sequence (1-D ids), got shape {tokens.shape}")
    if length is not None:
        tokens = tokens[:length]
    return [VOCAB[int(t)] for t in tokens]


# ---------------------------------------------------------------- the model


class Config(NamedTuple):
    """Sizes and training settings of the tiny model; stored with its weights (notebook 09)."""

    d_model: int = 16
    n_heads: int = 2
    T: int = 8
    min_len: int = 5
    batch: int = 128  # fresh sequences per step
    steps: int = 200
    lr: float = 0.02
    seed: int = 0  # initial weights
    data_seed: int = 1  # step k trains on make_task(batch, seed=(data_seed, k)); test sets use other seeds


def init_params(config=Config(), dtype=np.float64):
    """Seeded, untrained weights of the tiny model as a dict name -> array (notebook 09).

    W_q, W_k, W_v, W_o come from helpers.init_mha_weights; embeddings are N(0, 1); the readout
    W_r is Glorot-scaled and b_r starts at 0.
    """
    c = check_training_config(config, Config)
    n_out = len(ANSWERS) * len(COLOURS)
    mha = init_mha_weights(c.d_model, c.n_heads, seed=c.seed, dtype=dtype)
    rng = np.random.default_rng(c.seed + 1)
    limit = math.sqrt(6.0 / (c.d_model + n_out))
    params = {
        "E_tok": rng.standard_normal((len(VOCAB), c.d_model)),
        "E_pos": rng.standard_normal((c.T, c.d_model)),
        "W_q": mha.W_q, "W_k": mha.W_k, "W_v": mha.W_v, "W_o": mha.W_o,
        "W_r": rng.uniform(-limit, limit, size=(c.d_model, n_out)),
        "b_r": np.zeros(n_out),
    }
    return {k: np.asarray(params[k], dtype=dtype) for k in PARAM_NAMES}


def forward(params, tokens, lengths, n_heads, head_mask=None):
    """Logits (B, 2, 3) at the question token, and a cache for `backward` (notebook 09).

    1. X = E_tok[tokens] + E_pos                          x_i = token embedding + position embedding
    2. Q = X W_q, K = X W_k, V = X W_v, split into heads  q_i = x_i W_Q^h, k_j = x_j W_K^h, v_j = x_j W_V^h
    3. S = Q_h K_hᵀ / √d_head, -inf where j > i           s_ij = q_i · k_j / √d_k
    4. A = softmax(S) along the keys j                    a_ij = exp(s_ij) / Σ_j' exp(s_ij')
    5. Z_h = A V_h, times head_mask[h] (0 = head removed) z_i = Σ_j a_ij v_j
    6. Z = concat(Z_0 … Z_{h-1}) W_o                      Z_f = concat(Z_0 … Z_7) W_O
    7. z_q = Z[b, lengths_b - 1]                          the question token's output row
    8. logits = z_q W_r + b_r, reshaped (B, 2 answers, 3 colours)
    """
    tokens, lengths, head_mask = check_model_inputs(params, PARAM_NAMES, tokens, lengths, n_heads, head_mask)
    E_tok, E_pos, W_q, W_k, W_v, W_o, W_r, b_r = (params[k] for k in PARAM_NAMES)
    B, T = tokens.shape
    X = E_tok[tokens] + E_pos[:T]  # (B, T, d_model) + (T, d_model) -> (B, T, d_model)
    Q = X @ W_q  # (B, T, d_model) @ (d_model, d_model) -> (B, T, d_model)
    K = X @ W_k  # (B, T, d_model)
    V = X @ W_v  # (B, T, d_model)
    Qh, Kh, Vh = split_heads(Q, n_heads), split_heads(K, n_heads), split_heads(V, n_heads)  # (B, n_heads, T, d_head)
    # steps 3-5 are the core's attention: S = Q_h K_hᵀ / √d_head, causal mask, softmax, Z_h = A V_h
    Zh, A = scaled_dot_product_attention(Qh, Kh, Vh, mask=causal_mask(T))  # (B, n_heads, T, d_head), (B, n_heads, T, T)
    if head_mask is not None:
        head_mask = head_mask.astype(Zh.dtype)
        Zh = Zh * head_mask[:, None, None]  # (n_heads, 1, 1) broadcast over (B, n_heads, T, d_head)
    C = merge_heads(Zh)  # (B, n_heads, T, d_head) -> (B, T, d_model): Z_0 … Z_{h-1} side by side
    Z = C @ W_o  # (B, T, d_model) @ (d_model, d_model) -> (B, T, d_model)
    rows = np.arange(B)
    z_q = Z[rows, lengths - 1]  # (B, d_model): the question token's row
    logits = z_q @ W_r + b_r  # (B, d_model) @ (d_model, 6) -> (B, 6)
    logits = logits.reshape(B, len(ANSWERS), -1)  # (B, 2, 3)
    cache = dict(tokens=tokens, lengths=lengths, n_heads=n_heads, head_mask=head_mask,
                 X=X, Qh=Qh, Kh=Kh, Vh=Vh, A=A, C=C, z_q=z_q)
    return logits, cache


def _log_probs(logits, targets):
    """log p of the right colour, (B, n_answers), and p itself (B, n_answers, n_colours)."""
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits of shape {logits.shape} need targets of shape {logits.shape[:-1]}, "
                         f"got {targets.shape}")
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (B, 2, 3)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (B, 2, 3)
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]  # (B, 2)
    return picked, np.exp(log_p)


def cross_entropy(logits, targets):
    """Mean cross-entropy over examples and answers, and its gradient dlogits (notebook 09).

    loss = -(1 / (B·n_answers)) Σ_b Σ_a log p[b, a, y_ba],  p = softmax(logits) over the colours;
    dlogits = (p - onehot(y)) / (B·n_answers).
    """
    picked, p = _log_probs(logits, targets)
    n = picked.size
    onehot = np.arange(p.shape[-1]) == np.asarray(targets)[..., None]  # (B, 2, 3) bool
    return float(-picked.sum() / n), (p - onehot) / n


def answer_losses(logits, targets):
    """Cross-entropy of each answer on its own, averaged over examples: (n_answers,) (notebook 09)."""
    picked, _ = _log_probs(logits, targets)
    return -picked.mean(axis=0)  # (2,)


def softmax_backward(A, dA):
    """dS from dA through A = softmax(S) along the last axis: dS = A ⊙ (dA − Σ_j dA ⊙ A) (notebook 09).

    Row by row, ∂a_j/∂s_k = a_j (δ_jk − a_k), so dS_k = Σ_j dA_j a_j (δ_jk − a_k)
    = a_k (dA_k − Σ_j dA_j a_j). Masked entries have a_j = 0, hence dS_j = 0.
    """
    return A * (dA - (dA * A).sum(axis=-1, keepdims=True))  # (..., T) * ((..., T) - (..., 1))


def backward(params, cache, dlogits):
    """Gradients of the loss for every parameter, layer by layer, forward's steps in reverse (notebook 09).

    8. logits = z_q W_r + b_r    ->  dW_r = z_qᵀ dlogits,  db_r = Σ_b dlogits,  dz_q = dlogits W_rᵀ
    7. z_q = Z[b, L_b - 1]       ->  dZ = 0 except dZ[b, L_b - 1] = dz_q
    6. Z = C W_o                 ->  dW_o = Σ_b C_bᵀ dZ_b,  dC = dZ W_oᵀ
    5. C = concat(Z_h) (·mask)   ->  dZ_h = split(dC) (· head_mask[h])
       Z_h = A V_h               ->  dA = dZ_h V_hᵀ,  dV_h = Aᵀ dZ_h
    4. A = softmax(S)            ->  dS = A ⊙ (dA − Σ_j dA ⊙ A)
    3. S = Q_h K_hᵀ / √d_head    ->  dQ_h = dS K_h / √d_head,  dK_h = dSᵀ Q_h / √d_head
    2. Q = X W_q (K, V alike)    ->  dW_q = Σ_b X_bᵀ dQ_b,  dX = dQ W_qᵀ + dK W_kᵀ + dV W_vᵀ
    1. X = E_tok[tokens] + E_pos ->  dE_pos[t] = Σ_b dX[b, t],  dE_tok[v] = Σ_{(b,t): token v} dX[b, t]
    """
    E_tok, E_pos, W_q, W_k, W_v, W_o, W_r, b_r = (params[k] for k in PARAM_NAMES)
    tokens, lengths, n_heads = cache["tokens"], cache["lengths"], cache["n_heads"]
    X, Qh, Kh, Vh, A, C, z_q = (cache[k] for k in ("X", "Qh", "Kh", "Vh", "A", "C", "z_q"))
    B, T, d_model = X.shape
    d_head = d_model // n_heads
    grads = {}
    # 8. readout
    dlog = dlogits.reshape(B, -1)  # (B, 2, 3) -> (B, 6)
    grads["W_r"] = z_q.T @ dlog  # (d_model, B) @ (B, 6) -> (d_model, 6)
    grads["b_r"] = dlog.sum(axis=0)  # (6,)
    dz_q = dlog @ W_r.T  # (B, 6) @ (6, d_model) -> (B, d_model)
    # 7. pick the question token
    dZ = np.zeros((B, T, d_model), dtype=X.dtype)
    dZ[np.arange(B), lengths - 1] = dz_q  # (B, T, d_model)
    # 6. output projection W_o
    grads["W_o"] = C.reshape(B * T, d_model).T @ dZ.reshape(B * T, d_model)  # (d_model, B·T) @ (B·T, d_model)
    dC = dZ @ W_o.T  # (B, T, d_model) @ (d_model, d_model) -> (B, T, d_model)
    # 5. concat and the weighted sum
    dZh = split_heads(dC, n_heads)  # (B, T, d_model) -> (B, n_heads, T, d_head)
    if cache["head_mask"] is not None:
        dZh = dZh * cache["head_mask"][:, None, None]  # a removed head gets no gradient
    dA = dZh @ np.swapaxes(Vh, -1, -2)  # (B, n_heads, T, d_head) @ (B, n_heads, d_head, T) -> (B, n_heads, T, T)
    dVh = np.swapaxes(A, -1, -2) @ dZh  # (B, n_heads, T, T) @ (B, n_heads, T, d_head) -> (B, n_heads, T, d_head)
    # 4. softmax
    dS = softmax_backward(A, dA)  # (B, n_heads, T, T), 0 where masked
    # 3. scaled scores
    scale = 1.0 / math.sqrt(d_head)
    dQh = (dS @ Kh) * scale  # (B, n_heads, T, T) @ (B, n_heads, T, d_head) -> (B, n_heads, T, d_head)
    # (B, n_heads, T, T) @ (B, n_heads, T, d_head) -> (B, n_heads, T, d_head)
    dKh = (np.swapaxes(dS, -1, -2) @ Qh) * scale
    # 2. projections
    X2 = X.reshape(B * T, d_model)  # (B·T, d_model)
    dX = np.zeros_like(X)
    for name, W, dMh in (("W_q", W_q, dQh), ("W_k", W_k, dKh), ("W_v", W_v, dVh)):
        dM = merge_heads(dMh)  # (B, n_heads, T, d_head) -> (B, T, d_model)
        grads[name] = X2.T @ dM.reshape(B * T, d_model)  # (d_model, B·T) @ (B·T, d_model) -> (d_model, d_model)
        dX += dM @ W.T  # (B, T, d_model) @ (d_model, d_model) -> (B, T, d_model)
    # 1. embeddings
    grads["E_pos"] = np.zeros_like(E_pos)
    grads["E_pos"][:T] = dX.sum(axis=0)  # (T, d_model)
    grads["E_tok"] = np.zeros_like(E_tok)
    np.add.at(grads["E_tok"], tokens.reshape(-1), dX.reshape(B * T, d_model))  # (V, d_model)
    return {k: grads[k] for k in PARAM_NAMES}


def loss_and_grads(params, data, n_heads, head_mask=None):
    """(loss, grads) of the model on a TaskData batch: forward, cross_entropy, backward (notebook 09)."""
    logits, cache = forward(params, data.tokens, data.lengths, n_heads, head_mask)
    loss, dlogits = cross_entropy(logits, data.targets)
    return loss, backward(params, cache, dlogits)


# ---------------------------------------------------------------- training


class TrainedModel(NamedTuple):
    """Weights, the Config they were trained with, and each answer's loss at every step, (steps, 2) (notebook 09)."""

    params: dict
    config: Config
    loss_history: np.ndarray


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update in place: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², p ← p − lr m̂ / (√v̂ + ε) (notebook 09)."""
    state["t"] += 1
    t = state["t"]
    c1 = 1.0 - beta1**t
    c2 = 1.0 - beta2**t
    for k in PARAM_NAMES:
        g = grads[k]
        m = state["m"][k]
        v = state["v"][k]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        params[k] -= lr * (m / c1) / (np.sqrt(v / c2) + eps)


def train(config=Config(), on_step=None, every=10):
    """Train the tiny model from scratch, deterministically: Adam on fresh seeded mini-batches (notebook 09).

    Step k draws make_task(config.batch, seed=(config.data_seed, k)), so no sequence is reused.
    `on_step(step, steps, loss)` is called every `every` steps and after the last one (the
    notebook's progress bar); it must not change anything. Returns TrainedModel, whose
    loss_history (steps, 2) holds each answer's loss before each step's update.
    """
    c = check_training_config(config, Config)
    every = check_positive_int(every, "every")
    params = init_params(c)
    state = {"t": 0, "m": {k: np.zeros_like(p) for k, p in params.items()},
             "v": {k: np.zeros_like(p) for k, p in params.items()}}
    history = np.zeros((c.steps, len(ANSWERS)))
    for step in range(c.steps):
        batch = make_task(c.batch, seed=(c.data_seed, step), T=c.T, min_len=c.min_len)
        logits, cache = forward(params, batch.tokens, batch.lengths, c.n_heads)
        loss, dlogits = cross_entropy(logits, batch.targets)
        history[step] = answer_losses(logits, batch.targets)
        grads = backward(params, cache, dlogits)
        adam_step(params, grads, state, c.lr)
        if on_step is not None and ((step + 1) % every == 0 or step + 1 == c.steps):
            on_step(step + 1, c.steps, loss)
    return TrainedModel(params, c, history)


def train_with_progress(config=Config(), every=10):
    """`train`, with an ipywidgets progress bar showing the step and the loss (notebook 09)."""
    import ipywidgets as widgets  # only here: the rest of this module needs no widgets
    from IPython.display import display

    c = check_training_config(config, Config)
    bar = widgets.FloatProgress(value=0, min=0, max=c.steps, description="training")
    status = widgets.Label()
    display(widgets.HBox([bar, status]))

    def show(step, steps, loss):
        bar.value = step
        status.value = f"step {step} / {steps}   loss {loss:.4f}"

    start = time.perf_counter()
    model = train(c, on_step=show, every=every)
    status.value += f"   ({time.perf_counter() - start:.1f} s)"
    return model


# ---------------------------------------------------------------- what the trained model does


def predict(params, data, n_heads, head_mask=None):
    """The predicted colours (B, 2): answer 0 "previous token", answer 1 "same shape" (notebook 09)."""
    logits, _ = forward(params, data.tokens, data.lengths, n_heads, head_mask)
    return logits.argmax(axis=-1)  # (B, 2)


def accuracy(params, data, n_heads, head_mask=None):
    """Fraction correct per answer and for both: {"previous token": …, "same shape": …, "both": …} (notebook 09)."""
    correct = predict(params, data, n_heads, head_mask) == data.targets  # (B, 2)
    out = {name: float(correct[:, a].mean()) for a, name in enumerate(ANSWERS)}
    out["both"] = float(correct.all(axis=1).mean())
    return out


def head_mask_without(n_heads, removed):
    """A head mask of ones with a 0 for each head in `removed` (None or [] removes nothing) (notebook 09)."""
    mask = np.ones(n_heads)
    for r in [] if removed is None else np.atleast_1d(removed):
        if not 0 <= int(r) < n_heads:
            raise ValueError(f"cannot remove head {r}: heads are 0 … {n_heads - 1}")
        mask[int(r)] = 0.0
    return mask


def question_attention(params, data, n_heads):
    """A from the question token, (B, n_heads, T): where each head looks when the question asks (notebook 09)."""
    _, cache = forward(params, data.tokens, data.lengths, n_heads)
    B = data.tokens.shape[0]
    return cache["A"][np.arange(B), :, data.lengths - 1]  # (B, n_heads, T)


def attention_by_distance(params, data, n_heads):
    """Attention from the question to the token k = 1 … T-1 steps back, (B, n_heads, T-1) (notebook 09).

    NaN where the sequence is shorter than k + 1 tokens.
    """
    Aq = question_attention(params, data, n_heads)  # (B, n_heads, T)
    B, _, T = Aq.shape
    q = data.lengths - 1  # (B,)
    back = q[:, None] - np.arange(1, T)  # (B, T-1): position of the token k steps back
    rows = np.arange(B)[:, None]  # (B, 1)
    out = Aq[rows, :, np.clip(back, 0, None)]  # (B, T-1, n_heads)
    out = np.where((back >= 0)[..., None], out, np.nan)  # no token that far back
    return np.swapaxes(out, 1, 2)  # (B, T-1, n_heads) -> (B, n_heads, T-1)


def example_attention(params, data, i, n_heads):
    """One example for a figure or widget: words, A (n_heads, T_len, T_len), predicted colours (2,) (notebook 09)."""
    B = data.tokens.shape[0]
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < B:
        raise ValueError(f"example index must be an integer in 0 … {B - 1}, got {i!r}")
    L = int(data.lengths[i])
    one = TaskData(*(a[i:i + 1] for a in data))
    logits, cache = forward(params, one.tokens, one.lengths, n_heads)
    return token_labels(data.tokens[i], L), cache["A"][0, :, :L, :L], logits[0].argmax(axis=-1)


def attention_on_targets(params, data, n_heads):
    """Mean attention of each head's question row on the previous token, the same-shape token, the rest (notebook 09).

    Returns an array (n_heads, 3).
    """
    Aq = question_attention(params, data, n_heads)  # (B, n_heads, T)
    rows = np.arange(Aq.shape[0])
    on_prev = Aq[rows, :, data.lengths - 2]  # (B, n_heads)
    on_match = Aq[rows, :, data.match_pos]  # (B, n_heads)
    rest = 1.0 - on_prev - on_match
    return np.stack([on_prev.mean(0), on_match.mean(0), rest.mean(0)], axis=1)  # (n_heads, 3)


def ablation(params, data, n_heads):
    """Accuracy with nothing removed, then with each head removed: a list of (removed, accuracy dict) (notebook 09)."""
    rows = [(None, accuracy(params, data, n_heads))]
    for head in range(n_heads):
        rows.append((head, accuracy(params, data, n_heads, head_mask_without(n_heads, head))))
    return rows


def head_roles(params, data, n_heads, drop=0.25, keep=0.05, focus=0.5):
    """The relationship each head carries, read off the ablation and the attention (notebook 09).

    Head h carries answer a when removing it costs answer a at least `drop` accuracy, costs the
    other answer at most `keep`, and h puts at least `focus` of its question-row attention on
    that answer's token; otherwise its role is "unclear". Returns one string per head.
    """
    return ablation_report(params, data, n_heads, drop, keep, focus)["roles"]


def ablation_report(params, data, n_heads, drop=0.25, keep=0.05, focus=0.5):
    """ablation(), attention_on_targets() and head_roles() in one pass, each computed once (notebook 09).

    Returns {"ablation": the list ablation() returns, "attention": (n_heads, 3), "roles": [str] * n_heads}.
    """
    full, *removed = rows = ablation(params, data, n_heads)
    att = attention_on_targets(params, data, n_heads)  # (n_heads, 3)
    roles = []
    for h, (_, acc) in enumerate(removed):
        costs = [full[1][name] - acc[name] for name in ANSWERS]
        role = "unclear"
        for a, name in enumerate(ANSWERS):
            other = 1 - a
            if costs[a] >= drop and costs[other] <= keep and att[h, a] >= focus:
                role = name
        roles.append(role)
    return {"ablation": rows, "attention": att, "roles": roles}


def live_example_view(params, data, n_heads, example_control, head_control, width=520, height=440):
    """The explorer of notebook 09, redrawn in place.

    Head h's weights on test sequence i, and under them the answers and the model's prediction. The
    controls' values are i and h. Each sequence is run
    through the model once (moving back is instant). Returns the helpers.LiveFigure, connected.
    """
    import functools

    from ...show.live import LiveFigure, LiveHeatmap

    live = LiveFigure(width=width, height=height, text_lines=1)
    live.figure.subplots_adjust(left=0.2, right=0.85, bottom=0.15, top=0.93)
    heat = LiveHeatmap(live.figure.add_subplot(), xlabel="key word j", ylabel="query word i",
                       colorbar_label="weight", annotate_max=0, live=live)

    @functools.lru_cache(maxsize=64)
    def example(i):  # words, A (n_heads, T, T), predicted colours (2,)
        return example_attention(params, data, i, n_heads)

    def update(i, head):
        words, A, predicted = example(i)
        live.layout(i)  # ticks and labels depend on the sequence only: its background is kept
        heat.show(A[head], words, words, title=f"head {head}, sequence {i}")
        truth = [COLOURS[c] for c in data.targets[i]]
        guess = [COLOURS[c] for c in predicted]
        return f"answers: {truth}   predicted: {guess}"

    return live.connect(update, i=example_control, head=head_control)
