import numpy as np
import pytest

from helpers import (
    check_qkv,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes


# ====================================================================== notebook 02: Q, K, V


def qkv_reference(X, W_q, W_k, W_v):
    return X @ W_q, X @ W_k, X @ W_v


def qkv_loops(X, W_q, W_k, W_v):
    """q_i = x_i W_Q, one word (row) at a time."""
    out = []
    for W in (W_q, W_k, W_v):
        M = np.zeros(X.shape[:-1] + (W.shape[1],))
        for idx in np.ndindex(*X.shape[:-1]):
            M[idx] = oracle.matmul([X[idx].tolist()], W)[0]
        out.append(M)
    return tuple(out)


@pytest.mark.parametrize("fn", [qkv_reference, qkv_loops])
def test_qkv_accepts_right_answers(fn, capsys):
    assert_passes(check_qkv, fn, capsys)


QKV_MISTAKES = {
    "W @ X": (lambda X, Wq, Wk, Wv: (Wq @ X, Wk @ X, Wv @ X), "weight matrix is on the wrong side"),
    "transposed": (lambda X, Wq, Wk, Wv: (Wq.T @ X.T, Wk.T @ X.T, Wv.T @ X.T), "your Q, K, V are transposed"),
    "order": (lambda X, Wq, Wk, Wv: (X @ Wk, X @ Wq, X @ Wv), "wrong order: (K, Q, V) instead of (Q, K, V)"),
    "order VKQ": (lambda X, Wq, Wk, Wv: (X @ Wv, X @ Wk, X @ Wq), "wrong order: (V, K, Q)"),
    "same matrix": (lambda X, Wq, Wk, Wv: (X @ Wq, X @ Wq, X @ Wq), "the same weight matrix was used for Q, K and V"),
    "copy-paste": (lambda X, Wq, Wk, Wv: (X @ Wq, X @ Wq, X @ Wv), "computed with W_q instead of W_k"),
    "one array": (lambda X, Wq, Wk, Wv: X @ Wq, "the check wants three: Q, K and V"),
    "einsum 2-D only": (lambda X, Wq, Wk, Wv: tuple(np.einsum("td,dk->tk", X, W) for W in (Wq, Wk, Wv)),
                        "works for a single sequence"),
}


@pytest.mark.parametrize("name", QKV_MISTAKES)
def test_qkv_names_each_mistake(name, capsys):
    fn, phrase = QKV_MISTAKES[name]
    assert_fails(check_qkv, fn, capsys, phrase)
