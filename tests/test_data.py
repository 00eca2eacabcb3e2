"""helpers/data.py and data/: the shipped files against the spec, make_data.py byte for byte, every error path.

References are independent of the loaders: token lists and indices written out by hand from the
slides, scores and softmax as explicit Python loops, tokens located in the text with str.find.
"""

import json
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import helpers.data as hd
from helpers import (
    DATA_DIR,
    Relationship,
    Sentence,
    embed,
    embedding_sizes,
    get_sentence,
    load_embeddings,
    load_sentences,
    load_vocab,
    load_worked_example,
    tokenize,
)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data"
MADE = [  # every file data/make_data.py writes
    "action_gets_results.json",
    "embeddings_d512.npy",
    "embeddings_d8.npy",
    "sentences.json",
    "vocab.json",
]
KINDS = {"coreference", "spatial", "possession", "subject-verb-object", "verb-complement", "time", "context"}


def by_kind(sentence, kind):
    """The (source word, target word) pairs of one kind, read through the indices."""
    return [(sentence.tokens[r.source], sentence.tokens[r.target])
            for r in sentence.relationships if r.kind == kind]


# ---------------------------------------------------------------- the shipped sentences


def test_data_dir_is_the_repository_data_folder():
    override = os.environ.get("ATTENTION_SERIES_DATA")
    assert DATA_DIR == (Path(override).resolve() if override else SHIPPED)
    assert all((DATA_DIR / name).is_file() for name in MADE)


def test_required_sentences_their_text_seed_and_tokens():
    expected = {
        "action_gets_results": ("001", "Action gets results", ["Action", "gets", "results"]),
        "kids_lions": ("001", "The kids were scared of the lions, so they left right away.",
                       ["The", "kids", "were", "scared", "of", "the", "lions", "so", "they", "left",
                        "right", "away"]),
        "keys_sarah": ("002", "Keys on the table belong to Sarah.",
                       ["Keys", "on", "the", "table", "belong", "to", "Sarah"]),
        "love_apple": ("002", "Love Apple phones", ["Love", "Apple", "phones"]),
    }
    sentences = {s.id: s for s in load_sentences()}
    for sid, (seed, text, tokens) in expected.items():
        s = sentences[sid]
        assert isinstance(s, Sentence)
        assert (s.seed, s.text, s.tokens) == (seed, text, tuple(tokens)), sid
    assert len(sentences) == len(load_sentences())  # ids are unique


def test_every_sentence_tokens_are_the_words_of_its_text_in_order():
    for s in load_sentences():
        assert s.tokens and isinstance(s.tokens, tuple)
        rest, pos = [], 0
        for token in s.tokens:
            at = s.text.find(token, pos)
            assert at >= 0, (s.id, token)
            rest.append(s.text[pos:at])
            pos = at + len(token)
        rest.append(s.text[pos:])
        leftover = "".join(rest)  # what is not a token: spaces and punctuation only
        assert not any(ch.isalnum() for ch in leftover), (s.id, leftover)
        assert s.seed in {"000", "001", "002", "003", "004"}


def test_kids_lions_they_refers_to_kids_and_lions_is_the_distractor():
    s = get_sentence("kids_lions")
    (rel,) = [r for r in s.relationships if r.kind == "coreference"]
    assert isinstance(rel, Relationship)
    assert (rel.source, rel.target) == (8, 1)
    assert (s.tokens[rel.source], s.tokens[rel.target]) == ("they", "kids")
    assert "lions" in rel.description and "distractor" in rel.description


def test_keys_sarah_spatial_possession_and_subject_verb_object():
    s = get_sentence("keys_sarah")
    assert by_kind(s, "spatial") == [("Keys", "table")]
    assert by_kind(s, "possession") == [("Keys", "Sarah")]
    assert by_kind(s, "subject-verb-object") == [("Keys", "belong")]  # Keys is the subject of belong
    # belong takes no object: Sarah is the object of the preposition "to" (expert review B7)
    assert by_kind(s, "verb-complement") == [("belong", "Sarah")]
    assert {(r.source, r.target) for r in s.relationships} == {(0, 3), (0, 6), (0, 4), (4, 6)}


