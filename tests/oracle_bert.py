"""An independent BERT forward pass, written from the formulas with loops and plain numpy.

It does NOT import helpers: it reads the safetensors file itself (json + struct + numpy), uses the
(out, in) weights as the file stores them (y = W x + b, one token at a time), computes each head's
softmax with a loop over keys, and erf with math.erf. Slow on purpose (float64 throughout);
use it on short sentences only. Tests compare helpers' forward pass with it.
"""

import json
import math
import struct

import numpy as np


def read_safetensors(path):
    """{name: float64 array} from a safetensors file, parsed by hand."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    kinds = {"F16": "<f2", "F32": "<f4"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in kinds:
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype=kinds[info["dtype"]]).reshape(info["shape"]).astype(np.float64)
    return out


def _layer_norm_row(x, g, b, eps):
    mu = sum(x) / len(x)
    var = sum((v - mu) ** 2 for v in x) / len(x)
    return (np.array(x) - mu) / math.sqrt(var + eps) * g + b


def _linear(W, b, x):
    """y_o = sum_i W[o, i] x_i + b_o, W as the file stores it: (out, in)."""
    return W @ x + b


def bert_forward(weights, ids, n_layers=6, n_heads=12, eps=1e-12):
    """ids (T,) -> A (n_layers, n_heads, T, T), H (n_layers + 1, T, d_model), float64."""
    w = weights
    T = len(ids)
    d = w["embeddings.word_embeddings.weight"].shape[1]
    dh = d // n_heads
    X = []
    for i, t in enumerate(ids):
        e = (w["embeddings.word_embeddings.weight"][t] + w["embeddings.position_embeddings.weight"][i]
             + w["embeddings.token_type_embeddings.weight"][0])
        X.append(_layer_norm_row(list(e), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps))
    Hs = [np.array(X)]
    As = []
    for layer in range(n_layers):
        p = f"encoder.layer.{layer}."

        def g(name, p=p):
            return w[p + name]

        q = [_linear(g("attention.self.query.weight"), g("attention.self.query.bias"), x) for x in X]
        k = [_linear(g("attention.self.key.weight"), g("attention.self.key.bias"), x) for x in X]
        v = [_linear(g("attention.self.value.weight"), g("attention.self.value.bias"), x) for x in X]
        A = np.zeros((n_heads, T, T))
        concat = [np.zeros(d) for _ in range(T)]
        for h in range(n_heads):
            s = slice(h * dh, (h + 1) * dh)
            for i in range(T):
                scores = [float(np.dot(q[i][s], k[j][s])) / math.sqrt(dh) for j in range(T)]
                m = max(scores)
                ex = [math.exp(sc - m) for sc in scores]
                tot = sum(ex)
                for j in range(T):
                    A[h, i, j] = ex[j] / tot
                    concat[i][s] += A[h, i, j] * v[j][s]
        As.append(A)
        X1 = []
        for i in range(T):
            z = _linear(g("attention.output.dense.weight"), g("attention.output.dense.bias"), concat[i])
            X1.append(_layer_norm_row(list(X[i] + z), g("attention.output.LayerNorm.weight"),
                                      g("attention.output.LayerNorm.bias"), eps))
        X2 = []
        for i in range(T):
            u = _linear(g("intermediate.dense.weight"), g("intermediate.dense.bias"), X1[i])
            u = np.array([val * 0.5 * (1.0 + math.erf(val / math.sqrt(2.0))) for val in u])
            f = _linear(g("output.dense.weight"), g("output.dense.bias"), u)
            X2.append(_layer_norm_row(list(X1[i] + f), g("output.LayerNorm.weight"), g("output.LayerNorm.bias"), eps))
        X = X2
        Hs.append(np.array(X))
    return np.array(As), np.array(Hs)
