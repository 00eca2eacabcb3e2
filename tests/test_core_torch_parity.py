"""Cross-check against torch (optional): helpers vs nn.MultiheadAttention and F.scaled_dot_product_attention.

Conventions that differ between the two libraries, and how the tests bridge them:
- weights: helpers compute X @ W (a row of embeddings times a matrix, as on the slides);
  torch's Linear computes x @ weight.T, and in_proj_weight stacks the three (d_model, d_model)
  blocks for q, k, v on top of each other. So in_proj_weight = [W_q.T; W_k.T; W_v.T] and
  out_proj.weight = W_o.T.
- boolean masks: helpers and F.scaled_dot_product_attention use True = allowed;
  nn.MultiheadAttention's attn_mask uses True = NOT allowed, so it gets ~mask.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch",
    reason="torch is not installed; the cross-check against torch.nn.MultiheadAttention "
    "and F.scaled_dot_product_attention is optional",
)
F = torch.nn.functional

from helpers import causal_mask, init_mha_weights, multi_head_attention, scaled_dot_product_attention  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)


def rand(seed, *shape):
    """Seeded standard-normal float64 array."""
    return np.random.default_rng(seed).standard_normal(shape)


def torch_mha(W_q, W_k, W_v, W_o, n_heads):
    """nn.MultiheadAttention in float64 loaded with the helpers' weights (transposed: torch computes x @ W.T)."""
    d_model = W_q.shape[0]
    mha = torch.nn.MultiheadAttention(d_model, n_heads, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T], axis=0)))
        mha.out_proj.weight.copy_(torch.from_numpy(np.ascontiguousarray(W_o.T)))
    return mha.eval()


def test_weight_convention_is_the_transpose():
    W_q, W_k, W_v, W_o = init_mha_weights(8, 2, seed=0, dtype=np.float64)
    mha = torch_mha(W_q, W_k, W_v, W_o, 2)
    x = rand(1, 3, 8)
    q_torch = F.linear(torch.from_numpy(x), mha.in_proj_weight[:8]).detach().numpy()  # x @ weight.T
    np.testing.assert_allclose(q_torch, x @ W_q, **TOL)
    assert mha.in_proj_bias is None and mha.out_proj.bias is None


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("batch, T, d_model, n_heads", [(1, 1, 4, 1), (2, 5, 8, 2), (3, 7, 12, 4), (2, 6, 16, 8)])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_torch(batch, T, d_model, n_heads, causal, seed):
    X = rand(seed, batch, T, d_model)
    Ws = init_mha_weights(d_model, n_heads, seed=seed, dtype=np.float64)
    mask = causal_mask(T) if causal else None
    Z, A = multi_head_attention(X, *Ws, n_heads, mask=mask)

    mha = torch_mha(*Ws, n_heads)
    x = torch.from_numpy(X)
    attn_mask = None if mask is None else torch.from_numpy(~mask)  # torch: True = NOT allowed
    with torch.no_grad():
        z_t, a_avg = mha(x, x, x, attn_mask=attn_mask, need_weights=True)  # weights averaged over heads
        z_t2, a_heads = mha(x, x, x, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
    assert a_heads.shape == A.shape == (batch, n_heads, T, T)
    np.testing.assert_allclose(Z, z_t.numpy(), **TOL)
    np.testing.assert_allclose(Z, z_t2.numpy(), **TOL)
    np.testing.assert_allclose(A, a_heads.numpy(), **TOL)
    np.testing.assert_allclose(A.mean(axis=-3), a_avg.numpy(), **TOL)


def test_multi_head_attention_matches_torch_is_causal_flag():
    T, d_model, n_heads = 6, 8, 2
    X = rand(5, 2, T, d_model)
    Ws = init_mha_weights(d_model, n_heads, seed=5, dtype=np.float64)
    Z, _ = multi_head_attention(X, *Ws, n_heads, mask=causal_mask(T))
    mha = torch_mha(*Ws, n_heads)
    x = torch.from_numpy(X)
    float_mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)  # 0 / -inf
    with torch.no_grad():
        z_t, _ = mha(x, x, x, attn_mask=float_mask, is_causal=True, need_weights=False)
    np.testing.assert_allclose(Z, z_t.numpy(), **TOL)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("T_q, T_k, d_k, d_v", [(1, 1, 1, 1), (3, 4, 2, 5), (6, 6, 8, 8)])
@pytest.mark.parametrize("mask_kind", [None, "causal", "random"])
def test_scaled_dot_product_attention_matches_torch(batch, T_q, T_k, d_k, d_v, mask_kind, seed):
    Q = rand(seed, *batch, T_q, d_k)
    K = rand(seed + 10, *batch, T_k, d_k)
    V = rand(seed + 20, *batch, T_k, d_v)
    if mask_kind is None:
        mask = None
    elif mask_kind == "causal":
        mask = np.tril(np.ones((T_q, T_k), dtype=bool))
    else:
        mask = np.random.default_rng(seed).random((*batch, T_q, T_k)) < 0.5
        mask[..., 0] = True  # torch gives NaN for a fully masked row; the helpers give 0 (tested elsewhere)
    Z, A = scaled_dot_product_attention(Q, K, V, mask=mask)
    with torch.no_grad():
        z_t = F.scaled_dot_product_attention(
            torch.from_numpy(Q),
            torch.from_numpy(K),
            torch.from_numpy(V),
            attn_mask=None if mask is None else torch.from_numpy(np.ascontiguousarray(mask)),  # True = allowed
        )
    np.testing.assert_allclose(Z, z_t.numpy(), **TOL)
    # torch returns no weights; rebuild them from its own softmax to check A as well
    S = torch.from_numpy(Q) @ torch.from_numpy(K).transpose(-1, -2) / d_k**0.5
    if mask is not None:
        S = S.masked_fill(~torch.from_numpy(np.ascontiguousarray(mask)), float("-inf"))
    np.testing.assert_allclose(A, torch.softmax(S, dim=-1).numpy(), **TOL)


def test_float32_multi_head_attention_is_close_to_torch():
    X = rand(9, 2, 16, 64).astype(np.float32)
    Ws = init_mha_weights(64, 8, seed=9)  # float32
    Z, A = multi_head_attention(X, *Ws, 8, mask=causal_mask(16))
    mha = torch_mha(*(W.astype(np.float64) for W in Ws), 8).float()
    x = torch.from_numpy(X)
    with torch.no_grad():
        z_t, a_t = mha(x, x, x, attn_mask=torch.from_numpy(~causal_mask(16)), average_attn_weights=False)
    assert Z.dtype == np.float32 and z_t.dtype == torch.float32
    np.testing.assert_allclose(Z, z_t.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(A, a_t.numpy(), rtol=1e-4, atol=1e-6)