def test_love_apple_context_decides_the_meaning():
    s = get_sentence("love_apple")
    assert by_kind(s, "context") == [("Apple", "phones")]
    (rel,) = s.relationships
    assert "company" in rel.description and "context" in rel.description


def test_long_paragraphs_of_seed_002():
    keys = get_sentence("keys_sarah_paragraph")
    assert keys.seed == "002" and keys.text.startswith("Keys on the table belong to Sarah. She must")
    assert by_kind(keys, "coreference").count(("them", "Keys")) == 4
    assert ("She", "Sarah") in by_kind(keys, "coreference")
    apple = get_sentence("apple_iphone_paragraph")
    assert apple.seed == "002" and "Apple iPhone" in apple.text
    assert ("Apple", "iPhone") in by_kind(apple, "context")


def test_every_relationship_is_well_formed():
    for s in load_sentences():
        for r in s.relationships:
            assert 0 <= r.source < len(s.tokens) and 0 <= r.target < len(s.tokens), s.id
            assert r.source != r.target
            assert r.kind in KINDS, r.kind
            assert r.description and "\n" not in r.description


def test_sentence_and_relationship_are_frozen():
    s = get_sentence("love_apple")
    with pytest.raises(AttributeError):
        s.text = "changed"
    with pytest.raises(AttributeError):
        s.relationships[0].source = 0


def test_get_sentence_unknown_id_lists_the_known_ids():
    with pytest.raises(ValueError, match="unknown sentence id 'kids'") as err:
        get_sentence("kids")
    for s in load_sentences():
        assert s.id in str(err.value)


def test_tokenize_drops_punctuation_and_keeps_case():
    assert tokenize("The kids, so they left.") == ["The", "kids", "so", "they", "left"]
    assert tokenize("Hopefully, she'll remember.") == ["Hopefully", "she'll", "remember"]
    with pytest.raises(ValueError, match="expects a string"):
        tokenize(["The"])


# ---------------------------------------------------------------- vocabulary and embeddings


def test_vocab_is_exactly_the_lower_case_words_sorted():
    vocab = load_vocab()
    words = set()
    for s in load_sentences():
        words |= {t.lower() for t in s.tokens}
    words |= {t.lower() for t in load_worked_example().tokens}
    assert vocab == sorted(words)  # covers every token, nothing else, sorted, unique
    assert all(w == w.lower() for w in vocab)


@pytest.mark.parametrize("d_model", [8, 512])
def test_embedding_tables_shape_dtype_and_finite(d_model):
    table = load_embeddings(d_model)
    assert table.shape == (len(load_vocab()), d_model)
    assert table.dtype == np.float32
    assert np.isfinite(table).all()
    raw = np.load(SHIPPED / f"embeddings_d{d_model}.npy", allow_pickle=False)
    assert np.array_equal(raw, table)


@pytest.mark.parametrize("d_model", [8, 512])
def test_embedding_tables_are_the_documented_seeded_draw(d_model):
    # data/README.md promises exactly this recipe: untrained standard-normal numbers
    V = len(load_vocab())
    expected = np.random.default_rng([2017, d_model]).standard_normal((V, d_model)).astype(np.float32)
    assert np.array_equal(load_embeddings(d_model), expected)


def test_embedding_statistics_motivate_sqrt_d_k():
    table = load_embeddings(512).astype(np.float64)
    assert abs(table.mean()) < 0.02 and abs(table.var() - 1.0) < 0.05
    x = table[:, :64]  # d_k = 64 entries per vector
    dots = [float(np.dot(x[i], x[j])) for i in range(len(x)) for j in range(i + 1, len(x))]
    var = sum(d * d for d in dots) / len(dots) - (sum(dots) / len(dots)) ** 2
    assert 48 < var < 80  # ≈ d_k = 64


