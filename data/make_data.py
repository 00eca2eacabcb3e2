"""Rebuild every data file of the series, byte for byte the same on every run.

    python data/make_data.py              # writes into data/ (this folder)
    python data/make_data.py --out DIR    # writes into DIR (the tests compare DIR with data/)

Writes sentences.json, vocab.json, embeddings_d8.npy, embeddings_d512.npy and
action_gets_results.json, then loads them back with helpers.data to validate them.
The embeddings are UNTRAINED: seeded standard-normal random numbers, not learned vectors.
README.md in this folder is written by hand and is not touched.
"""

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository root, so `helpers` imports even when not installed

from helpers.data import (  # noqa: E402  (after the sys.path line on purpose)
    load_embeddings,
    load_sentences,
    load_vocab,
    load_worked_example,
    tokenize,
)

EMBEDDING_SEED = 2017  # the year of "Attention Is All You Need"; table d uses default_rng([2017, d])
EMBEDDING_SIZES = (8, 512)  # 8: small enough to print; 512: the paper's d_model

# Each relationship: (source token, target token, kind, description). A token is a word, or
# (word, n) for its n-th occurrence counting from 0, matched exactly (case-sensitive).
# The source is the word that looks (the query), the target the word it should find (the key).
SENTENCES = [
    dict(
        id="action_gets_results",
        seed="001",
        text="Action gets results",
        relationships=[],  # the slides use it only for the q/k/v table, no relationship is drawn
    ),
    dict(
        id="kids_lions",
        seed="001",
        text="The kids were scared of the lions, so they left right away.",
        relationships=[
            ("they", "kids", "coreference",
             "'they' refers to 'kids', who were scared and left; 'lions', the other plural noun "
             "before it, is the distractor"),
        ],
    ),
    dict(
        id="keys_sarah",
        seed="002",
        text="Keys on the table belong to Sarah.",
        relationships=[
            ("Keys", "table", "spatial", "the keys are on the table: 'on' places them"),
            ("Keys", "Sarah", "possession", "the keys belong to Sarah: she owns them"),
            ("Keys", "belong", "subject-verb-object", "'Keys' is the subject of the verb 'belong'"),
            ("belong", "Sarah", "verb-complement",
             "'Sarah' completes 'belong to': the object of the preposition 'to', not of the verb"),
        ],
    ),
    dict(
        id="love_apple",
        seed="002",
        text="Love Apple phones",
        relationships=[
            ("Apple", "phones", "context",
             "next to 'phones', 'Apple' means the company, not the fruit: context decides the meaning"),
        ],
    ),
    dict(
        id="keys_sarah_paragraph",
        seed="002",
        text=(
            "Keys on the table belong to Sarah. She must have left them there before heading out for "
            "work. The table, cluttered with books and papers, made them easy to overlook. I decided "
            "to place them in the drawer for safekeeping. Hopefully, she'll remember to grab them "
            "when she gets back home."
        ),
        relationships=[
            ("Keys", "table", "spatial", "the keys are on the table: 'on' places them"),
            ("Keys", "Sarah", "possession", "the keys belong to Sarah: she owns them"),
            ("Keys", "belong", "subject-verb-object", "'Keys' is the subject of the verb 'belong'"),
            ("belong", "Sarah", "verb-complement",
             "'Sarah' completes 'belong to': the object of the preposition 'to', not of the verb"),
            ("She", "Sarah", "coreference", "'She' is Sarah"),
            ("them", "Keys", "coreference", "'them' (left them there) is the keys"),
            ("there", ("table", 0), "spatial", "'there' is the table where she left the keys"),
            ("left", "heading", "time", "'before' orders the events: she left the keys, then headed out"),
            (("them", 1), "Keys", "coreference", "'them' (easy to overlook) is the keys, two sentences back"),
            ("place", "drawer", "spatial", "the keys are placed in the drawer"),
            (("them", 2), "Keys", "coreference", "'them' (place them in the drawer) is the keys"),
            ("she'll", "Sarah", "coreference", "'she'll' is Sarah, four sentences later"),
            ("grab", "gets", "time", "'when' ties grabbing the keys to the moment she gets back home"),
            (("them", 3), "Keys", "coreference", "'them' (grab them) is the keys, at the far end of the paragraph"),
        ],
    ),
    dict(
        id="apple_iphone_paragraph",
        seed="002",
        text=(
            "When Jake first laid eyes on the Apple iPhone resting on the front shelf, he wasn't "
            "expecting much. It felt like holding the future. His old phone had served him well, and "
            "he wasn't one to chase the latest tech trends. But the moment he held the sleek, glassy "
            "device in his hand, there was something undeniably different about it."
        ),
        relationships=[
            ("Apple", "iPhone", "context",
             "next to 'iPhone', 'Apple' means the company, not the fruit: context decides the meaning"),
            ("iPhone", "shelf", "spatial", "the iPhone rests on the front shelf"),
            ("he", "Jake", "coreference", "'he' is Jake"),
            ("phone", "Jake", "possession", "'His old phone' is Jake's phone, not the Apple iPhone"),
            ("device", "iPhone", "coreference", "'the sleek, glassy device' is the Apple iPhone"),
            ("it", "iPhone", "coreference", "'it', the last word, is the iPhone, far back at the start"),
        ],
    ),
]

