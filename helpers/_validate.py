"""Input checks shared by the helpers: clear ValueErrors instead of NaNs or deep tracebacks."""

import numpy as np

__all__ = [
    "as_boolean",
    "as_bool_mask",
    "as_float_array",
    "as_labels",
    "as_matrix",
    "as_numeric",
    "as_optional_labels",
    "as_real_array",
    "as_scores",
    "check_batch",
    "check_decimals",
    "check_heads_divide",
    "check_positive_int",
    "check_projections",
    "check_qk",
    "check_query",
    "check_sentence_qkv",
    "mask_row",
]


def as_real_array(x, name):
    """Return `x` as a real float ndarray (float32 stays float32, ints and bools become float64).

    NaN and ±inf pass (tables and figures show them); object, text and complex data raise ValueError.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def as_labels(labels, n, name, what):
    """`labels` as a list of n strings, or ValueError naming the counts (a lone string is refused)."""
    if isinstance(labels, str):
        raise ValueError(
            f"{name} must be a list of {n} strings, got the single string {labels!r} "
            "(split a sentence into words with .split())"
        )
    labels = [str(t) for t in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries but {what} needs {n}")
    return labels


def as_float_array(x, name, *, min_ndim=None, ndim=None, allow_neg_inf=False):
    """Return `x` as a float ndarray (float32 stays float32, ints become float64).

    Raises ValueError naming `name` and its shape when `x` is empty, has the wrong number
    of dimensions, or holds NaN/inf (-inf only where `allow_neg_inf`).
    """
    arr = as_real_array(x, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if allow_neg_inf:
        bad = np.isnan(arr) | (arr == np.inf)
        what = "NaN or +inf"
    else:
        bad = ~np.isfinite(arr)
        what = "NaN or inf"
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} of shape {arr.shape} contains {what} "
            f"({int(bad.sum())} entries, first at index {first})"
        )
    return arr


def as_bool_mask(mask, target_shape, name="mask"):
    """Return `mask` as a boolean array broadcast to `target_shape`, or raise ValueError."""
    m = np.asarray(mask)
    if m.dtype != bool:
        raise ValueError(
            f"{name} must be boolean (True where attention is allowed), got dtype {m.dtype} "
            f"with shape {m.shape}; "
            "an additive mask of 0 and -inf converts with (mask == 0)"
        )
    try:
        shape = np.broadcast_shapes(m.shape, tuple(target_shape))
    except ValueError:
        shape = None
    if shape != tuple(target_shape):
        raise ValueError(
            f"{name} of shape {m.shape} does not broadcast to the scores' shape "
            f"{tuple(target_shape)} (..., T_q, T_k)"
        )
    return np.broadcast_to(m, target_shape)


def check_positive_int(value, name):
    """Return `value` as an int when it is a positive integer, else raise ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_heads_divide(d_model, n_heads, where=None):
    """Return d_head = d_model // n_heads, or raise ValueError naming d_model, n_heads and `where`."""
    n_heads = check_positive_int(n_heads, "n_heads")
    if d_model % n_heads:
        shown = f"d_model = {d_model}" + (f" ({where})" if where else "")
        raise ValueError(f"{shown} is not divisible by n_heads = {n_heads}")
    return d_model // n_heads


def check_projections(X, named):
    """The matrices of `named` ({name: W}) as float arrays of shape (d_model, d_model) for X, or ValueError."""
    d_model = X.shape[-1]
    out = []
    for name, W in named.items():
        W = as_float_array(W, name)
        if W.shape != (d_model, d_model):
            raise ValueError(
                f"{name} must have shape (d_model, d_model) = ({d_model}, {d_model}) "
                f"for X of shape {X.shape}, got {W.shape}"
            )
        out.append(W)
    return out


