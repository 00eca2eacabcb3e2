"""Notebook 12: where heads look in a text, the pronoun evaluation set, and what each head mostly does.

Every function takes the RunResult of PretrainedEncoder.run (model.py) or the model itself: nothing here
knows how the encoder computes.
"""

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ...data import DATA_DIR

__all__ = [
    "KEY_ROLES",
    "PronounItem",
    "key_role_shares",
    "load_pronoun_eval",
    "pronoun_baselines",
    "pronoun_head_scores",
    "rank_heads",
    "token_index",
    "word_token_indices",
]


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