WORKED_EXAMPLE = dict(
    note=(
        "Hand-picked small integers, not learned weights: a three-word example to check by hand. "
        "Row i of X is the embedding x_i of token i; q_i = x_i W_Q, k_i = x_i W_K, v_i = x_i W_V "
        "are small integers; d_k = 4, so the scores q_i · k_j are divided by √d_k = 2, "
        "the small-scale twin of the slide's 'score / 8' with d_k = 64. The scaled scores of each "
        "query word differ from each other, so the softmax is not uniform."
    ),
    tokens=["Action", "gets", "results"],
    d_k=4,
    X=[
        [1, 1, 0, 0],  # Action
        [0, 1, 1, 0],  # gets
        [0, 0, 1, 1],  # results
    ],
    W_Q=[
        [0, 1, 0, 1],
        [0, 0, 1, 1],
        [1, 1, 1, 1],
        [1, 0, 0, 0],
    ],
    W_K=[
        [0, 0, 0, 1],
        [2, 0, 0, -1],
        [1, 1, 1, 1],
        [0, 0, 0, 1],
    ],
    W_V=[
        [0, 1, 0, 1],
        [0, 1, 0, 0],
        [1, 0, 1, 0],
        [0, 2, 1, 0],
    ],
)


def _position(tokens, ref, sid):
    """Index of a token given as "word" or ("word", n) = its n-th occurrence (from 0)."""
    word, nth = (ref, 0) if isinstance(ref, str) else ref
    hits = [i for i, t in enumerate(tokens) if t == word]
    if nth >= len(hits):
        raise SystemExit(f"{sid}: token {word!r} occurs {len(hits)} times, no occurrence {nth}")
    return hits[nth]


def build_sentences():
    """The sentences.json document: each sentence with its tokens and relationships as indices."""
    out = []
    for spec in SENTENCES:
        tokens = tokenize(spec["text"])
        rels = []
        for source, target, kind, description in spec["relationships"]:
            s, t = _position(tokens, source, spec["id"]), _position(tokens, target, spec["id"])
            rels.append(dict(source=s, target=t, source_token=tokens[s], target_token=tokens[t],
                             kind=kind, description=description))
        out.append(dict(id=spec["id"], seed=spec["seed"], text=spec["text"], tokens=tokens, relationships=rels))
    return dict(
        note=(
            "Example sentences of the lecture material (seed: \"001\" the Analytics Vidhya slides, \"002\" the NIT "
            "Sikkim lecture). tokens: the words of text, "
            "punctuation dropped, case kept. relationships: pairs the slides point out, as indices into "
            "tokens; source is the word that looks, target the word it should find."
        ),
        sentences=out,
    )


def build_vocab(sentences_doc):
    """Sorted lower-case words covering every token of every sentence and of the worked example."""
    words = {t.lower() for s in sentences_doc["sentences"] for t in s["tokens"]}
    words |= {t.lower() for t in WORKED_EXAMPLE["tokens"]}
    return sorted(words)


def build_embeddings(V, d_model):
    """UNTRAINED (V, d_model) float32 table: standard-normal entries from default_rng([2017, d_model])."""
    rng = np.random.default_rng([EMBEDDING_SEED, d_model])
    return rng.standard_normal((V, d_model)).astype(np.float32)  # (V, d_model)


def check_worked_example():
    """Stop unless q, k, v are integers and every query's scaled scores differ (a non-uniform softmax)."""
    X, W_Q, W_K, W_V = (np.array(WORKED_EXAMPLE[k]) for k in ("X", "W_Q", "W_K", "W_V"))
    Q, K = X @ W_Q, X @ W_K  # (3, 4) @ (4, 4) -> (3, 4)
    d_k = WORKED_EXAMPLE["d_k"]
    if Q.shape[1] != d_k or K.shape[1] != d_k:
        raise SystemExit(f"worked example: d_k = {d_k} but Q has shape {Q.shape}, K {K.shape}")
    S = (Q @ K.T) / math.sqrt(d_k)  # (3, 4) @ (4, 3) -> (3, 3)
    for i, row in enumerate(S):
        if len(set(row.tolist())) < len(row):
            raise SystemExit(f"worked example: query {i} has equal scaled scores {row}; the softmax would tie")


def _scalar(value):
    """True for JSON scalars (not lists or objects)."""
    return not isinstance(value, (list, dict))


def to_json(value, indent=0):
    """JSON text with lists and objects of scalars on one line (readable matrices and token lists)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if all(_scalar(v) for v in value.values()):
            return json.dumps(value, ensure_ascii=False)
        items = [f"{inner}{json.dumps(k)}: {to_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(_scalar(v) for v in value):
            return json.dumps(value, ensure_ascii=False)
        items = [inner + to_json(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def write_text(path, text):
    """Write UTF-8 text with \\n line endings on every platform."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main(argv=None):
    """Build every file into --out (default: this folder), validate them, print their sha256."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: data/)")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    check_worked_example()
    sentences = build_sentences()
    vocab = build_vocab(sentences)
    written = ["sentences.json", "vocab.json", "action_gets_results.json"]
    write_text(out / "sentences.json", to_json(sentences) + "\n")
    write_text(out / "vocab.json", "[\n" + ",\n".join(f"  {json.dumps(w)}" for w in vocab) + "\n]\n")
    write_text(out / "action_gets_results.json", to_json(WORKED_EXAMPLE) + "\n")
    for d_model in EMBEDDING_SIZES:
        name = f"embeddings_d{d_model}.npy"
        np.save(out / name, build_embeddings(len(vocab), d_model), allow_pickle=False)
        written.append(name)

    # Load everything back through the validating loaders: a bad build fails here, not in a notebook.
    load_sentences(out)
    assert load_vocab(out) == vocab
    for d_model in EMBEDDING_SIZES:
        load_embeddings(d_model, out)
    load_worked_example(out)

    for name in sorted(written):
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
