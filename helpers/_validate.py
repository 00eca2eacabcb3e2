"""Input checks shared by the helpers: clear ValueErrors instead of NaNs or deep tracebacks."""

import numpy as np

__all__ = [
    "as_bias",
    "as_bool_mask",
    "as_boolean",
    "as_float_array",
    "as_float_dtype",
    "as_labels",
    "as_labels_or_numbers",
    "as_matrix",
    "as_mha_inputs",
    "as_numeric",
    "as_optional_labels",
    "as_qkv",
    "as_real_array",
    "as_scores",
    "as_size_list",
    "as_square_weights",
    "as_tokens",
    "as_vector_or_none",
    "as_weights",
    "check_batch",
    "check_decimals",
    "check_head_index",
    "check_heads_cut",
    "check_heads_divide",
    "check_model_inputs",
    "check_positive_int",
    "check_projections",
    "check_qk",
    "check_query",
    "check_rows_to_normalise",
    "check_sentence_qkv",
    "check_softmax_input",
    "check_top_k",
    "check_training_config",
    "check_weights",
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


def check_heads_cut(n, n_heads, where, unit):
    """n // n_heads, or ValueError "<where>: <n> <unit> are not divisible by n_heads = …"."""
    n_heads = check_positive_int(n_heads, "n_heads")
    if n % n_heads:
        raise ValueError(f"{where}: {n} {unit} are not divisible by n_heads = {n_heads}")
    return n // n_heads


def check_softmax_input(x, m, axis):
    """ValueError unless every slice of x along `axis` has a finite entry (m: its maximum, keepdims)."""
    if not np.isneginf(m).any():
        return
    if x.ndim == 1:
        raise ValueError(f"softmax input of shape {x.shape} is all -inf: at least one entry must be finite")
    first = tuple(int(i) for i in np.argwhere(np.isneginf(m))[0])
    raise ValueError(
        f"softmax input of shape {x.shape} has {int(np.isneginf(m).sum())} slice(s) along axis {axis} "
        f"that are all -inf (the first at index {first}); every row needs at least one finite entry"
    )


def check_rows_to_normalise(row_max, what):
    """ValueError unless every row of scores has a finite largest entry; `what` names the scores.

    `what` is a string or a function returning one (called only when raising, so it costs nothing
    on the way through). A row of -inf has nothing to normalise; +inf or NaN means the products overflowed.
    """
    if np.isfinite(row_max).all():
        return
    what = what() if callable(what) else what
    if np.isneginf(row_max).all(where=~np.isfinite(row_max)):
        n = int(np.isneginf(row_max).sum())
        raise ValueError(f"{what} has {n} row(s) whose allowed entries are all -inf: there is nothing to normalise")
    raise ValueError(f"{what} overflow {row_max.dtype}: scale the inputs down or use float64")


def as_qkv(Q, K, V=None, *, mask=None):
    """Q, K (and V, mask) as float arrays of matching shapes for attention, or ValueError naming them.

    Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v) with batch axes that broadcast; the mask
    boolean, broadcast to the scores' shape (..., T_q, T_k). Returns (Q, K) without V, else (Q, K, V, mask).
    """
    Q = as_float_array(Q, "Q", min_ndim=2)
    K = as_float_array(K, "K", min_ndim=2)
    if V is None:
        check_qk(Q, K)
        return Q, K
    V = as_float_array(V, "V", min_ndim=2)
    check_qk(Q, K)
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(
            f"K and V must have the same number of tokens T_k: K has shape {K.shape}, V has shape {V.shape}"
        )
    check_batch(Q.shape, V.shape, "Q", "V")
    check_batch(K.shape, V.shape, "K", "V")
    if mask is not None:
        scores_shape = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2]) + (Q.shape[-2], K.shape[-2])
        mask = as_bool_mask(mask, scores_shape)
    return Q, K, V, mask


