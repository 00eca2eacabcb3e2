"""helpers/lessons/nb09_heads_that_learn/: the tiny model of notebook 09 against loops and finite differences.

The task against its rules written as loops, every gradient against finite differences (float64,
relative error < 1e-6), determinism, the .npz round trip and its errors, and the stored
data/trained_heads.npz against a fresh training run (about a second).
"""

import math
import pathlib

import numpy as np
import pytest

import helpers
import oracle
from common import small_model
from helpers.lessons import nb09_heads_that_learn as training
from helpers import (
    COLOURS,
    PARAM_NAMES,
    SHAPES,
    VOCAB,
    Config,
    TrainedModel,
    accuracy,
    answer_losses,
    attention_on_targets,
    cross_entropy,
    forward,
    head_mask_without,
    head_roles,
    init_params,
    load_weights,
    loss_and_grads,
    make_task,
    question_attention,
    save_weights,
    softmax_backward,
    stored_weights_path,
    token_labels,
    train,
    weights_checksum,
)

STORED = pathlib.Path(__file__).resolve().parents[2] / "data" / "trained_heads.npz"
STORED_VARIANTS = STORED.with_name("trained_heads_variants.npz")
REL_TOL = 1e-6  # gradients vs central finite differences, float64
EPS = 1e-5  # finite-difference step


# ---------------------------------------------------------------- the task, against its rules


def parse(label):
    """A token's words -> ("item", colour, shape), ("question", None, shape) or ("pad", None, None)."""
    if label == training.PAD:
        return ("pad", None, None)
    if label.startswith("?"):
        return ("question", None, SHAPES.index(label[1:]))
    colour, shape = label.split(" ")
    return ("item", COLOURS.index(colour), SHAPES.index(shape))


@pytest.mark.parametrize("seed", [0, 1, (1, 7)])
def test_make_task_follows_its_rules(seed):
    data = make_task(300, seed=seed)
    assert data.tokens.shape == (300, 8) and data.targets.shape == (300, 2)
    for b in range(300):
        L = int(data.lengths[b])
        words = [parse(VOCAB[int(t)]) for t in data.tokens[b]]
        assert 5 <= L <= 8
        kind, _, asked = words[L - 1]
        assert kind == "question" and asked == data.asked[b]
        assert all(w[0] == "pad" for w in words[L:])
        assert all(w[0] == "item" for w in words[: L - 1])
        same = [t for t in range(L - 1) if words[t][2] == asked]
        assert same == [int(data.match_pos[b])], "the asked shape must appear exactly once"
        assert same[0] <= L - 3, "the same-shape token is never the previous token"
        assert data.targets[b, 0] == words[L - 2][1]  # colour of the previous token
        assert data.targets[b, 1] == words[same[0]][1]  # colour of the same-shape token


def test_make_task_is_seeded_and_varied():
    a, b, c = make_task(500, seed=3), make_task(500, seed=3), make_task(500, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a.tokens, c.tokens)
    assert set(a.lengths.tolist()) == {5, 6, 7, 8}
    assert set(a.match_pos.tolist()) == set(range(6))
    for k in range(2):  # every colour is an answer about a third of the time
        counts = np.bincount(a.targets[:, k], minlength=3) / 500
        assert np.all(np.abs(counts - 1 / 3) < 0.08), counts


def test_make_task_and_config_errors():
    with pytest.raises(ValueError, match="min_len"):
        make_task(10, min_len=3)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_task(0)
    with pytest.raises(ValueError, match="not divisible"):
        init_params(Config(d_model=10, n_heads=3))
    with pytest.raises(ValueError, match="lr"):
        train(Config(lr=2.0))
    with pytest.raises(ValueError, match="cannot remove head 2"):
        head_mask_without(2, 2)


def test_token_labels():
    data = make_task(3, seed=0)
    words = token_labels(data.tokens[0], data.lengths[0])
    assert len(words) == data.lengths[0] and words[-1].startswith("?")
    assert token_labels([0, 16]) == ["red ●", "·"]
    with pytest.raises(ValueError, match="1-D"):
        token_labels(data.tokens)