def check_sentence_qkv(Q, K, V):
    """Q (T, d_k), K (T, d_k), V (T, d_v) for one sentence, or ValueError naming the shapes."""
    Q = as_float_array(Q, "Q", ndim=2)
    K = as_float_array(K, "K", ndim=2)
    V = as_float_array(V, "V", ndim=2)
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"Q and K must share d_k (their last axis): Q has shape {Q.shape}, K has shape {K.shape}")
    if not Q.shape[0] == K.shape[0] == V.shape[0]:
        raise ValueError(
            f"Q, K and V must have one row per word (the same T): shapes {Q.shape}, {K.shape}, {V.shape}"
        )
    return Q, K, V


def check_query(query, T):
    """query as an int in 0 … T-1, or ValueError naming T."""
    if isinstance(query, bool) or not isinstance(query, (int, np.integer)):
        raise ValueError(f"query must be the index of a word, an integer from 0 to T-1 = {T - 1}, got {query!r}")
    if not 0 <= query < T:
        raise ValueError(f"query = {query} is not a word of this sentence: T = {T}, so query must be in 0 … {T - 1}")
    return int(query)


def mask_row(mask, T, i):
    """The allowed keys of query i from a boolean (T,) or (T, T) mask, or ValueError."""
    m = np.asarray(mask)
    if m.dtype != bool:
        raise ValueError(f"mask must be boolean (True = the word may be looked at), got dtype {m.dtype}")
    if m.shape == (T,):
        return m
    if m.shape == (T, T):
        return m[i]
    raise ValueError(f"mask must have shape (T,) = ({T},) or (T, T) = ({T}, {T}), got {m.shape}")


def as_scores(S):
    """Scores as a float array with at least 2 axes (..., T_q, T_k); -inf allowed, NaN and +inf not."""
    return as_float_array(S, "S", min_ndim=2, allow_neg_inf=True)


def as_boolean(mask):
    """A boolean array, or ValueError naming the dtype and shape."""
    m = np.asarray(mask)
    if m.dtype != bool:
        raise ValueError(
            f"mask of shape {m.shape} must be boolean (True = allowed), got dtype {m.dtype}; "
            "convert an additive mask with mask_from(mask, 'additive')"
        )
    if m.size == 0:
        raise ValueError(f"mask must be a non-empty array, got shape {m.shape}")
    return m


def check_qk(Q, K):
    """Raise ValueError unless Q and K share d_k and their batch axes broadcast."""
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(
            f"Q and K must share d_k (their last axis): Q has shape {Q.shape}, K has shape {K.shape}"
        )
    check_batch(Q.shape, K.shape, "Q", "K")


def check_batch(shape_a, shape_b, name_a, name_b):
    """Raise ValueError when the leading (batch) axes of two shapes do not broadcast."""
    try:
        np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
    except ValueError:
        raise ValueError(
            f"the batch axes of {name_a} {shape_a} and {name_b} {shape_b} do not broadcast"
        ) from None


# ---------------------------------------------------------------- input checks


def check_decimals(decimals):
    """decimals as an int in 0 … 12, or ValueError."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or not 0 <= decimals <= 12:
        raise ValueError(f"decimals must be an integer from 0 to 12, got {decimals!r}")
    return int(decimals)


def as_numeric(x, name):
    """x as a float ndarray (NaN and ±inf allowed: a table shows them), or ValueError."""
    arr = as_real_array(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    return arr


def as_optional_labels(labels, n, name, what, required=False):
    """`labels` as a list of n strings, None when optional and absent, or ValueError naming the counts."""
    if labels is None:
        if required:
            raise ValueError(f"{name} is required: {what} needs {n} labels")
        return None
    return as_labels(labels, n, name, what)


# ---------------------------------------------------------------- small pieces


def as_matrix(M, name, finite=True):
    """M as a 2-D float array, or ValueError naming its shape; NaN / ±inf only when not `finite`."""
    arr = as_real_array(M, name).astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} of shape {arr.shape} contains NaN or inf")
    return arr