def as_mha_inputs(X, weights, biases, n_heads, mask):
    """The inputs of multi-head attention checked: X, (W_q, W_k, W_v, W_o), (b_q, b_k, b_v, b_o), mask.

    Each W (d_model, d_model), each bias None or (d_model,), n_heads dividing d_model, the mask boolean
    and broadcast to (..., T, T), returned as (..., 1, T, T) so that every head shares it.
    """
    X = as_float_array(X, "X", min_ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    *batch, T, d_model = X.shape
    weights = check_projections(X, dict(zip(("W_q", "W_k", "W_v", "W_o"), weights)))
    check_heads_divide(d_model, n_heads, f"X of shape {X.shape}")
    biases = [None if b is None else as_bias(b, name, d_model) for b, name in zip(biases, ("b_q", "b_k", "b_v", "b_o"))]
    if mask is not None:
        mask = as_bool_mask(mask, (*batch, T, T))  # (..., T, T)
        mask = np.expand_dims(mask, -3)  # (..., 1, T, T): the same mask for every head
    return X, weights, biases, mask


def as_bias(b, name, d_model):
    """A bias vector of shape (d_model,) as a float array, or ValueError naming its shape."""
    b = as_float_array(b, name)
    if b.shape != (d_model,):
        raise ValueError(f"{name} must have shape (d_model,) = ({d_model},), got {b.shape}")
    return b


def as_labels_or_numbers(labels, n, name, what):
    """`labels` as a list of n strings (default "0" … "n-1"), or ValueError naming the counts."""
    if labels is None:
        return [str(k) for k in range(n)]
    return as_labels(labels, n, name, what)


def as_weights(A, name, ndim):
    """Attention weights as a float array with `ndim` axes and values in [0, 1], or ValueError."""
    arr = np.asarray(A)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != ndim:
        expected = {1: "(T,)", 2: "(T, T)", 3: "(n_heads, T, T)"}[ndim]
        raise ValueError(f"{name} must have shape {expected}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} of shape {arr.shape} contains NaN or inf")
    if arr.min() < -1e-6 or arr.max() > 1 + 1e-6:
        raise ValueError(
            f"{name} of shape {arr.shape} must hold softmax weights in [0, 1], got values from "
            f"{arr.min():.3g} to {arr.max():.3g} (scores? draw them with plot_heatmap)"
        )
    return arr


def as_float_dtype(dtype):
    """np.float32 or np.float64, or ValueError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dt}")
    return dt


def as_size_list(d_ks):
    """d_ks as a non-empty list of positive ints, or ValueError."""
    if isinstance(d_ks, (int, np.integer)) and not isinstance(d_ks, (bool, np.bool_)):
        raise ValueError(f"d_ks must be a list of sizes, e.g. [1, 2, 4, …, 512], got the single number {d_ks}")
    try:
        values = list(d_ks)
    except TypeError:
        raise ValueError(f"d_ks must be a list of positive integers, got {type(d_ks).__name__}") from None
    if not values:
        raise ValueError("d_ks is empty: give at least one d_k")
    return [check_positive_int(v, f"d_ks[{i}]") for i, v in enumerate(values)]


# ---------------------------------------------------------------- input checks


def check_head_index(head, n_heads):
    """head as an int in 0 … n_heads - 1, or ValueError."""
    if isinstance(head, (bool, np.bool_)) or not isinstance(head, (int, np.integer)):
        raise ValueError(f"head must be an integer from 0 to n_heads - 1 = {n_heads - 1}, got {head!r}")
    if not 0 <= head < n_heads:
        raise ValueError(f"head = {head} does not exist: with n_heads = {n_heads} the heads are 0 … {n_heads - 1}")
    return int(head)


def as_square_weights(A):
    """A as a square 2-D float array of weights, or ValueError naming its shape."""
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (T, T), one row per query word and one column per key word, got {A.shape}")
    return A


def check_top_k(k, T):
    """k as an int in 1 … T, or ValueError."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= T:
        raise ValueError(f"k must be an integer from 1 to T = {T} (the number of words), got {k!r}")
    return int(k)


def as_tokens(tokens, T, what):
    """tokens as a list of T strings, or ValueError."""
    if isinstance(tokens, str):
        raise ValueError(f"tokens must be a list of {T} words, got the single string {tokens!r}")
    try:
        tokens = [str(t) for t in tokens]
    except TypeError:
        raise ValueError(f"tokens must be a list of {T} words, got {type(tokens).__name__}") from None
    if len(tokens) != T:
        raise ValueError(f"tokens has {len(tokens)} words but {what} needs T = {T}")
    return tokens


# ---------------------------------------------------------------- input checks


def as_vector_or_none(v, name, d_model, x_shape):
    """None, or `v` as a float vector of shape (d_model,), else ValueError naming the shapes."""
    if v is None:
        return None
    v = as_float_array(v, name)
    if v.shape != (d_model,):
        raise ValueError(
            f"{name} must have shape (d_model,) = ({d_model},) for x of shape {x_shape}, got {v.shape}"
        )
    return v


def check_model_inputs(params, names, tokens, lengths, n_heads, head_mask):
    """The tiny model's inputs (notebook 09): tokens, lengths, head_mask as arrays, or ValueError with the shapes.

    `names` are the weights params must hold; E_tok (vocabulary, d_model) and E_pos (T_max, d_model)
    bound the token ids and the sequence length.
    """
    for k in names:
        if k not in params:
            raise ValueError(f"params is missing the weight {k!r}; it needs {list(names)}")
    V, d_model = params["E_tok"].shape
    T_max = params["E_pos"].shape[0]
    n_heads = check_positive_int(n_heads, "n_heads")
    if d_model % n_heads:
        raise ValueError(f"d_model = {d_model} (E_tok of shape {params['E_tok'].shape}) "
                         f"is not divisible by n_heads = {n_heads}")
    tokens = np.asarray(tokens)
    lengths = np.asarray(lengths)
    if tokens.ndim != 2 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens must be a 2-D array of integer ids (B, T), "
                         f"got dtype {tokens.dtype} and shape {tokens.shape}")
    B, T = tokens.shape
    if T > T_max:
        raise ValueError(f"tokens of shape {tokens.shape} are longer than the {T_max} positions of E_pos")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= V):
        raise ValueError(f"token ids must lie in 0 … {V - 1} (the rows of E_tok), got {tokens.min()} … {tokens.max()}")
    if lengths.shape != (B,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be {B} integers, one per sequence of tokens {tokens.shape}, "
                         f"got shape {lengths.shape}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in 1 … T = {T} (the question is at lengths - 1), "
                         f"got {lengths.min()} … {lengths.max()}")
    if head_mask is not None:
        head_mask = np.asarray(head_mask, dtype=np.float64)
        if head_mask.shape != (n_heads,):
            raise ValueError(f"head_mask must hold one number per head, shape ({n_heads},), "
                             f"got shape {head_mask.shape}")
    return tokens, lengths, head_mask