@pytest.mark.parametrize("d_model, n_heads, seed", [(8, 2, 0), (12, 3, 1)])
def test_forward_matches_the_loop_oracle(d_model, n_heads, seed):
    params = small_model(d_model, n_heads, seed)
    data = make_task(4, seed=seed + 10)
    logits, cache = forward(params, data.tokens, data.lengths, n_heads)
    T = data.tokens.shape[1]
    mask = [[j <= i for j in range(T)] for i in range(T)]
    for b in range(4):
        X = [[float(params["E_tok"][data.tokens[b, t], d] + params["E_pos"][t, d]) for d in range(d_model)]
             for t in range(T)]
        Z, A = oracle.multi_head_attention_one(X, params["W_q"], params["W_k"], params["W_v"], params["W_o"],
                                               n_heads, mask)
        np.testing.assert_allclose(cache["A"][b], np.array(A), rtol=1e-12, atol=1e-14)
        z_q = Z[int(data.lengths[b]) - 1]  # the question token's output
        out = [sum(z_q[d] * params["W_r"][d, o] for d in range(d_model)) + params["b_r"][o] for o in range(6)]
        np.testing.assert_allclose(logits[b].reshape(-1), out, rtol=1e-12, atol=1e-12)


def test_forward_attention_is_helpers_multi_head_attention():
    params = small_model()
    data = make_task(5, seed=2)
    _, cache = forward(params, data.tokens, data.lengths, 2)
    X = params["E_tok"][data.tokens] + params["E_pos"]  # (B, T, d_model)
    _, A = helpers.multi_head_attention(X, params["W_q"], params["W_k"], params["W_v"], params["W_o"], 2,
                                        mask=helpers.causal_mask(8))
    np.testing.assert_allclose(cache["A"], A, rtol=1e-12, atol=1e-14)


def test_forward_keeps_float32():
    params = {k: v.astype(np.float32) for k, v in small_model().items()}
    data = make_task(3, seed=0)
    logits, cache = forward(params, data.tokens, data.lengths, 2)
    assert logits.dtype == np.float32 and cache["A"].dtype == np.float32


