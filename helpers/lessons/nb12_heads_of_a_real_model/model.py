"""Notebook 12: a real pretrained encoder (all-MiniLM-L6-v2) run by the series' own numpy functions.

The model: 6 post-norm BERT layers, 12 heads each, d_model 384, d_head 32, d_ff 1536, a
WordPiece vocabulary of 30522 tokens and 512 learned positions. Its files are in
data/all-MiniLM-L6-v2/ (see data/README.md); nothing is downloaded.

    E = word[token] + position[i] + type[0];   X_0 = LayerNorm(E)
    for each layer:  Z = MultiHead(X) (with biases),  X' = LayerNorm(X + Z),
                     X  = LayerNorm(X' + GELU(X' W_1 + b_1) W_2 + b_2)

The file stores each linear layer as W (out, in) and computes x Wᵀ + b; the series computes
X @ W with W (in, out), so the loader keeps W.T (a view, no copy).
"""

import json
import math
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core import multi_head_attention
from ..data import DATA_DIR
from .nb10_transformer_block import layer_norm

__all__ = [
    "CACHE_SIZE",
    "KEY_ROLES",
    "MODEL_DIR_NAME",
    "PRETRAINED_SHA256",
    "LayerWeights",
    "PretrainedEncoder",
    "PronounItem",
    "RunResult",
    "draw_head",
    "draw_head_roles",
    "encoder_layer",
    "expected_shapes",
    "figure_png",
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

MODEL_DIR_NAME = "all-MiniLM-L6-v2"
CACHE_SIZE = 256  # run() remembers this many texts (the notebook runs the evaluation texts twice)
# SHA-256 of the files in data/all-MiniLM-L6-v2/, as data/make_pretrained.py writes them.
PRETRAINED_SHA256 = {
    "model.safetensors": "79ae579c6e9174cb04db84c8b56d3018e69b3e45969ac62d0570d98552729882",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "LICENSE": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "NOTICE": "be11452ba4357e7fac70e3e8b85e016f712f69d37ec0454bc6c2bb74ff3f9322",
}


# ---------------------------------------------------------------- GELU
def _erf(x):
    """erf(x) elementwise, |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26): float32 round-off level."""
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    s = np.sign(x)
    ax = np.abs(x)
    t = 1.0 / (1.0 + p * ax)
    y = 1.0 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * np.exp(-ax * ax)
    return s * y


def gelu(x):
    """The exact (erf) GELU of BERT: GELU(x) = x · ½ (1 + erf(x / √2)) (notebook 12).

    x float array -> same shape and dtype. erf is evaluated to 1.5e-7 (float32 round-off), not by the tanh formula.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"gelu needs a float array, got dtype {x.dtype}")
    return x * 0.5 * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))  # Python floats keep float32 float32


# ---------------------------------------------------------------- weights
class LayerWeights(NamedTuple):
    """One encoder layer's weights in the series' orientation: every W is (in, out), used as X @ W."""

    W_q: np.ndarray  # (d_model, d_model)
    b_q: np.ndarray  # (d_model,)
    W_k: np.ndarray
    b_k: np.ndarray
    W_v: np.ndarray
    b_v: np.ndarray
    W_o: np.ndarray
    b_o: np.ndarray
    gamma_1: np.ndarray  # (d_model,) layer norm after attention
    beta_1: np.ndarray
    W_1: np.ndarray  # (d_model, d_ff)
    b_1: np.ndarray  # (d_ff,)
    W_2: np.ndarray  # (d_ff, d_model)
    b_2: np.ndarray  # (d_model,)
    gamma_2: np.ndarray  # (d_model,) layer norm after the feed forward
    beta_2: np.ndarray


# file name of each LayerWeights field, after "encoder.layer.{i}."; "T" marks a (out, in) matrix
_LAYER_FIELDS = {
    "W_q": ("attention.self.query.weight", "T"),
    "b_q": ("attention.self.query.bias", ""),
    "W_k": ("attention.self.key.weight", "T"),
    "b_k": ("attention.self.key.bias", ""),
    "W_v": ("attention.self.value.weight", "T"),
    "b_v": ("attention.self.value.bias", ""),
    "W_o": ("attention.output.dense.weight", "T"),
    "b_o": ("attention.output.dense.bias", ""),
    "gamma_1": ("attention.output.LayerNorm.weight", ""),
    "beta_1": ("attention.output.LayerNorm.bias", ""),
    "W_1": ("intermediate.dense.weight", "T"),
    "b_1": ("intermediate.dense.bias", ""),
    "W_2": ("output.dense.weight", "T"),
    "b_2": ("output.dense.bias", ""),
    "gamma_2": ("output.LayerNorm.weight", ""),
    "beta_2": ("output.LayerNorm.bias", ""),
}


def expected_shapes(config):
    """{tensor name: shape} of every tensor the file must hold, from config.json's sizes."""
    d, f, V = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (V, d),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], d),
        "embeddings.token_type_embeddings.weight": (config["type_vocab_size"], d),
        "embeddings.LayerNorm.weight": (d,),
        "embeddings.LayerNorm.bias": (d,),
        "pooler.dense.weight": (d, d),
        "pooler.dense.bias": (d,),
    }
    per_layer = {
        "attention.self.query.weight": (d, d), "attention.self.query.bias": (d,),
        "attention.self.key.weight": (d, d), "attention.self.key.bias": (d,),
        "attention.self.value.weight": (d, d), "attention.self.value.bias": (d,),
        "attention.output.dense.weight": (d, d), "attention.output.dense.bias": (d,),
        "attention.output.LayerNorm.weight": (d,), "attention.output.LayerNorm.bias": (d,),
        "intermediate.dense.weight": (f, d), "intermediate.dense.bias": (f,),
        "output.dense.weight": (d, f), "output.dense.bias": (d,),
        "output.LayerNorm.weight": (d,), "output.LayerNorm.bias": (d,),
    }
    for i in range(config["num_hidden_layers"]):
        for name, shape in per_layer.items():
            shapes[f"encoder.layer.{i}.{name}"] = shape
    return shapes


