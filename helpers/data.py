"""The series' example sentences, vocabulary, embedding tables and worked example, validated on load.

Files live in the repository's data/ folder (see data/README.md; data/make_data.py rebuilds them).
The embedding tables are UNTRAINED: seeded standard-normal random numbers, not learned vectors.
Every loader checks what it reads and raises ValueError naming the file and the problem.
"""

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DATA_DIR",
    "embed",
    "embedding_sizes",
    "EMBEDDINGS_PATTERN",
    "ENV_VAR",
    "get_sentence",
    "load_embeddings",
    "load_sentences",
    "load_vocab",
    "load_worked_example",
    "Relationship",
    "Sentence",
    "SENTENCES_FILE",
    "TOKEN_PATTERN",
    "tokenize",
    "VOCAB_FILE",
    "WORKED_EXAMPLE_FILE",
    "WorkedExample",
]

ENV_VAR = "ATTENTION_SERIES_DATA"
SENTENCES_FILE = "sentences.json"
VOCAB_FILE = "vocab.json"
WORKED_EXAMPLE_FILE = "action_gets_results.json"
EMBEDDINGS_PATTERN = re.compile(r"^embeddings_d(\d+)\.npy$")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")  # words, with inner apostrophes (she'll)


def _default_data_dir():
    """The data folder: $ATTENTION_SERIES_DATA if set, else data/ beside the helpers package."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


DATA_DIR = _default_data_dir()


@dataclass(frozen=True)
class Relationship:
    """Two tokens a slide links, as indices into Sentence.tokens: source looks for target (notebooks 00, 09)."""

    source: int
    target: int
    kind: str
    description: str


@dataclass(frozen=True)
class Sentence:
    """An example sentence of the slides, its tokens and the relationships the slides point out (notebooks 00, 01)."""

    id: str
    text: str
    seed: str
    tokens: tuple[str, ...]
    relationships: tuple[Relationship, ...]


class WorkedExample(NamedTuple):
    """The hand-checkable "Action gets results" example: tokens, X and integer W_Q, W_K, W_V (notebooks 02-05)."""

    tokens: tuple[str, ...]
    X: np.ndarray
    W_Q: np.ndarray
    W_K: np.ndarray
    W_V: np.ndarray

    @property
    def d_k(self):
        """Width of the queries and keys, W_Q.shape[1] (4 here, so √d_k = 2) (notebook 03)."""
        return int(self.W_Q.shape[1])


def tokenize(text):
    """Split text into words, dropping punctuation and keeping case: "away." -> "away" (notebook 01)."""
    if not isinstance(text, str):
        raise ValueError(f"tokenize expects a string, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(text)


def load_sentences(data_dir=None):
    """The example sentences of the Analytics Vidhya slides and the NIT Sikkim lecture, validated (notebooks 00, 01)."""
    path = _data_path(data_dir, SENTENCES_FILE)
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object with a 'sentences' list, got {_json_type(doc)}")
    items = _field(doc, "sentences", list, path, "the file")
    if not items:
        raise ValueError(f"{path}: 'sentences' is empty")
    sentences, seen = [], set()
    for i, item in enumerate(items):
        sentence = _parse_sentence(item, i, path)
        if sentence.id in seen:
            raise ValueError(f"{path}: sentence id {sentence.id!r} appears more than once")
        seen.add(sentence.id)
        sentences.append(sentence)
    return sentences


def get_sentence(sentence_id, data_dir=None):
    """One example sentence by id, e.g. get_sentence("kids_lions") (notebooks 00, 01)."""
    sentences = load_sentences(data_dir)
    for sentence in sentences:
        if sentence.id == sentence_id:
            return sentence
    known = ", ".join(s.id for s in sentences)
    raise ValueError(f"unknown sentence id {sentence_id!r}; known ids: {known}")


def load_vocab(data_dir=None):
    """The sorted lower-case vocabulary; word i owns row i of every embedding table (notebook 01)."""
    path = _data_path(data_dir, VOCAB_FILE)
    words = _read_json(path)
    if not isinstance(words, list):
        raise ValueError(f"{path}: expected a JSON list of words, got {_json_type(words)}")
    if not words:
        raise ValueError(f"{path}: the vocabulary is empty")
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word:
            raise ValueError(f"{path}: entry {i} must be a non-empty string, got {word!r}")
        if word != word.lower():
            raise ValueError(f"{path}: entry {i} {word!r} is not lower-case (lookup is case-insensitive)")
    for i in range(1, len(words)):
        if words[i] == words[i - 1]:
            raise ValueError(f"{path}: word {words[i]!r} appears more than once (entries {i - 1} and {i})")
        if words[i] < words[i - 1]:
            raise ValueError(
                f"{path}: the words are not sorted: {words[i - 1]!r} (entry {i - 1}) comes before {words[i]!r}"
            )
    return list(words)


def embedding_sizes(data_dir=None):
    """The d_model values that have a stored table embeddings_d{d_model}.npy, sorted (notebook 01)."""
    folder = _data_folder(data_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such data folder (set {ENV_VAR} or run data/make_data.py)")
    sizes = []
    for path in folder.iterdir():
        match = EMBEDDINGS_PATTERN.match(path.name)
        if match and path.is_file():
            sizes.append(int(match.group(1)))
    return sorted(sizes)


def load_embeddings(d_model=512, data_dir=None):
    """The UNTRAINED (V, d_model) float32 table of seeded random vectors, validated (notebook 01)."""
    sizes = embedding_sizes(data_dir)
    if isinstance(d_model, (bool, np.bool_)) or not isinstance(d_model, (int, np.integer)):
        raise ValueError(f"d_model must be an integer, one of the stored sizes {sizes}; got {d_model!r}")
    if int(d_model) not in sizes:
        raise ValueError(f"no embedding table for d_model = {d_model}; stored sizes: {sizes}")
    d_model = int(d_model)
    vocab = load_vocab(data_dir)
    path = _data_path(data_dir, f"embeddings_d{d_model}.npy")
    try:
        table = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{path}: could not be read as a .npy array with allow_pickle=False ({err})") from None
    if not isinstance(table, np.ndarray):
        if hasattr(table, "close"):  # an .npz archive holds an open file
            table.close()
        raise ValueError(f"{path}: expected a single .npy array, got {type(table).__name__}")
    if table.ndim != 2:
        raise ValueError(f"{path}: the table must be 2-D (V, d_model), got shape {table.shape}")
    if table.dtype != np.float32:
        raise ValueError(f"{path}: the table must be float32, got dtype {table.dtype}")
    if table.shape[0] != len(vocab):
        raise ValueError(
            f"{path}: the table has {table.shape[0]} rows but {VOCAB_FILE} has {len(vocab)} words; "
            f"they must match (row i is word i)"
        )
    if table.shape[1] != d_model:
        raise ValueError(f"{path}: the file name says d_model = {d_model} but the table has shape {table.shape}")
    bad = ~np.isfinite(table)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{path}: the table holds NaN or inf ({int(bad.sum())} entries, first at row {row} "
            f"({vocab[row]!r}), column {col})"
        )
    return table


def embed(tokens, d_model=512, data_dir=None):
    """X of shape (T, d_model), float32: the UNTRAINED random vector of each token, case-insensitive (notebook 01)."""
    if isinstance(tokens, str):
        raise ValueError(
            f"embed expects a list of tokens, not the string {tokens!r}; split it first, "
            f"e.g. embed(tokenize(text)) or embed(sentence.tokens)"
        )
    try:
        tokens = list(tokens)
    except TypeError:
        raise ValueError(f"embed expects a list of tokens, got {type(tokens).__name__}") from None
    if not tokens:
        raise ValueError("embed needs at least one token, got an empty list (T = 0)")
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise ValueError(f"token {i} must be a string, got {token!r} ({type(token).__name__})")
    vocab = load_vocab(data_dir)
    row_of = {word: i for i, word in enumerate(vocab)}
    unknown = [t for t in dict.fromkeys(tokens) if t.lower() not in row_of]
    if unknown:
        raise ValueError(
            f"unknown word(s) {', '.join(repr(t) for t in unknown)}: not in {VOCAB_FILE}; "
            f"the {len(vocab)} known words are: {', '.join(vocab)}"
        )
    table = load_embeddings(d_model, data_dir)  # (V, d_model)
    rows = [row_of[t.lower()] for t in tokens]  # "The" and "the" share a row: no position in X yet
    return table[rows]  # (V, d_model)[T rows] -> (T, d_model), a fresh copy


def load_worked_example(data_dir=None):
    """The "Action gets results" tokens, X (3, 4) and W_Q, W_K, W_V (4, 4) as float64 (notebooks 02-05, table in 05)."""
    path = _data_path(data_dir, WORKED_EXAMPLE_FILE)
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object, got {_json_type(doc)}")
    _field(doc, "note", str, path, "the file")
    tokens = _field(doc, "tokens", list, path, "the file")
    if not tokens or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError(f"{path}: 'tokens' must be a non-empty list of non-empty strings, got {tokens!r}")
    d_k = _field(doc, "d_k", int, path, "the file")
    mats = {name: _matrix(_field(doc, name, list, path, "the file"), name, path)
            for name in ("X", "W_Q", "W_K", "W_V")}
    X, W_Q, W_K, W_V = mats["X"], mats["W_Q"], mats["W_K"], mats["W_V"]
    T, d_model = X.shape
    if T != len(tokens):
        raise ValueError(f"{path}: X has shape {X.shape}, one row per token, but there are {len(tokens)} tokens")
    for name in ("W_Q", "W_K", "W_V"):
        if mats[name].shape[0] != d_model:
            raise ValueError(
                f"{path}: {name} has shape {mats[name].shape} but X has shape {X.shape}; "
                f"{name} needs d_model = {d_model} rows so that X @ {name} works"
            )
    if W_K.shape != W_Q.shape:
        raise ValueError(
            f"{path}: W_Q has shape {W_Q.shape} and W_K has shape {W_K.shape}; both must be (d_model, d_k) "
            f"so that q_i · k_j is defined"
        )
    if d_k != W_Q.shape[1]:
        raise ValueError(f"{path}: 'd_k' is {d_k} but W_Q and W_K have shape {W_Q.shape}, so d_k = {W_Q.shape[1]}")
    return WorkedExample(tuple(tokens), X, W_Q, W_K, W_V)


# --- validation helpers -------------------------------------------------------------------------


def _data_folder(data_dir):
    """data_dir as a Path, or the module's DATA_DIR when it is None."""
    return Path(data_dir) if data_dir is not None else DATA_DIR


