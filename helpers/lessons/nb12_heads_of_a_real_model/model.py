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

from ...core import multi_head_attention
from ...data import DATA_DIR
from ..nb10_transformer_block import layer_norm

__all__ = [
    "CACHE_SIZE",
    "MODEL_DIR_NAME",
    "PRETRAINED_SHA256",
    "LayerWeights",
    "PretrainedEncoder",
    "RunResult",
    "encoder_layer",
    "expected_shapes",
    "gelu",
    "load_pretrained",
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