def _read_header(path):
    """The JSON header of a safetensors file; ValueError naming the file (and tensor) when it is damaged."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{path} is truncated: {size} bytes, too short for a safetensors header")
        n = struct.unpack("<Q", head)[0]
        if n > size - 8:
            raise ValueError(f"{path} is truncated: its header says {n} bytes of JSON but the file has {size} bytes")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path} has an unreadable safetensors header ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header is not a JSON object")
    data_size = size - 8 - n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if end > data_size:
            raise ValueError(
                f"{path} is truncated: tensor {name!r} needs data bytes {start}..{end} "
                f"but the file holds only {data_size} bytes of data"
            )
    return header


def _check_tensors(path, header, shapes):
    """ValueError naming the file and the first missing tensor, wrong shape or wrong dtype."""
    for name, shape in shapes.items():
        if name not in header:
            raise ValueError(f"{path} lacks tensor {name!r} (expected shape {shape})")
        info = header[name]
        if tuple(info["shape"]) != shape:
            raise ValueError(f"{path}: tensor {name!r} has shape {tuple(info['shape'])}, expected {shape}")
        if info["dtype"] not in ("F16", "F32"):
            raise ValueError(f"{path}: tensor {name!r} has dtype {info['dtype']}, expected F16 or F32")


class RunResult(NamedTuple):
    """What run(text) returns: tokens (T,), ids (T,), offsets (T, 2) into the text, A and H (float32)."""

    tokens: list  # WordPiece tokens, [CLS] … [SEP] included
    ids: np.ndarray  # (T,) int64
    offsets: list  # (start, end) character span of each token in the text ((0, 0) for [CLS]/[SEP])
    A: np.ndarray  # (n_layers, n_heads, T, T): attention weights of every head
    H: np.ndarray  # (n_layers + 1, T, d_model): the embedding output, then each layer's output


def encoder_layer(X, L, n_heads, eps=1e-12, mha=None, mask=None):
    """One post-norm BERT layer (notebook 10's block with GELU and biases); returns (Y, A).

    X (..., T, d_model), L a LayerWeights -> Y (..., T, d_model), A (..., n_heads, T, T).
        Z = MultiHead(X) with biases;  H = LayerNorm(X + Z);  Y = LayerNorm(H + GELU(H W_1 + b_1) W_2 + b_2)
    `mha` replaces helpers.multi_head_attention (same signature, biases as keywords; no mask).
    `mask` (..., T, T) boolean, True where a key may be seen (padded batches of run_many).
    """
    if mha is None:
        Z, A = multi_head_attention(X, L.W_q, L.W_k, L.W_v, L.W_o, n_heads, mask,
                                    b_q=L.b_q, b_k=L.b_k, b_v=L.b_v, b_o=L.b_o)
    else:
        Z, A = mha(X, L.W_q, L.W_k, L.W_v, L.W_o, n_heads, b_q=L.b_q, b_k=L.b_k, b_v=L.b_v, b_o=L.b_o)
    Z = np.asarray(Z, dtype=X.dtype)
    H = layer_norm(X + Z, L.gamma_1, L.beta_1, eps=eps)  # (T, d_model)
    H2 = H.reshape(-1, H.shape[-1])  # (batch·T, d_model): 2-D products use BLAS even with W a transposed view
    F = (gelu(H2 @ L.W_1 + L.b_1) @ L.W_2 + L.b_2).reshape(H.shape)  # (·, d_ff) -> (..., T, d_model)
    Y = layer_norm(H + F, L.gamma_2, L.beta_2, eps=eps)  # (T, d_model)
    return Y, np.asarray(A, dtype=X.dtype)


class PretrainedEncoder:
    """all-MiniLM-L6-v2 in numpy: the configuration, the weights (float32) and run(text) (notebook 12)."""

    def __init__(self, config, tensors, tokenizer, folder):
        self.config = config
        self.folder = folder
        self.n_layers = int(config["num_hidden_layers"])
        self.n_heads = int(config["num_attention_heads"])
        self.d_model = int(config["hidden_size"])
        self.d_head = self.d_model // self.n_heads
        self.d_ff = int(config["intermediate_size"])
        self.vocab_size = int(config["vocab_size"])
        self.max_positions = int(config["max_position_embeddings"])
        self.eps = float(config["layer_norm_eps"])
        self.tensors = tensors  # {name: float32 array, as stored: linear weights (out, in)}
        self.tokenizer = tokenizer
        self.word_embeddings = tensors["embeddings.word_embeddings.weight"]  # (vocab_size, d_model)
        self.position_embeddings = tensors["embeddings.position_embeddings.weight"]  # (512, d_model)
        self.type_embedding = tensors["embeddings.token_type_embeddings.weight"][0]  # (d_model,)
        self.gamma_0 = tensors["embeddings.LayerNorm.weight"]
        self.beta_0 = tensors["embeddings.LayerNorm.bias"]
        self._cache = {}  # text -> RunResult of the model's own attention (read-only arrays), at most CACHE_SIZE
        self.layers = []
        for i in range(self.n_layers):
            fields = {}
            for field, (name, how) in _LAYER_FIELDS.items():
                W = tensors[f"encoder.layer.{i}.{name}"]
                fields[field] = W.T if how == "T" else W  # (out, in) -> (in, out): a view
            self.layers.append(LayerWeights(**fields))

    def __repr__(self):
        return (f"PretrainedEncoder(all-MiniLM-L6-v2: n_layers={self.n_layers}, n_heads={self.n_heads}, "
                f"d_model={self.d_model}, d_head={self.d_head}, d_ff={self.d_ff}, vocab_size={self.vocab_size})")

    def count_parameters(self):
        """Number of weights in the file (embeddings, 6 layers, pooler)."""
        return int(sum(a.size for a in self.tensors.values()))

    def tokenize(self, text):
        """(tokens, ids (T,), offsets): WordPiece, lower-cased, [CLS] … [SEP]; ValueError on bad text."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        if not text.strip():
            raise ValueError(f"text is empty or blank ({text!r}): give the model at least one word")
        enc = self.tokenizer.encode(text)
        T = len(enc.ids)
        if T > self.max_positions:
            raise ValueError(
                f"text is too long: {T} tokens ([CLS] and [SEP] included), the model has "
                f"{self.max_positions} positions (limit {self.max_positions} tokens)"
            )
        return list(enc.tokens), np.asarray(enc.ids, dtype=np.int64), [tuple(o) for o in enc.offsets]

    def embed(self, ids):
        """X_0 = LayerNorm(word[id_i] + position[i] + type[0]): (T,) ids -> (T, d_model)."""
        T = len(ids)
        E = self.word_embeddings[ids] + self.position_embeddings[:T] + self.type_embedding  # (T, d_model)
        return layer_norm(E, self.gamma_0, self.beta_0, eps=self.eps)

    def run(self, text, mha=None, remember=True):
        """Run the text through all layers: RunResult(tokens, ids, offsets, A, H), float32.

        A (n_layers, n_heads, T, T), H (n_layers + 1, T, d_model). `mha` replaces the series'
        multi_head_attention in every layer (the exercise of notebook 12). Results of the model's own
        attention are remembered per text (read-only arrays: copy them to change them); remember=False
        computes afresh and keeps nothing (benchmarks/bench_pretrained.py times that).
        """
        remember = remember and mha is None
        if remember and isinstance(text, str) and text in self._cache:
            return self._cache[text]  # the same text again: the same (read-only) result
        tokens, ids, offsets = self.tokenize(text)
        T = len(ids)
        H = np.empty((self.n_layers + 1, T, self.d_model), dtype=np.float32)
        A = np.empty((self.n_layers, self.n_heads, T, T), dtype=np.float32)
        X = self.embed(ids)  # (T, d_model)
        H[0] = X
        for i, L in enumerate(self.layers):
            X, A[i] = encoder_layer(X, L, self.n_heads, self.eps, mha)  # (T, d_model), (n_heads, T, T)
            H[i + 1] = X
        result = RunResult(tokens, ids, offsets, A, H)
        if remember:
            for a in (ids, A, H):
                a.flags.writeable = False
            self._remember(text, result)
        return result

    def run_many(self, texts):
        """[run(t) for t in texts], computed as one padded batch (padded keys masked out).

        Much faster for many short texts. Results equal run()'s to float32 round-off and are remembered
        like run()'s.
        """
        if not isinstance(texts, (list, tuple)) or not texts:
            raise ValueError(f"texts must be a non-empty list of strings, got {type(texts).__name__}")
        for chunk in range(0, len(texts), 64):  # at most 64 texts per batch
            _run_many(self, texts[chunk : chunk + 64])
        return [self.run(t) for t in texts]

    def _remember(self, text, result):
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))  # forget the oldest text
        self._cache[text] = result