def _data_path(data_dir, name):
    """Path of one data file; FileNotFoundError (with how to rebuild it) when it is missing."""
    path = _data_folder(data_dir) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such data file; rebuild the data with `python data/make_data.py` "
            f"or point {ENV_VAR} at a folder that holds it"
        )
    return path


def _reject_constant(name):
    """json.loads hook: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(f"{name} is not a valid JSON number")


def _read_json(path):
    """Parse a UTF-8 JSON file, or raise ValueError naming the file and where the syntax breaks."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{path}: invalid JSON: {err}") from None


def _json_type(value):
    """The JSON name of a parsed value's type, for error messages."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _field(obj, key, kind, path, where):
    """obj[key], checked to be present and of JSON type `kind` (int excludes booleans)."""
    if key not in obj:
        raise ValueError(f"{path}: {where} is missing the key {key!r}")
    value = obj[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        want = {str: "a string", list: "a list", int: "an integer", dict: "an object"}[kind]
        raise ValueError(f"{path}: {where}: {key!r} must be {want}, got {_json_type(value)} {value!r}")
    return value


def _parse_sentence(item, i, path):
    """One entry of sentences.json -> Sentence, or ValueError naming the file, the entry and the problem."""
    where = f"sentence {i}"
    if not isinstance(item, dict):
        raise ValueError(f"{path}: {where} must be an object, got {_json_type(item)}")
    sid = _field(item, "id", str, path, where)
    where = f"sentence {i} ({sid!r})"
    if not sid:
        raise ValueError(f"{path}: {where}: 'id' is empty")
    text = _field(item, "text", str, path, where)
    seed = _field(item, "seed", str, path, where)
    if not re.fullmatch(r"\d{3}", seed):
        raise ValueError(f"{path}: {where}: 'seed' must be three digits like \"001\", got {seed!r}")
    tokens = _field(item, "tokens", list, path, where)
    if not tokens:
        raise ValueError(f"{path}: {where}: 'tokens' is empty")
    for j, token in enumerate(tokens):
        if not isinstance(token, str):
            raise ValueError(f"{path}: {where}: token {j} must be a string, got {token!r}")
    expected = tokenize(text)
    if tokens != expected:
        j = next((j for j, (a, b) in enumerate(zip(tokens, expected)) if a != b), min(len(tokens), len(expected)))
        got = tokens[j] if j < len(tokens) else "(end)"
        want = expected[j] if j < len(expected) else "(end)"
        raise ValueError(
            f"{path}: {where}: the tokens do not match the text: {len(tokens)} tokens given, "
            f"the text has {len(expected)} words; first difference at token {j}: {got!r} where the text has {want!r}"
        )
    rels = [_parse_relationship(rel, j, tokens, path, where)
            for j, rel in enumerate(_field(item, "relationships", list, path, where))]
    return Sentence(sid, text, seed, tuple(tokens), tuple(rels))


def _parse_relationship(rel, j, tokens, path, where):
    """One relationship of a sentence -> Relationship, with its indices and token names checked."""
    where = f"{where}, relationship {j}"
    if not isinstance(rel, dict):
        raise ValueError(f"{path}: {where} must be an object, got {_json_type(rel)}")
    T = len(tokens)
    idx = {}
    for end in ("source", "target"):
        k = _field(rel, end, int, path, where)
        if not 0 <= k < T:
            raise ValueError(f"{path}: {where}: {end} index {k} is out of range for {T} tokens (0..{T - 1})")
        name = _field(rel, f"{end}_token", str, path, where)
        if tokens[k] != name:
            raise ValueError(
                f"{path}: {where}: {end} index {k} is the token {tokens[k]!r}, but {end}_token says {name!r}"
            )
        idx[end] = k
    if idx["source"] == idx["target"]:
        raise ValueError(f"{path}: {where}: source and target are the same token ({idx['source']})")
    kind = _field(rel, "kind", str, path, where)
    description = _field(rel, "description", str, path, where)
    if not kind or not description:
        raise ValueError(f"{path}: {where}: 'kind' and 'description' must not be empty")
    return Relationship(idx["source"], idx["target"], kind, description)


def _matrix(rows, name, path):
    """A JSON list of equal-length rows of numbers -> float64 (rows, cols) array, finite."""
    if not rows or not all(isinstance(r, list) and r for r in rows):
        raise ValueError(f"{path}: {name} must be a non-empty list of non-empty rows (a 2-D matrix)")
    widths = [len(r) for r in rows]
    if len(set(widths)) != 1:
        raise ValueError(f"{path}: {name} has rows of different lengths {widths}; a matrix needs equal rows")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{path}: {name}[{r}][{c}] must be a number, got {v!r}")
            try:
                finite = math.isfinite(v)
            except OverflowError:  # an int too large for a float
                finite = False
            if not finite:
                raise ValueError(f"{path}: {name}[{r}][{c}] is {v}, not a finite number")
    return np.array(rows, dtype=np.float64)  # (rows, cols)