def check_weights(params, shapes, where, sizes):
    """ValueError naming `where` when a weight of `shapes` ({name: shape}) is missing, mis-shaped or not finite.

    `sizes` says where the expected shapes come from (e.g. "d_model = 8, T = 8, vocabulary 17").
    """
    if not isinstance(params, dict):
        raise ValueError(f"{where}: weights must be a dict name -> array, got {type(params).__name__}")
    for name, shape in shapes.items():
        if name not in params:
            raise ValueError(f"{where}: weight {name!r} is missing")
        arr = np.asarray(params[name])
        if arr.dtype.kind != "f":
            raise ValueError(f"{where}: weight {name!r} must hold floats, got dtype {arr.dtype}")
        if arr.shape != shape:
            raise ValueError(f"{where}: weight {name!r} has shape {arr.shape}, expected {shape} for {sizes}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{where}: weight {name!r} contains NaN or inf")


def check_training_config(config, config_type):
    """notebook 09's training Config with its ints and floats checked, or ValueError naming the field."""
    if not isinstance(config, config_type):
        raise ValueError(f"expected a helpers.{config_type.__name__}, got {type(config).__name__}")
    for name in ("d_model", "n_heads", "T", "min_len", "batch", "steps"):
        check_positive_int(getattr(config, name), f"config.{name}")
    for name in ("seed", "data_seed"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"config.{name} must be an integer ≥ 0, got {value!r}")
    if config.d_model % config.n_heads:
        raise ValueError(f"config.d_model = {config.d_model} is not divisible by config.n_heads = {config.n_heads}")
    if not 4 <= config.min_len <= config.T:
        raise ValueError(f"config needs 4 ≤ min_len ≤ T, got min_len = {config.min_len}, T = {config.T}")
    lr = config.lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise ValueError(f"config.lr must be a number in (0, 1), got {lr!r}")
    return config