def test_embed_is_case_insensitive_so_position_is_not_in_X():
    X = embed(["The", "the", "kids"])
    assert X.shape == (3, 512) and X.dtype == np.float32
    assert np.array_equal(X[0], X[1])
    assert not np.array_equal(X[0], X[2])


@pytest.mark.parametrize("d_model", [8, 512])
def test_embed_rows_are_the_table_rows_of_the_words(d_model):
    vocab, table = load_vocab(), load_embeddings(d_model)
    tokens = get_sentence("kids_lions").tokens
    X = embed(tokens, d_model=d_model)
    assert X.shape == (len(tokens), d_model) and X.dtype == np.float32
    for i, token in enumerate(tokens):
        assert np.array_equal(X[i], table[vocab.index(token.lower())])
    X[0] = 0.0  # a fresh copy: the next call is unaffected
    assert np.array_equal(embed(tokens[:1], d_model=d_model)[0], table[vocab.index("the")])


def test_embed_accepts_any_sequence_of_strings():
    assert np.array_equal(embed(("Love", "Apple", "phones"), d_model=8),
                          embed(iter(["love", "APPLE", "Phones"]), d_model=8))
    assert embedding_sizes() == [8, 512]


def test_embed_unknown_word_names_it_and_lists_the_known_words():
    with pytest.raises(ValueError, match="unknown word.*'zebra'") as err:
        embed(["The", "zebra", "left"])
    msg = str(err.value)
    assert "'The'" not in msg.split("known words")[0]  # only the unknown word is named
    for word in load_vocab():
        assert word in msg


@pytest.mark.parametrize(
    "tokens, fragment",
    [([], "empty"), ("Action gets results", "not the string"), (["Action", 3], "token 1 must be a string"),
     (42, "list of tokens")],
)
def test_embed_bad_tokens(tokens, fragment):
    with pytest.raises(ValueError, match=fragment):
        embed(tokens)


@pytest.mark.parametrize("d_model", [64, 0, 8.0, True, "512"])
def test_embed_unsupported_d_model_lists_the_stored_sizes(d_model):
    with pytest.raises(ValueError, match=r"\[8, 512\]"):
        embed(["Action"], d_model=d_model)


# ---------------------------------------------------------------- the worked example


def loop_attention(Q, K, V):
    """Scaled scores, softmax and z_i as plain Python loops over lists, straight from the formula."""
    d_k = len(K[0])
    S = [[sum(q[d] * k[d] for d in range(d_k)) / math.sqrt(d_k) for k in K] for q in Q]
    A = []
    for row in S:
        e = [math.exp(s - max(row)) for s in row]
        A.append([x / sum(e) for x in e])
    Z = [[sum(a[j] * V[j][c] for j in range(len(V))) for c in range(len(V[0]))] for a in A]
    return S, A, Z