def test_head_mask_removes_exactly_that_heads_term():
    # Z_f = Σ_h Z_h W_O^h (notebook 08): removing head 1 leaves head 0's term alone
    params = small_model()
    data = make_task(6, seed=3)
    _, cache = forward(params, data.tokens, data.lengths, 2)
    logits0, _ = forward(params, data.tokens, data.lengths, 2, head_mask=[1.0, 0.0])
    W_o0 = params["W_o"][:4]  # rows of W_O that head 0 multiplies (d_head = 4)
    Zh = cache["A"] @ helpers.split_heads(cache["X"] @ params["W_v"], 2)  # (B, 2, T, 4)
    rows = np.arange(6)
    h = Zh[rows, 0, data.lengths - 1] @ W_o0  # (B, 4) @ (4, 8)
    expected = (h @ params["W_r"] + params["b_r"]).reshape(6, 2, 3)
    np.testing.assert_allclose(logits0, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- gradients, against finite differences


def numerical_grads(params, data, n_heads, head_mask=None):
    """Central differences (f(p + ε) − f(p − ε)) / 2ε for every entry of every weight."""
    out = {}
    for name in PARAM_NAMES:
        p = params[name]
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + EPS
            up, _ = loss_and_grads(params, data, n_heads, head_mask)
            p[idx] = old - EPS
            down, _ = loss_and_grads(params, data, n_heads, head_mask)
            p[idx] = old
            g[idx] = (up - down) / (2 * EPS)
        out[name] = g
    return out


def relative_error(a, b):
    """‖a − b‖ / (‖a‖ + ‖b‖): 0 when equal, 1 when unrelated."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


@pytest.mark.parametrize(
    "d_model, n_heads, seed, head_mask",
    [(8, 2, 0, None), (12, 3, 1, None), (8, 1, 2, None), (8, 2, 3, [0.0, 1.0])],
)
def test_every_gradient_matches_finite_differences(d_model, n_heads, seed, head_mask):
    params = small_model(d_model, n_heads, seed)
    data = make_task(6, seed=100 + seed)
    _, grads = loss_and_grads(params, data, n_heads, head_mask)
    numeric = numerical_grads(params, data, n_heads, head_mask)
    for name in PARAM_NAMES:
        assert grads[name].shape == params[name].shape
        assert np.linalg.norm(numeric[name]) > 1e-8, f"{name}: the test would compare zeros"
        err = relative_error(grads[name], numeric[name])
        assert err < REL_TOL, f"{name}: relative error {err:.2e} (d_model {d_model}, n_heads {n_heads})"


def test_removed_head_gets_no_gradient():
    params = small_model()
    data = make_task(6, seed=4)
    _, grads = loss_and_grads(params, data, 2, head_mask=[1.0, 0.0])
    for name in ("W_q", "W_k", "W_v"):
        assert np.all(grads[name][:, 4:] == 0), name  # head 1's columns
        assert np.any(grads[name][:, :4] != 0), name
    assert np.all(grads["W_o"][4:] == 0)


def softmax_loop(row):
    """Softmax of one list; -inf entries get 0."""
    m = max(s for s in row if s != -math.inf)
    e = [math.exp(s - m) if s != -math.inf else 0.0 for s in row]
    total = sum(e)
    return [x / total for x in e]


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 6)])
def test_softmax_backward_matches_the_jacobian_loop_and_finite_differences(shape):
    rng = np.random.default_rng(len(shape))
    S = rng.standard_normal(shape) * 2
    if len(shape) > 1:
        S[..., 0, -1] = -np.inf  # a masked score, as in causal attention
    dA = rng.standard_normal(shape)
    rows = S.reshape(-1, shape[-1])
    A = np.array([softmax_loop(r.tolist()) for r in rows]).reshape(shape)
    got = softmax_backward(A, dA)
    # the Jacobian, entry by entry: ∂a_j/∂s_k = a_j (δ_jk − a_k); dS_k = Σ_j dA_j ∂a_j/∂s_k
    expected = np.zeros(rows.shape)
    for r, (a, da) in enumerate(zip(A.reshape(rows.shape).tolist(), dA.reshape(rows.shape).tolist())):
        for k in range(len(a)):
            expected[r, k] = sum(da[j] * a[j] * ((j == k) - a[k]) for j in range(len(a)))
    np.testing.assert_allclose(got.reshape(rows.shape), expected, rtol=1e-12, atol=1e-14)
    # and against central differences of f(S) = Σ dA ⊙ softmax(S)
    def f(S_):
        return float(np.sum(dA.reshape(rows.shape) * np.array([softmax_loop(r) for r in S_.tolist()])))
    fd = np.zeros(rows.shape)
    for idx in np.ndindex(rows.shape):
        if rows[idx] == -np.inf:
            continue  # a masked score is a constant: its gradient is 0
        up, down = rows.copy(), rows.copy()
        up[idx] += EPS
        down[idx] -= EPS
        fd[idx] = (f(up) - f(down)) / (2 * EPS)
    assert relative_error(got.reshape(rows.shape), fd) < REL_TOL
    if len(shape) > 1:
        assert np.all(got[..., 0, -1] == 0)


def test_cross_entropy_against_loops_and_finite_differences():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((4, 2, 3)) * 3
    targets = rng.integers(0, 3, size=(4, 2))
    loss, dlogits = cross_entropy(logits, targets)
    total = 0.0
    for b in range(4):
        for a in range(2):
            row = logits[b, a].tolist()
            total -= math.log(softmax_loop(row)[targets[b, a]])
    assert math.isclose(loss, total / 8, rel_tol=1e-12)
    per_answer = answer_losses(logits, targets)
    assert np.isclose(per_answer.mean(), loss, rtol=1e-12)
    fd = np.zeros_like(logits)
    for idx in np.ndindex(logits.shape):
        up, down = logits.copy(), logits.copy()
        up[idx] += EPS
        down[idx] -= EPS
        fd[idx] = (cross_entropy(up, targets)[0] - cross_entropy(down, targets)[0]) / (2 * EPS)
    assert relative_error(dlogits, fd) < REL_TOL
    with pytest.raises(ValueError, match="targets of shape"):
        cross_entropy(logits, targets[:, 0])


# ---------------------------------------------------------------- training


def test_training_is_deterministic():
    c = Config(steps=25)
    a, b = train(c), train(c)
    for name in PARAM_NAMES:
        assert np.array_equal(a.params[name], b.params[name]), name
    assert np.array_equal(a.loss_history, b.loss_history)
    assert weights_checksum(a.params) == weights_checksum(b.params)
    assert weights_checksum(train(Config(steps=25, seed=1)).params) != weights_checksum(a.params)


def test_progress_callback_sees_every_tenth_step_and_the_last():
    seen = []
    train(Config(steps=25), on_step=lambda step, steps, loss: seen.append((step, steps, round(loss, 12))), every=10)
    assert [s for s, _, _ in seen] == [10, 20, 25] and all(n == 25 for _, n, _ in seen)
    assert all(loss > 0 for _, _, loss in seen)


def test_stored_weights_are_what_training_produces():
    # trains the stored Config from scratch (about a second) and compares with data/trained_heads.npz
    stored = load_weights(STORED)
    fresh = train(stored.config)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(fresh.params[name], stored.params[name], rtol=0, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(fresh.loss_history, stored.loss_history, rtol=0, atol=1e-9)


def test_stored_weights_checksum_is_the_one_notebook_09_quotes():
    assert weights_checksum(load_weights(STORED).params) == "59f9928a3629d374"


# ---------------------------------------------------------------- the other models of notebook 09, section 8


def test_stored_variants_hold_exactly_the_variant_configs():
    stored = training.load_variants(STORED_VARIANTS)
    assert {name: m.config for name, m in stored.items()} == training.variant_configs()


@pytest.mark.parametrize("name", ["one_head", "four_heads", "seed1"])
def test_stored_variants_are_what_training_produces(name):
    # retrains three of the seven stored models (about a second each); the others differ only in seed or steps
    stored = training.load_variants(STORED_VARIANTS)[name]
    fresh = train(stored.config)
    for k in PARAM_NAMES:
        np.testing.assert_allclose(fresh.params[k], stored.params[k], rtol=0, atol=1e-9, err_msg=f"{name} {k}")
    np.testing.assert_allclose(fresh.loss_history, stored.loss_history, rtol=0, atol=1e-9)


def test_one_head_learns_one_relationship_and_stays_at_chance_on_the_other():
    # the claims of notebook 09 section 8, checked on the stored models with a test set of their own
    stored = training.load_variants(STORED_VARIANTS)
    test = make_task(1000, seed=2027)
    learned = {}
    for name in ("one_head", "one_head_seed1", "one_head_600_steps"):
        a = accuracy(stored[name].params, test, 1)
        good, bad = sorted(training.ANSWERS, key=lambda k: -a[k])
        assert a[good] > 0.99 and a[bad] < 0.45, (name, a)
        learned[name] = good
    assert learned == {"one_head": "same shape", "one_head_seed1": "previous token",
                       "one_head_600_steps": "same shape"}
    for seed in (1, 2, 3):  # two heads with the same number of weights: both answers
        assert accuracy(stored[f"seed{seed}"].params, test, 2)["both"] > 0.99
        assert sorted(head_roles(stored[f"seed{seed}"].params, test, 2)) == ["previous token", "same shape"]


def test_four_heads_share_the_same_shape_job():
    four = training.load_variants(STORED_VARIANTS)["four_heads"]
    test = make_task(1000, seed=2027)
    rows = training.ablation(four.params, test, 4)
    full = rows[0][1]
    assert full["both"] > 0.99
    carriers = [h for h, a in rows[1:] if a["previous token"] < 0.45]
    assert len(carriers) == 1  # one head alone carries "previous token"
    for h, a in rows[1:]:
        assert full["same shape"] - a["same shape"] < 0.2, (h, a)  # no single head carries "same shape"


def test_ablation_report_is_ablation_attention_and_roles():
    stored = load_weights(STORED)
    test = make_task(300, seed=5)
    report = training.ablation_report(stored.params, test, 2)
    assert report["ablation"] == training.ablation(stored.params, test, 2)
    assert np.array_equal(report["attention"], attention_on_targets(stored.params, test, 2))
    assert report["roles"] == head_roles(stored.params, test, 2)


def test_save_load_variants_round_trip_and_errors(tmp_path):
    models = {"a": train(Config(steps=3)), "b_c": train(Config(steps=4, n_heads=1))}
    path = tmp_path / "v.npz"
    training.save_variants(path, models)
    with np.load(path, allow_pickle=False) as npz:
        assert "b_c__E_tok" in npz.files and all(npz[k].dtype != object for k in npz.files)
    loaded = training.load_variants(path)
    assert sorted(loaded) == ["a", "b_c"]
    for name, model in models.items():
        assert loaded[name].config == model.config
        assert all(np.array_equal(loaded[name].params[k], model.params[k]) for k in PARAM_NAMES)
    for bad in ({}, {"a__b": models["a"]}, {"x y": models["a"]}, {"a": "not a model"}):
        with pytest.raises(ValueError):
            training.save_variants(tmp_path / "bad.npz", bad)
    arrays = {f"a__{k}": v for k, v in good_arrays().items()}
    write(tmp_path / "unnamed.npz", E_tok=np.zeros(3), **arrays)
    with pytest.raises(ValueError, match="'E_tok' is not named 'model__array'"):
        training.load_variants(tmp_path / "unnamed.npz")
    arrays.pop("a__W_o")
    write(tmp_path / "missing.npz", **arrays)
    with pytest.raises(ValueError, match=r"model 'a'.*missing array\(s\) \['W_o'\]"):
        training.load_variants(tmp_path / "missing.npz")


def test_train_with_progress_trains_exactly_like_train(capsys):
    shown = training.train_with_progress(Config(steps=12), every=5)
    plain = train(Config(steps=12))
    assert all(np.array_equal(shown.params[k], plain.params[k]) for k in PARAM_NAMES)
    assert np.array_equal(shown.loss_history, plain.loss_history)
    assert "HBox" in capsys.readouterr().out  # outside a notebook, display() prints the widget's repr
    with pytest.raises(ValueError, match="config.steps"):
        training.train_with_progress(Config(steps=0))


def test_load_weights_reads_the_data_folder_by_default():
    assert stored_weights_path() == helpers.data.DATA_DIR / "trained_heads.npz"
    if stored_weights_path().resolve() == STORED.resolve():  # unless ATTENTION_SERIES_DATA points elsewhere
        default, explicit = load_weights(), load_weights(STORED)
        assert all(np.array_equal(default.params[k], explicit.params[k]) for k in PARAM_NAMES)


def test_stored_model_answers_and_its_heads_specialise():
    stored = load_weights(STORED)
    n_heads = stored.config.n_heads
    test = make_task(1000, seed=2026)
    full = accuracy(stored.params, test, n_heads)
    assert full["both"] > 0.99
    no0 = accuracy(stored.params, test, n_heads, head_mask_without(n_heads, 0))
    no1 = accuracy(stored.params, test, n_heads, head_mask_without(n_heads, 1))
    assert no0["previous token"] < 0.45 and no0["same shape"] > 0.99  # head 0 carries "previous token"
    assert no1["same shape"] < 0.45 and no1["previous token"] > 0.99  # head 1 carries "same shape"
    assert head_roles(stored.params, test, n_heads) == ["previous token", "same shape"]
    att = attention_on_targets(stored.params, test, n_heads)
    assert att[0, 0] > 0.9 and att[1, 1] > 0.9


def test_untrained_model_does_not_specialise():
    c = Config()
    test = make_task(1000, seed=2026)
    params = init_params(c)
    assert head_roles(params, test, c.n_heads) == ["unclear", "unclear"]
    assert max(accuracy(params, test, c.n_heads).values()) < 0.5


def test_question_attention_against_loops():
    params = small_model()
    data = make_task(5, seed=8)
    Aq = question_attention(params, data, 2)
    _, cache = forward(params, data.tokens, data.lengths, 2)
    att = attention_on_targets(params, data, 2)
    prev, match = np.zeros(2), np.zeros(2)
    for b in range(5):
        q = int(data.lengths[b]) - 1
        for h in range(2):
            assert np.array_equal(Aq[b, h], cache["A"][b, h, q])
            assert np.all(Aq[b, h, q + 1:] == 0)  # the causal mask: nothing after the question
            prev[h] += cache["A"][b, h, q, q - 1] / 5
            match[h] += cache["A"][b, h, q, data.match_pos[b]] / 5
    np.testing.assert_allclose(att[:, 0], prev, rtol=1e-12)
    np.testing.assert_allclose(att[:, 1], match, rtol=1e-12)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, rtol=1e-12)


# ---------------------------------------------------------------- saving and loading


def tiny_trained():
    return train(Config(steps=5))


def test_save_load_round_trip_without_pickle(tmp_path):
    model = tiny_trained()
    path = tmp_path / "heads.npz"
    save_weights(path, model)
    with np.load(path, allow_pickle=False) as npz:  # readable without pickle, nothing is an object
        assert all(npz[k].dtype != object for k in npz.files)
    loaded = load_weights(path)
    assert isinstance(loaded, TrainedModel) and loaded.config == model.config
    for name in PARAM_NAMES:
        assert np.array_equal(loaded.params[name], model.params[name])
    assert np.array_equal(loaded.loss_history, model.loss_history)


def write(path, **arrays):
    np.savez(path, **arrays)
    return path


def good_arrays():
    model = tiny_trained()
    arrays = dict(model.params)
    arrays["loss_history"] = model.loss_history
    arrays["config_json"] = np.array('{"d_model": 16, "n_heads": 2, "T": 8, "min_len": 5, "batch": 128, '
                                     '"steps": 5, "lr": 0.02, "seed": 0, "data_seed": 1}')
    return arrays


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.pop("W_o"), r"missing array\(s\) \['W_o'\]"),
        (lambda a: a.update(extra=np.zeros(3)), r"unexpected array\(s\) \['extra'\]"),
        (lambda a: a.update(W_q=np.zeros((16, 8))), r"'W_q' has shape \(16, 8\), expected \(16, 16\)"),
        (lambda a: a.update(b_r=np.full(6, np.nan)), "'b_r' contains NaN"),
        (lambda a: a.update(E_pos=np.zeros((8, 16), dtype=np.int64)), "'E_pos' must hold floats"),
        (lambda a: a.update(loss_history=np.zeros(5)), "loss_history must hold finite floats of shape"),
        (lambda a: a.update(config_json=np.array("{not json")), "config_json is not a valid Config"),
        (lambda a: a.update(config_json=np.array('{"d_model": 16, "colour": 1}')), "config_json is not a valid Config"),
        (lambda a: a.update(config_json=np.array('{"d_model": 16, "n_heads": 3}')), "not divisible"),
        (lambda a: a.update(config_json=np.array([1.0, 2.0])), "config_json must be a 0-d text array"),
    ],
)
def test_load_rejects_malformed_files_naming_file_and_problem(tmp_path, change, message):
    arrays = good_arrays()
    change(arrays)
    path = write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=message) as err:
        load_weights(path)
    assert str(path) in str(err.value)


def test_load_rejects_pickled_objects_and_non_npz_files(tmp_path):
    arrays = good_arrays()
    arrays["W_o"] = np.array([{"a": 1}], dtype=object)  # needs pickle to read
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **arrays)
    with pytest.raises(ValueError, match="without pickle") as err:
        load_weights(pickled)
    assert str(pickled) in str(err.value)
    text = tmp_path / "notes.npz"
    text.write_text("these are not weights")
    with pytest.raises(ValueError, match="not a readable .npz archive|without pickle") as err:
        load_weights(text)
    assert str(text) in str(err.value)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single array") as err:
        load_weights(single)
    assert str(single) in str(err.value)
    with pytest.raises(FileNotFoundError, match="nothing_here.npz"):
        load_weights(tmp_path / "nothing_here.npz")


def test_save_rejects_bad_models(tmp_path):
    model = tiny_trained()
    with pytest.raises(ValueError, match="TrainedModel"):
        save_weights(tmp_path / "x.npz", model.params)
    broken = TrainedModel({**model.params, "W_k": np.zeros((3, 3))}, model.config, model.loss_history)
    with pytest.raises(ValueError, match="'W_k' has shape"):
        save_weights(tmp_path / "x.npz", broken)
    short = TrainedModel(model.params, model.config, model.loss_history[:2])
    with pytest.raises(ValueError, match="loss_history"):
        save_weights(tmp_path / "x.npz", short)