def _run_many(model, texts):
    """run() for several texts in one padded batch (padded keys masked out); fills model's memory."""
    todo = [t for t in dict.fromkeys(texts) if t not in model._cache]  # unique texts not yet remembered
    if not todo:
        return
    enc = [model.tokenize(t) for t in todo]
    Ts = [len(ids) for _, ids, _ in enc]
    B, T = len(todo), max(Ts)
    ids = np.zeros((B, T), dtype=np.int64)  # padding id 0 ([PAD]); its rows are cut away below
    valid = np.zeros((B, T), dtype=bool)
    for b, (_, i, _) in enumerate(enc):
        ids[b, : Ts[b]] = i
        valid[b, : Ts[b]] = True
    E = model.word_embeddings[ids] + model.position_embeddings[:T] + model.type_embedding  # (B, T, d_model)
    X = layer_norm(E, model.gamma_0, model.beta_0, eps=model.eps)  # (B, T, d_model)
    mask = np.broadcast_to(valid[:, None, :], (B, T, T))  # (B, T_q, T_k): only real tokens as keys
    H, A = [X], []
    for L in model.layers:
        X, A_l = encoder_layer(X, L, model.n_heads, model.eps, mask=mask)  # (B, T, d_model), (B, n_heads, T, T)
        H.append(X)
        A.append(A_l)
    H, A = np.stack(H, axis=1), np.stack(A, axis=1)  # (B, n_layers + 1, T, d_model), (B, n_layers, n_heads, T, T)
    for b, (tokens, i, offsets) in enumerate(enc):
        n = Ts[b]
        r = RunResult(tokens, i, offsets, np.ascontiguousarray(A[b, :, :, :n, :n], dtype=np.float32),
                      np.ascontiguousarray(H[b, :, :n], dtype=np.float32))
        for a in (r.ids, r.A, r.H):
            a.flags.writeable = False
        model._remember(todo[b], r)