def matmul(A, B):
    """A @ B as loops over lists."""
    return [[sum(a[k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for a in A]


def test_worked_example_shapes_dtype_and_small_integers():
    w = load_worked_example()
    tokens, X, W_Q, W_K, W_V = w  # unpacks like a tuple
    assert tokens == ("Action", "gets", "results")
    assert X.shape == (3, 4) and W_Q.shape == W_K.shape == W_V.shape == (4, 4)
    assert w.d_k == 4 and math.sqrt(w.d_k) == 2.0
    for M in (X, W_Q, W_K, W_V):
        assert M.dtype == np.float64
        assert np.array_equal(M, np.round(M)) and np.abs(M).max() <= 2
    everything = np.concatenate([M.ravel() for M in (X, W_Q, W_K, W_V)])
    assert np.isin(everything, [0, 1, 2]).mean() > 0.9  # mostly 0, 1, 2
    assert all(t.lower() in load_vocab() for t in tokens)


def test_worked_example_q_k_v_are_small_integers_and_scores_differ():
    w = load_worked_example()
    X, W_Q, W_K, W_V = (M.tolist() for M in (w.X, w.W_Q, w.W_K, w.W_V))
    Q, K, V = matmul(X, W_Q), matmul(X, W_K), matmul(X, W_V)
    for M in (Q, K, V):
        assert all(float(v).is_integer() and abs(v) <= 4 for row in M for v in row)
    S, A, _ = loop_attention(Q, K, V)
    assert S == [[0, 1, 3], [1, 3, 4], [2, 4, 3]]  # the table in data/README.md
    for row_S, row_A in zip(S, A):
        assert len(set(row_S)) == 3  # the three scores of each query word differ
        assert max(row_A) - min(row_A) > 0.5  # far from uniform (1/3 each)
        assert math.isclose(sum(row_A), 1.0)
    assert [max(range(3), key=row.__getitem__) for row in A] == [2, 2, 1]  # results, results, gets


def test_worked_example_agrees_with_the_helpers_attention():
    import helpers

    w = load_worked_example()
    Q, K, V = w.X @ w.W_Q, w.X @ w.W_K, w.X @ w.W_V  # (3, 4) @ (4, 4) -> (3, 4)
    Z, A = helpers.scaled_dot_product_attention(Q, K, V)
    S_loop, A_loop, Z_loop = loop_attention(Q.tolist(), K.tolist(), V.tolist())
    np.testing.assert_allclose(A, A_loop, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z, Z_loop, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(A[1], [0.0351, 0.2595, 0.7054], atol=5e-5)  # "focus on the 2nd element"


def test_worked_example_note():
    doc = json.loads((SHIPPED / "action_gets_results.json").read_text(encoding="utf-8"))
    assert "not learned" in doc["note"] and "√d_k = 2" in doc["note"] and "score / 8" in doc["note"]


# ---------------------------------------------------------------- make_data.py and DATA_DIR


def test_make_data_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    out = tmp_path / "rebuilt"
    run = subprocess.run([sys.executable, str(SHIPPED / "make_data.py"), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == MADE
    for name in MADE:
        assert (out / name).read_bytes() == (SHIPPED / name).read_bytes(), name
        assert name in run.stdout  # it prints each file with its sha256


def test_the_readme_names_every_file():
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    for name in MADE:
        assert f"`{name}`" in readme
    assert "untrained" in readme.lower()


@pytest.fixture
def data_copy(tmp_path):
    """A copy of the shipped files in tmp_path/data, to corrupt one at a time."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in MADE:
        shutil.copy(SHIPPED / name, folder / name)
    return folder


def test_loaders_read_another_folder(data_copy, monkeypatch):
    assert load_vocab(data_copy) == load_vocab()
    monkeypatch.setattr(hd, "DATA_DIR", data_copy)
    (data_copy / "vocab.json").write_text('["only"]', encoding="utf-8")
    assert load_vocab() == ["only"]


def test_environment_variable_overrides_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTENTION_SERIES_DATA", str(tmp_path))
    assert hd._default_data_dir() == tmp_path.resolve()
    monkeypatch.delenv("ATTENTION_SERIES_DATA")
    assert hd._default_data_dir() == SHIPPED


def test_a_missing_file_says_how_to_rebuild_it(data_copy):
    (data_copy / "sentences.json").unlink()
    with pytest.raises(FileNotFoundError, match="sentences.json.*make_data.py"):
        load_sentences(data_copy)


# ---------------------------------------------------------------- malformed files -> ValueError


def edit_json(folder, name, change):
    """Load a JSON file, let `change` edit the document in place, write it back."""
    path = folder / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def first(doc):
    """The first sentence of a sentences.json document (action_gets_results)."""
    return doc["sentences"][0]


def kids(doc):
    """The kids_lions entry of a sentences.json document."""
    return next(s for s in doc["sentences"] if s["id"] == "kids_lions")


def rel(doc):
    """The coreference relationship of kids_lions."""
    return kids(doc)["relationships"][0]


SENTENCE_CASES = {
    "sentences not a list": (lambda d: d.__setitem__("sentences", None), "'sentences' must be a list, got null"),
    "missing sentences": (lambda d: d.pop("sentences"), "missing the key 'sentences'"),
    "empty sentences": (lambda d: d["sentences"].clear(), "'sentences' is empty"),
    "sentence not an object": (lambda d: d["sentences"].__setitem__(0, "Action"), "sentence 0 must be an object"),
    "missing text": (lambda d: first(d).pop("text"), "'action_gets_results'.*missing the key 'text'"),
    "missing relationships": (lambda d: first(d).pop("relationships"), "missing the key 'relationships'"),
    "id not a string": (lambda d: first(d).__setitem__("id", 7), "'id' must be a string"),
    "empty id": (lambda d: first(d).__setitem__("id", ""), "'id' is empty"),
    "seed not a string": (lambda d: first(d).__setitem__("seed", 1), "'seed' must be a string"),
    "seed not three digits": (lambda d: first(d).__setitem__("seed", "1"), "three digits"),
    "tokens a string": (lambda d: first(d).__setitem__("tokens", "Action gets results"), "'tokens' must be a list"),
    "empty tokens": (lambda d: first(d).__setitem__("tokens", []), "'tokens' is empty"),
    "token not a string": (lambda d: first(d)["tokens"].__setitem__(1, 2), "token 1 must be a string"),
    "token differs from text": (lambda d: kids(d)["tokens"].__setitem__(6, "tigers"),
                                "do not match the text.*token 6: 'tigers' where the text has 'lions'"),
    "token missing": (lambda d: kids(d)["tokens"].pop(), "do not match the text: 11 tokens given.*12 words"),
    "token with punctuation": (lambda d: kids(d)["tokens"].__setitem__(11, "away."), "do not match the text"),
    "lower-cased token": (lambda d: kids(d)["tokens"].__setitem__(0, "the"), "token 0: 'the' where the text has 'The'"),
    "duplicate id": (lambda d: d["sentences"].append(dict(kids(d))), "'kids_lions' appears more than once"),
    "relationship not an object": (lambda d: kids(d)["relationships"].__setitem__(0, [8, 1]),
                                   "relationship 0 must be an object"),
    "source out of range": (lambda d: rel(d).__setitem__("source", 12),
                            "source index 12 is out of range for 12 tokens"),
    "negative target": (lambda d: rel(d).__setitem__("target", -1), "target index -1 is out of range"),
    "source a boolean": (lambda d: rel(d).__setitem__("source", True), "'source' must be an integer"),
    "target a float": (lambda d: rel(d).__setitem__("target", 1.0), "'target' must be an integer"),
    "missing kind": (lambda d: rel(d).pop("kind"), "missing the key 'kind'"),
    "missing target_token": (lambda d: rel(d).pop("target_token"), "missing the key 'target_token'"),
    "index and token disagree": (lambda d: rel(d).__setitem__("target", 6),
                                 "target index 6 is the token 'lions', but target_token says 'kids'"),
    "source is target": (lambda d: rel(d).update(target=8, target_token="they"), "source and target are the same"),
    "empty description": (lambda d: rel(d).__setitem__("description", ""), "must not be empty"),
}


@pytest.mark.parametrize("case", SENTENCE_CASES, ids=list(SENTENCE_CASES))
def test_malformed_sentences_file(data_copy, case):
    change, fragment = SENTENCE_CASES[case]
    edit_json(data_copy, "sentences.json", change)
    with pytest.raises(ValueError, match="sentences.json") as err:
        load_sentences(data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)
    with pytest.raises(ValueError, match="sentences.json"):
        get_sentence("kids_lions", data_copy)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"sentences": [', "invalid JSON"),
        ('{"sentences": [{"id": "a", "source": NaN}]}', "invalid JSON.*NaN"),
        ("[]", "expected a JSON object"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
    ],
)
def test_sentences_file_that_is_not_json(data_copy, text, fragment):
    path = data_copy / "sentences.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ValueError, match="sentences.json") as err:
        load_sentences(data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("[", "invalid JSON"),
        ('{"words": ["a"]}', "expected a JSON list"),
        ("[]", "vocabulary is empty"),
        ('["action", 3]', "entry 1 must be a non-empty string"),
        ('["action", ""]', "entry 1 must be a non-empty string"),
        ('["Action", "gets"]', "entry 0 'Action' is not lower-case"),
        ('["gets", "action"]', "not sorted: 'gets' \\(entry 0\\) comes before 'action'"),
        ('["action", "action"]', "'action' appears more than once"),
    ],
)
def test_malformed_vocab_file(data_copy, content, fragment):
    (data_copy / "vocab.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="vocab.json") as err:
        load_vocab(data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)
    with pytest.raises(ValueError, match="vocab.json"):
        embed(["action"], d_model=8, data_dir=data_copy)


def corrupt_table(table):
    """The ways an embedding table can be wrong, each as (array to save, expected message)."""
    V = len(table)
    nan, inf = table.copy(), table.copy()
    nan[5, 3] = np.nan
    inf[2, 0] = -np.inf
    return {
        "row missing": (table[:-1], f"{V - 1} rows but vocab.json has {V} words"),
        "row extra": (np.vstack([table, table[:1]]), f"{V + 1} rows but vocab.json has {V} words"),
        "1-D": (table.ravel(), "must be 2-D"),
        "3-D": (table[None], "must be 2-D"),
        "float64": (table.astype(np.float64), "must be float32, got dtype float64"),
        "float16": (table.astype(np.float16), "must be float32, got dtype float16"),
        "NaN": (nan, "NaN or inf .*row 5 .*column 3"),
        "inf": (inf, "NaN or inf .*row 2 .*column 0"),
        "too wide": (np.hstack([table, table]),
                     f"the file name says d_model = 8 but the table has shape \\({V}, 16\\)"),
    }


CASES_TABLE = list(corrupt_table(np.zeros((95, 8), np.float32)))


@pytest.mark.parametrize("case", CASES_TABLE)
def test_malformed_embedding_table(data_copy, case):
    path = data_copy / "embeddings_d8.npy"
    bad, fragment = corrupt_table(np.load(path, allow_pickle=False))[case]
    np.save(path, bad, allow_pickle=False)
    with pytest.raises(ValueError, match="embeddings_d8.npy") as err:
        embed(["Action", "gets", "results"], d_model=8, data_dir=data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)
    with pytest.raises(ValueError, match="embeddings_d8.npy"):
        load_embeddings(8, data_copy)
    assert embed(["Action"], d_model=512, data_dir=data_copy).shape == (1, 512)  # the other table still loads


@pytest.mark.parametrize(
    "write, fragment",
    [
        (lambda p: np.save(p, np.array([{"a": 1}] * 95, dtype=object), allow_pickle=True), "pickle"),
        (lambda p: p.write_bytes(pickle.dumps([[0.0] * 8] * 95)), "pickle"),
        (lambda p: p.write_bytes(b"this is not a numpy file"), "could not be read as a .npy array"),
        (lambda p: p.write_bytes(p.read_bytes()[:200]), "could not be read as a .npy array"),
        (lambda p: np.savez(p.with_suffix(".tmp.npz"), x=np.zeros((95, 8), np.float32))
         or p.with_suffix(".tmp.npz").replace(p), "expected a single .npy array"),
    ],
    ids=["object array", "plain pickle", "garbage", "truncated", "npz archive"],
)
def test_embedding_file_that_is_not_a_plain_npy_array(data_copy, write, fragment):
    path = data_copy / "embeddings_d8.npy"
    write(path)
    with pytest.raises(ValueError, match="embeddings_d8.npy") as err:
        load_embeddings(8, data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)


def test_unsupported_d_model_lists_the_sizes_found_in_the_folder(data_copy):
    (data_copy / "embeddings_d8.npy").unlink()
    with pytest.raises(ValueError, match=r"no embedding table for d_model = 8; stored sizes: \[512\]"):
        embed(["Action"], d_model=8, data_dir=data_copy)


WORKED_CASES = {
    "missing note": (lambda d: d.pop("note"), "missing the key 'note'"),
    "missing W_V": (lambda d: d.pop("W_V"), "missing the key 'W_V'"),
    "missing d_k": (lambda d: d.pop("d_k"), "missing the key 'd_k'"),
    "X a string": (lambda d: d.__setitem__("X", "[[1, 1, 0, 0]]"), "'X' must be a list"),
    "d_k a float": (lambda d: d.__setitem__("d_k", 4.0), "'d_k' must be an integer"),
    "tokens not strings": (lambda d: d.__setitem__("tokens", ["Action", 2, "results"]),
                           "'tokens' must be a non-empty list"),
    "empty tokens": (lambda d: d.__setitem__("tokens", []), "'tokens' must be a non-empty list"),
    "empty matrix": (lambda d: d.__setitem__("W_Q", []), "W_Q must be a non-empty list of non-empty rows"),
    "row not a list": (lambda d: d["W_K"].__setitem__(0, 1), "W_K must be a non-empty list of non-empty rows"),
    "ragged rows": (lambda d: d["W_V"][2].pop(), r"W_V has rows of different lengths \[4, 4, 3, 4\]"),
    "entry a string": (lambda d: d["X"][1].__setitem__(2, "1"), r"X\[1\]\[2\] must be a number"),
    "entry a boolean": (lambda d: d["W_Q"][0].__setitem__(0, True), r"W_Q\[0\]\[0\] must be a number"),
    "entry null": (lambda d: d["W_Q"][0].__setitem__(0, None), r"W_Q\[0\]\[0\] must be a number"),
    "X rows and tokens": (lambda d: d["X"].pop(), r"X has shape \(2, 4\), one row per token, but there are 3 tokens"),
    "W_Q rows and d_model": (lambda d: d["W_Q"].pop(), r"W_Q has shape \(3, 4\) but X has shape \(3, 4\)"),
    "W_V rows and d_model": (lambda d: d["W_V"].append([0, 0, 0, 0]), r"W_V has shape \(5, 4\)"),
    "W_K and W_Q differ": (lambda d: [row.pop() for row in d["W_K"]],
                           r"W_Q has shape \(4, 4\) and W_K has shape \(4, 3\)"),
    "d_k disagrees": (lambda d: d.__setitem__("d_k", 64), "'d_k' is 64 but W_Q and W_K have shape \\(4, 4\\)"),
}


@pytest.mark.parametrize("case", WORKED_CASES, ids=list(WORKED_CASES))
def test_malformed_worked_example(data_copy, case):
    change, fragment = WORKED_CASES[case]
    edit_json(data_copy, "action_gets_results.json", change)
    with pytest.raises(ValueError, match="action_gets_results.json") as err:
        load_worked_example(data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"X": [[1, 2]', "invalid JSON"),
        ('[[1, 0], [0, 1]]', "expected a JSON object"),
        ('{"X": [[Infinity]]}', "invalid JSON.*Infinity"),
    ],
)
def test_worked_example_file_that_is_not_json(data_copy, text, fragment):
    (data_copy / "action_gets_results.json").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="action_gets_results.json") as err:
        load_worked_example(data_copy)
    assert re.search(fragment, str(err.value)), str(err.value)


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1" + "0" * 400])
def test_worked_example_number_too_large(data_copy, number):
    path = data_copy / "action_gets_results.json"
    path.write_text(path.read_text(encoding="utf-8").replace("[2, 0, 0, -1]", f"[{number}, 0, 0, -1]"),
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"action_gets_results.json: W_K\[1\]\[0\] is .*not a finite number"):
        load_worked_example(data_copy)