def _model_dir(data_dir):
    return (Path(data_dir) if data_dir is not None else Path(DATA_DIR)) / MODEL_DIR_NAME


def load_pretrained(data_dir=None):
    """all-MiniLM-L6-v2 from data/all-MiniLM-L6-v2/ (no download), validated (notebook 12).

    A missing, truncated or damaged file, a missing tensor or a wrong shape raises ValueError
    naming the file and the tensor. Weights are stored float16 and returned float32.
    """
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = _model_dir(data_dir)
    paths = {name: folder / name for name in ("config.json", "tokenizer.json", "model.safetensors")}
    for name, path in paths.items():
        if not path.is_file():
            raise ValueError(f"{path} is missing: data/{MODEL_DIR_NAME}/ needs {name} (see data/README.md)")
    try:
        config = json.loads(paths["config.json"].read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{paths['config.json']} is not valid JSON ({e})") from None
    needed = ("hidden_size", "intermediate_size", "vocab_size", "max_position_embeddings", "type_vocab_size",
              "num_hidden_layers", "num_attention_heads", "layer_norm_eps", "hidden_act")
    for key in needed:
        if key not in config:
            raise ValueError(f"{paths['config.json']} lacks the key {key!r}")
    if config["hidden_act"] != "gelu" or config["hidden_size"] % config["num_attention_heads"]:
        raise ValueError(f"{paths['config.json']}: not a BERT encoder this loader can run "
                         f"(hidden_act {config['hidden_act']!r}, hidden_size {config['hidden_size']}, "
                         f"num_attention_heads {config['num_attention_heads']})")
    path = paths["model.safetensors"]
    header = _read_header(path)
    shapes = expected_shapes(config)
    _check_tensors(path, header, shapes)
    try:
        raw = load_file(str(path))
    except Exception as e:  # noqa: BLE001 — the safetensors library's own error types vary by version
        raise ValueError(f"{path} could not be read as safetensors ({e})") from None
    tensors = {}
    for name in shapes:
        a = raw[name].astype(np.float32)
        if not np.isfinite(a).all():
            raise ValueError(f"{path}: tensor {name!r} holds NaN or inf")
        tensors[name] = a
    try:
        tokenizer = Tokenizer.from_file(str(paths["tokenizer.json"]))
    except Exception as e:  # noqa: BLE001 — the tokenizers library raises its own exception types
        raise ValueError(f"{paths['tokenizer.json']} could not be read as a tokenizer ({e})") from None
    tokenizer.no_truncation()  # the file asks for 128: we want every token, and an error past 512
    tokenizer.no_padding()
    if tokenizer.get_vocab_size() != config["vocab_size"]:
        raise ValueError(f"{paths['tokenizer.json']} has {tokenizer.get_vocab_size()} tokens, "
                         f"config.json says vocab_size {config['vocab_size']}")
    return PretrainedEncoder(config, tensors, tokenizer, folder)


# ---------------------------------------------------------------- looking at heads
def token_index(result, text, word, occurrence=0):
    """Index of the (first WordPiece) token of the `occurrence`-th whole word `word` in `text` (case-insensitive)."""
    starts = _word_starts(text, word)
    if occurrence >= len(starts):
        raise ValueError(f"{word!r} occurs {len(starts)} time(s) as a word in the text, "
                         f"asked for occurrence {occurrence}")
    start = starts[occurrence]
    for i, (a, b) in enumerate(result.offsets):
        if a == start and b > a:
            return i
    raise ValueError(f"no token starts at character {start} ({word!r}) in {result.tokens}")


def word_token_indices(result, text, words):
    """For each word of `words`, the index of its first WordPiece token.

    The words are taken in order, as helpers.tokenize splits `text`.
    """
    out, pos = [], 0
    for w in words:
        start = text.find(w, pos)
        if start < 0:
            raise ValueError(f"word {w!r} not found in the text after character {pos}")
        pos = start + len(w)
        hits = [i for i, (a, b) in enumerate(result.offsets) if a == start and b > a]
        if not hits:
            raise ValueError(f"no token starts at character {start} ({w!r}) in {result.tokens}")
        out.append(hits[0])
    return out


def _word_starts(text, word):
    """Character positions where `word` occurs as a whole word (letters/digits/apostrophes around it excluded)."""
    low, w = text.lower(), word.lower()
    out, i = [], low.find(w)
    while i >= 0:
        before = low[i - 1] if i > 0 else " "
        after = low[i + len(w)] if i + len(w) < len(low) else " "
        if not (before.isalnum() or after.isalnum()):
            out.append(i)
        i = low.find(w, i + 1)
    return out


def rank_heads(A, i, j):
    """All heads sorted by A[layer, head, i, j], largest first: list of (layer, head, weight)."""
    A = np.asarray(A)
    if A.ndim != 4 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must have shape (n_layers, n_heads, T, T), got {A.shape}")
    T = A.shape[-1]
    if not (0 <= i < T and 0 <= j < T):
        raise ValueError(f"token indices i={i}, j={j} out of range for T = {T}")
    w = A[:, :, i, j]  # (n_layers, n_heads)
    order = np.argsort(-w, axis=None, kind="stable")
    return [(int(k // w.shape[1]), int(k % w.shape[1]), float(w.flat[k])) for k in order]


# ---------------------------------------------------------------- the pronoun evaluation set
class PronounItem(NamedTuple):
    """One pronoun: the text, the pronoun, two candidate antecedents, the right one, its minimal pair."""

    id: str
    text: str
    pronoun: str
    candidates: tuple  # (first in the text, second in the text)
    answer: str
    pair: str  # id of the item that differs only in the word that flips the answer ("" if none)
    flip: str  # how it differs from its pair ("swap", "ending", "verb", …)


def load_pronoun_eval(data_dir=None):
    """data/pronoun_eval.json, validated: list of PronounItem (notebook 12).

    Each pronoun and each candidate must occur exactly once as a whole word, the candidates in
    text order and before the pronoun, the answer one of them; pairs are mutual, have different
    answers, and either differ in exactly one word (flip 'word') or swap the candidates ('swap').
    """
    path = (Path(data_dir) if data_dir is not None else Path(DATA_DIR)) / "pronoun_eval.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ValueError(f"{path}: expected an object with a list 'items'")
    items, seen = [], {}
    for k, it in enumerate(doc["items"]):
        where = f"{path}, item {k}"
        if not isinstance(it, dict):
            raise ValueError(f"{where}: expected an object")
        for key in ("id", "text", "pronoun", "candidates", "answer"):
            if key not in it:
                raise ValueError(f"{where}: missing key {key!r}")
        text, pron, cands, ans = it["text"], it["pronoun"], it["candidates"], it["answer"]
        if not all(isinstance(s, str) and s for s in (it["id"], text, pron, ans)):
            raise ValueError(f"{where}: id, text, pronoun and answer must be non-empty strings")
        if not (isinstance(cands, list) and len(cands) == 2 and all(isinstance(c, str) and c for c in cands)):
            raise ValueError(f"{where} ({it['id']}): candidates must be a list of two words, got {cands!r}")
        if it["id"] in seen:
            raise ValueError(f"{where}: duplicate id {it['id']!r}")
        if ans not in cands:
            raise ValueError(f"{where} ({it['id']}): answer {ans!r} is not one of the candidates {cands}")
        positions = []
        for w in [*cands, pron]:
            starts = _word_starts(text, w)
            if len(starts) != 1:
                raise ValueError(f"{where} ({it['id']}): {w!r} occurs {len(starts)} times as a word in "
                                 f"{text!r}, expected exactly once")
            positions.append(starts[0])
        if not positions[0] < positions[1] < positions[2]:
            raise ValueError(f"{where} ({it['id']}): the candidates must be in text order and before the pronoun")
        seen[it["id"]] = k
        items.append(PronounItem(it["id"], text, pron, tuple(cands), ans, it.get("pair", ""), it.get("flip", "")))
    by_id = {it.id: it for it in items}
    for it in items:
        if it.pair:
            other = by_id.get(it.pair)
            if other is None or other.pair != it.id:
                raise ValueError(f"{path}: item {it.id!r} names pair {it.pair!r}, which does not name it back")
            if it.answer == other.answer:
                raise ValueError(f"{path}: the pair {it.id!r}/{other.id!r} does not flip the answer")
            if it.flip == "word":
                a, b = it.text.split(), other.text.split()
                if len(a) != len(b) or sum(x != y for x, y in zip(a, b)) != 1 or it.candidates != other.candidates:
                    raise ValueError(f"{path}: the 'word' pair {it.id!r}/{other.id!r} must differ in exactly one word "
                                     "and share the candidates")
            elif it.flip == "swap":
                if it.candidates != other.candidates[::-1]:
                    raise ValueError(f"{path}: the 'swap' pair {it.id!r}/{other.id!r} must swap the candidates")
            else:
                raise ValueError(f"{path}: item {it.id!r} has flip {it.flip!r}, expected 'word' or 'swap'")
    if len(items) < 40:
        raise ValueError(f"{path} has {len(items)} items, the evaluation needs at least 40")
    return items


def _pronoun_tokens(model, item):
    """(result, pronoun index, (candidate 0 index, candidate 1 index)) for one item."""
    r = model.run(item.text)
    p = token_index(r, item.text, item.pronoun)
    c = tuple(token_index(r, item.text, w) for w in item.candidates)
    return r, p, c


def pronoun_head_scores(model, items):
    """Per item, per head: is the right candidate weighted more?

    -> (n_items, n_layers, n_heads) bool, and the weights on the right and wrong candidate
    (n_items, n_layers, n_heads) each.
    """
    n = len(items)
    correct = np.zeros((n, model.n_layers, model.n_heads), dtype=bool)
    w_right = np.zeros((n, model.n_layers, model.n_heads), dtype=np.float32)
    w_wrong = np.zeros_like(w_right)
    model.run_many([it.text for it in items])  # one batch: run() below finds every text remembered
    for k, it in enumerate(items):
        r, p, c = _pronoun_tokens(model, it)
        right = it.candidates.index(it.answer)
        w_right[k] = r.A[:, :, p, c[right]]
        w_wrong[k] = r.A[:, :, p, c[1 - right]]
        correct[k] = w_right[k] > w_wrong[k]
    return correct, w_right, w_wrong


def pronoun_baselines(items):
    """Accuracy of the simple rules: 'first noun' (the first candidate) and 'nearest noun' (the second)."""
    first = np.array([it.candidates.index(it.answer) == 0 for it in items])
    return {"first noun": float(first.mean()), "nearest noun": float((~first).mean())}


# ---------------------------------------------------------------- what heads mostly do
KEY_ROLES = ("previous token", "next token", "same token", "[CLS]", "[SEP]", "punctuation", "content")


def key_role_shares(A, tokens):
    """Average weight each head puts on each kind of key, over the query tokens of one text.

    A (n_layers, n_heads, T, T), tokens (T,) -> (n_layers, n_heads, 7) in the order of KEY_ROLES;
    each query row sums to 1, so each head's 7 numbers sum to 1 (a key counts once: previous/next/
    same first, then [CLS], [SEP], punctuation, the rest is 'content').
    """
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 4 or A.shape[-1] != A.shape[-2] or A.shape[-1] != len(tokens):
        raise ValueError(f"A must have shape (n_layers, n_heads, T, T) with T = len(tokens) = {len(tokens)}, "
                         f"got {A.shape}")
    T = len(tokens)
    kind = np.empty((T, T), dtype=np.int64)  # (query i, key j) -> role
    for i in range(T):
        for j in range(T):
            t = tokens[j]
            if j == i - 1:
                kind[i, j] = 0
            elif j == i + 1:
                kind[i, j] = 1
            elif j == i:
                kind[i, j] = 2
            elif t == "[CLS]":
                kind[i, j] = 3
            elif t == "[SEP]":
                kind[i, j] = 4
            elif not any(ch.isalnum() for ch in t):
                kind[i, j] = 5
            else:
                kind[i, j] = 6
    out = np.zeros(A.shape[:2] + (len(KEY_ROLES),))
    for r in range(len(KEY_ROLES)):
        out[..., r] = (A * (kind == r)).sum(axis=-1).mean(axis=-1)  # sum over keys, mean over queries
    return out


# ---------------------------------------------------------------- figures (no pyplot: safe in widgets)
def draw_head(fig, result, layer, head=None, query=None):
    """Draw one head's attention map and its arcs on `fig` (a matplotlib Figure), or the layer's 12 heads.

    With head=None, the 12 heads of the layer are drawn as a grid. Returns fig. Tested without a browser;
    the widget only calls it.
    """
    n_layers, n_heads, T, _ = result.A.shape
    if not (isinstance(layer, (int, np.integer)) and 0 <= layer < n_layers):
        raise ValueError(f"layer must be an integer in 0..{n_layers - 1}, got {layer!r}")
    if head is not None and not (isinstance(head, (int, np.integer)) and 0 <= head < n_heads):
        raise ValueError(f"head must be None or an integer in 0..{n_heads - 1}, got {head!r}")
    fig.clear()
    toks = result.tokens
    if head is None:
        axes = fig.subplots(3, 4)
        for h, ax in enumerate(axes.flat):
            ax.imshow(result.A[layer, h], cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"layer {layer}, head {h}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(f"all {n_heads} heads of layer {layer} (rows: query token, columns: key token)", fontsize=10)
        return fig
    ax_map, ax_arc = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    M = result.A[layer, head]
    im = ax_map.imshow(M, cmap="viridis", vmin=0, vmax=1)
    ax_map.set_xticks(range(T))
    ax_map.set_yticks(range(T))
    size = 8 if T <= 20 else 6
    ax_map.set_xticklabels(toks, rotation=90, fontsize=size)
    ax_map.set_yticklabels(toks, fontsize=size)
    ax_map.set_title(f"layer {layer}, head {head}", fontsize=10)
    fig.colorbar(im, ax=ax_map, fraction=0.046, pad=0.04)
    _draw_arcs(ax_arc, M, toks, query)
    return fig


ROLE_COLOURS = ("#0072B2", "#56B4E9", "#999999", "#E69F00", "#D55E00", "#CC79A7", "#009E73")  # one per KEY_ROLES


def draw_head_roles(ax, roles):
    """The one-figure map of the model: each head coloured by its largest key role, with that share.

    ax: a matplotlib Axes; roles (n_layers, n_heads, 7) from key_role_shares, in the order of KEY_ROLES.
    Returns main_role (n_layers, n_heads), the index into KEY_ROLES drawn in each cell.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    roles = np.asarray(roles, dtype=np.float64)
    if roles.ndim != 3 or roles.shape[-1] != len(KEY_ROLES):
        raise ValueError(f"roles must have shape (n_layers, n_heads, {len(KEY_ROLES)}), got {roles.shape}")
    main_role = roles.argmax(axis=-1)  # (n_layers, n_heads)
    n_layers, n_heads = main_role.shape
    ax.imshow(main_role, cmap=ListedColormap(ROLE_COLOURS), vmin=-0.5, vmax=len(ROLE_COLOURS) - 0.5)
    for l in range(n_layers):
        for h in range(n_heads):
            ax.text(h, l, f"{roles[l, h, main_role[l, h]]:.2f}", ha="center", va="center", fontsize=9, color="black")
    ax.set_xticks(range(n_heads))
    ax.set_yticks(range(n_layers))
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_title("what each head mostly looks at (number: that share of its weight)")
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(ROLE_COLOURS, KEY_ROLES)],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return main_role


def _draw_arcs(ax, M, toks, query=None, threshold=0.3):
    """Tokens on a line; an arc from each query to every key it gives ≥ threshold (alpha = weight)."""
    T = len(toks)
    rows = range(T) if query is None else [query]
    spans = [abs(i - j) for i in rows for j in range(T) if i != j and M[i, j] >= threshold]
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.3 * max(T, 4) / 4, 0.3 * max(spans, default=1) + 0.3)
    for j, t in enumerate(toks):
        ax.text(j, -0.1, t, rotation=90, ha="center", va="top", fontsize=8 if T <= 20 else 6)
    for i in rows:
        for j in range(T):
            w = float(M[i, j])
            if i == j or w < threshold:
                continue
            span = abs(i - j)
            xs = np.linspace(0, np.pi, 30)
            x = min(i, j) + span * (1 - np.cos(xs)) / 2
            y = 0.3 * span * np.sin(xs)
            ax.plot(x, y, color="tab:orange" if query is None else "tab:red", alpha=min(1.0, w), lw=1 + 2 * w)
    ax.axis("off")
    ax.set_title(f"links with weight ≥ {threshold}" + ("" if query is None else f" from '{toks[query]}'"),
                 fontsize=10)


def figure_png(fig, dpi=100):
    """PNG bytes of a matplotlib Figure (for an ipywidgets.Image), drawn with the Agg canvas, no pyplot."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def pretrained_explorer(model, text="The kids were scared of the lions, so they left right away.", layer=3, head=1,
                        width=9.0, height=4.2):
    """A text box, a layer and a head chooser ("all" = the layer's 12 heads) redrawing draw_head in place.

    Thin layer over model.run and draw_head (both tested without a browser): the figure is a matplotlib
    Figure built without pyplot, shown as PNG in an ipywidgets.Image whose value is replaced on every change.
    A text the model refuses (empty, too long) shows the error message and keeps the last figure.
    Returns an ipywidgets.VBox (children: text box, choosers, message, image).
    """
    import html

    import ipywidgets as widgets
    from matplotlib.figure import Figure

    model.run(text)  # a bad first text raises ValueError here, not inside the widget
    if not (0 <= layer < model.n_layers) or not (head is None or 0 <= head < model.n_heads):
        raise ValueError(f"layer must be in 0..{model.n_layers - 1} and head None or in 0..{model.n_heads - 1}, "
                         f"got layer={layer!r}, head={head!r}")
    fig = Figure(figsize=(width, height))
    box = widgets.Text(value=text, description="sentence", continuous_update=True,
                       layout=widgets.Layout(width="640px"))
    layer_menu = widgets.Dropdown(options=list(range(model.n_layers)), value=layer, description="layer",
                                  layout=widgets.Layout(width="160px"))
    head_menu = widgets.Dropdown(options=[("all", -1)] + [(str(h), h) for h in range(model.n_heads)],
                                 value=-1 if head is None else head, description="head",
                                 layout=widgets.Layout(width="160px"))
    message = widgets.HTML(value="")
    image = widgets.Image(format="png", layout=widgets.Layout(max_width=f"{int(width * 100)}px"))

    def redraw(_change=None):
        try:
            result = model.run(box.value)
        except ValueError as e:
            message.value = f"<span style='color:#b00'>{html.escape(str(e))}</span>"
            return
        message.value = ""
        draw_head(fig, result, int(layer_menu.value), None if head_menu.value < 0 else int(head_menu.value))
        image.value = figure_png(fig)

    for w in (box, layer_menu, head_menu):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([box, widgets.HBox([layer_menu, head_menu]), message, image])
