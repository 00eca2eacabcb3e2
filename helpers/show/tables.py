"""Tables for the classroom: the slides' per-word tables (word, q, k, v, score, …, sum) as HTML and text.

A `Table` holds strings only, so what a notebook stores is exactly what it shows:
`_repr_html_` (inline styles, no CSS or JS files) in JupyterLab and on GitHub, `__repr__`
(aligned monospace text) everywhere else, `to_markdown()` for a markdown cell.
Numbers are rounded with one fixed format, and "-0.00" is printed as "0.00".
"""

import html
import math

import numpy as np

from .._validate import as_float_array, as_labels, as_numeric, check_query, check_sentence_qkv
from ..core import step_values
from .style import format_number, format_vector

__all__ = ["STEPS", "Table", "matrix_table", "qkv_table", "scaled_header", "step_table"]


# ---------------------------------------------------------------- the Table


_FONT = "font-family: 'DejaVu Sans', Verdana, Helvetica, Arial, sans-serif; font-variant-numeric: tabular-nums"
_TABLE_STYLE = (
    "border-collapse: collapse; table-layout: auto; width: auto; margin: 0.5em 0; font-size: 16px; "
    f"line-height: 1.4; color: #111111; background: #ffffff; {_FONT}"
)
_CAPTION_STYLE = (
    "caption-side: top; text-align: left; font-size: 19px; font-weight: bold; padding: 6px 10px; "
    f"color: #111111; background: #ffffff; {_FONT}"
)
_CELL_STYLE = f"padding: 5px 9px; white-space: nowrap; color: #111111; {_FONT}"
_HEAD_STYLE = "background: #e8e8e8; border-bottom: 2px solid #333333; font-weight: bold"
_BODY_STYLE = "background: #ffffff; border-bottom: 1px solid #cccccc"
_HIGHLIGHT_STYLE = (
    "background: #ffe08a; border-top: 2px solid #8a6d00; border-bottom: 2px solid #8a6d00; font-weight: bold"
)
_MARK = "> "  # marks the highlighted row in the text repr


def _is_number(text):
    """True for a cell that reads as a number ("0.25", "-inf", "1,048,576", "12 %"), False for words."""
    core = text.strip().replace(",", "").rstrip("%").strip()
    if core in ("", "-", "—", "…"):
        return True  # an empty cell says nothing about the column
    try:
        float(core.replace("−", "-"))
    except ValueError:
        return False
    return True


class Table:
    """A small table of strings: HTML in JupyterLab, aligned text in plain output (notebooks 02–05).

    headers: the column names; rows: one sequence of cells per row (each turned into a string,
    None into ""); highlight_row: index of a row to emphasise (the query word), or None.
    The first column is the row label (a word); the others are numbers or vectors.
    """

    def __init__(self, headers, rows, title=None, highlight_row=None):
        if isinstance(headers, str):
            raise ValueError(f"headers must be a sequence of column names, not the string {headers!r}")
        headers = tuple(str(h) for h in headers)
        if not headers:
            raise ValueError("a Table needs at least one column header")
        cells = []
        for r, row in enumerate(rows):
            if isinstance(row, str):
                raise ValueError(f"row {r} must be a sequence of cells, not the string {row!r}")
            row = tuple("" if c is None else str(c) for c in row)
            if len(row) != len(headers):
                raise ValueError(
                    f"row {r} has {len(row)} cells but the table has {len(headers)} columns {list(headers)}"
                )
            cells.append(row)
        if highlight_row is not None:
            if isinstance(highlight_row, bool) or not isinstance(highlight_row, (int, np.integer)):
                raise ValueError(f"highlight_row must be a row index or None, got {highlight_row!r}")
            if not 0 <= highlight_row < len(cells):
                raise ValueError(
                    f"highlight_row = {highlight_row} is not a row of this table (rows 0 … {len(cells) - 1})"
                )
            highlight_row = int(highlight_row)
        self.headers = headers
        self.rows = tuple(cells)
        self.title = None if title is None else str(title)
        self.highlight_row = highlight_row

    @property
    def shape(self):
        """(number of rows, number of columns), headers not counted."""
        return (len(self.rows), len(self.headers))

    def column(self, header):
        """The cells of the column named `header`, top to bottom, as a list of strings."""
        if header not in self.headers:
            raise ValueError(f"no column {header!r}; the columns are {list(self.headers)}")
        j = self.headers.index(header)
        return [row[j] for row in self.rows]

    def __len__(self):
        return len(self.rows)

    def __eq__(self, other):
        if not isinstance(other, Table):
            return NotImplemented
        return (self.headers, self.rows, self.title, self.highlight_row) == (
            other.headers,
            other.rows,
            other.title,
            other.highlight_row,
        )

    __hash__ = None

    def _left_aligned(self, j):
        """Column j is left-aligned when it holds words or vectors, right-aligned when it holds numbers."""
        return j == 0 or any(row[j].startswith("[") or not _is_number(row[j]) for row in self.rows)

    def __repr__(self):
        """Aligned monospace text: words and vectors left-aligned, numbers right-aligned."""
        ncols = len(self.headers)
        widths = [max([len(self.headers[j])] + [len(row[j]) for row in self.rows]) for j in range(ncols)]

        left = [self._left_aligned(j) for j in range(ncols)]

        def line(cells):
            out = []
            for j, cell in enumerate(cells):
                out.append(cell.ljust(widths[j]) if left[j] else cell.rjust(widths[j]))
            return "  ".join(out).rstrip()

        pad = " " * len(_MARK) if self.highlight_row is not None else ""
        lines = [] if self.title is None else [self.title]
        lines.append(pad + line(self.headers))
        lines.append(pad + "  ".join("-" * w for w in widths))
        for r, row in enumerate(self.rows):
            lines.append((_MARK if r == self.highlight_row else pad) + line(row))
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self):
        """A plain HTML table with inline styles only; readable in light and dark themes."""

        left = [self._left_aligned(j) for j in range(len(self.headers))]

        def cell(tag, text, j, row_style):
            align = "left" if left[j] else "right"
            style = f"{_CELL_STYLE}; {row_style}; text-align: {align}"
            return f'<{tag} style="{style}">{html.escape(text)}</{tag}>'

        parts = [f'<table style="{_TABLE_STYLE}">']
        if self.title is not None:
            parts.append(f'<caption style="{_CAPTION_STYLE}">{html.escape(self.title)}</caption>')
        parts.append("<thead><tr>")
        parts.extend(cell("th", h, j, _HEAD_STYLE) for j, h in enumerate(self.headers))
        parts.append("</tr></thead>")
        parts.append("<tbody>")
        for r, row in enumerate(self.rows):
            style = _HIGHLIGHT_STYLE if r == self.highlight_row else _BODY_STYLE
            parts.append("<tr>")
            parts.extend(cell("td", c, j, style) for j, c in enumerate(row))
            parts.append("</tr>")
        parts.append("</tbody></table>")
        return "\n".join(parts)

    def to_markdown(self):
        """A GitHub-flavoured markdown table; the title in bold above it, the highlighted row in bold."""

        def esc(text):
            return text.replace("\\", "\\\\").replace("|", "\\|")

        def md_row(cells, bold=False):
            cells = [f"**{esc(c)}**" if bold and c else esc(c) for c in cells]
            return "| " + " | ".join(cells) + " |"

        lines = [] if self.title is None else [f"**{esc(self.title)}**", ""]
        lines.append(md_row(self.headers))
        lines.append("| " + " | ".join(":---" if j == 0 else "---:" for j in range(len(self.headers))) + " |")
        for r, row in enumerate(self.rows):
            lines.append(md_row(row, bold=r == self.highlight_row))
        return "\n".join(lines)


# ---------------------------------------------------------------- tables of the slides


def matrix_table(M, row_labels=None, col_labels=None, title=None, decimals=2, corner="",
                 highlight_row=None, max_rows=None, max_cols=10):
    """A matrix (X, W_Q, A, …) as a Table with a labelled row per token (notebook 01).

    Rows and columns beyond max_rows / max_cols (None: no limit) are cut around a "…".
    """
    M = as_numeric(M, "M")
    if M.ndim != 2:
        raise ValueError(f"matrix_table expects a 2-D matrix, got shape {M.shape}")
    n_rows, n_cols = M.shape
    row_labels = _labels(row_labels, n_rows, "row_labels", f"M of shape {M.shape}")
    col_labels = _labels(col_labels, n_cols, "col_labels", f"M of shape {M.shape}")
    rows_kept = _kept(n_rows, max_rows, "max_rows")
    cols_kept = _kept(n_cols, max_cols, "max_cols")
    headers = [corner] + [("…" if j is None else col_labels[j]) for j in cols_kept]
    rows = []
    highlight = None
    for i in rows_kept:
        if i is None:
            rows.append(["…"] * len(headers))
            continue
        if i == highlight_row:
            highlight = len(rows)
        cells = [("…" if j is None else format_number(M[i, j], decimals)) for j in cols_kept]
        rows.append([row_labels[i]] + cells)
    if highlight_row is not None and highlight is None:
        raise ValueError(f"highlight_row = {highlight_row!r} is not a shown row of M of shape {M.shape}")
    if title is None:
        title = f"matrix ({n_rows} × {n_cols})"
    return Table(headers, rows, title=title, highlight_row=highlight)


def qkv_table(tokens, Q, K, V, X=None, decimals=2, max_items=4, title=None):
    """The slides' per-word table: word | x vector (if X given) | q vector | k vector | v vector (notebook 02)."""
    Q, K, V = check_sentence_qkv(Q, K, V)
    T = K.shape[0]
    tokens = _labels(tokens, T, "tokens", f"Q, K, V with T = {T} rows")
    mats, headers = [], ["word"]
    if X is not None:
        X = as_float_array(X, "X", ndim=2)
        if X.shape[0] != T:
            raise ValueError(f"X of shape {X.shape} must have T = {T} rows like Q {Q.shape}, K {K.shape}, V {V.shape}")
        mats.append(X)
        headers.append("x vector")
    mats += [Q, K, V]
    headers += ["q vector", "k vector", "v vector"]
    rows = [[tokens[t]] + [format_vector(M[t], decimals, max_items) for M in mats] for t in range(T)]
    if title is None:
        title = f"queries, keys and values per word (d_k = {K.shape[1]}, d_v = {V.shape[1]})"
    return Table(headers, rows, title=title)


STEPS = ("qkv", "score", "scaled", "softmax", "weighted", "sum")


def scaled_header(d_k, decimals=2):
    """The header of the scaled-score column: "score / 8" for d_k = 64, "score / √d_k (√3 ≈ 1.73)" otherwise (notebook 03)."""
    if isinstance(d_k, bool) or not isinstance(d_k, (int, np.integer)) or d_k <= 0:
        raise ValueError(f"d_k must be a positive integer, got {d_k!r}")
    root = math.isqrt(int(d_k))
    if root * root == d_k:
        return f"score / {root}"
    return f"score / √d_k (√{int(d_k)} ≈ {format_number(math.sqrt(d_k), decimals)})"


def step_table(tokens, Q, K, V, query, upto="sum", decimals=2, max_items=4, mask=None, title=None):
    """The slides' table for query word i: word | q | k | v | score | score / 8 | softmax | softmax · v | sum (notebooks 02–05).

    As in the slides, q_i and z_i appear only in the query word's row, which is highlighted.
    `upto` in STEPS ("qkv", "score", "scaled", "softmax", "weighted", "sum") ends the table
    after that column, so the notebooks can grow the same table one step at a time.
    """
    if upto not in STEPS:
        raise ValueError(f"upto must be one of {STEPS}, got {upto!r}")
    Q, K, V = check_sentence_qkv(Q, K, V)
    T, d_k = K.shape
    tokens = _labels(tokens, T, "tokens", f"Q, K, V with T = {T} rows")
    i = check_query(query, T)
    vals = step_values(Q, K, V, i, mask=mask)
    n_steps = STEPS.index(upto)

    def vec(x):
        return format_vector(x, decimals, max_items)

    columns = [
        ("word", list(tokens)),
        ("q vector", [vec(Q[i]) if j == i else "" for j in range(T)]),
        ("k vector", [vec(K[j]) for j in range(T)]),
        ("v vector", [vec(V[j]) for j in range(T)]),
    ]
    steps = [
        ("score", [format_number(s, decimals) for s in vals["score"]]),
        (scaled_header(d_k, decimals), [format_number(s, decimals) for s in vals["scaled"]]),
        ("softmax", [format_number(a, decimals) for a in vals["weights"]]),
        ("softmax · v", [vec(w) for w in vals["weighted"]]),
        ("sum", [vec(vals["z"]) if j == i else "" for j in range(T)]),
    ]
    columns += steps[:n_steps]
    headers = [name for name, _ in columns]
    rows = [[cells[j] for _, cells in columns] for j in range(T)]
    if title is None:
        title = f'query word "{tokens[i]}" (the slides\' word {i + 1}, index {i} in Python), d_k = {d_k}'
    return Table(headers, rows, title=title, highlight_row=i)


def _labels(labels, n, name, what):
    """`labels` as a list of n strings (default "0" … "n-1"), or ValueError naming the counts."""
    if labels is None:
        return [str(k) for k in range(n)]
    return as_labels(labels, n, name, what)


def _kept(n, limit, name):
    """Indices 0 … n-1, or the first and last few around a None (the "…") when n > limit."""
    if limit is None or n <= limit:
        return list(range(n))
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 2:
        raise ValueError(f"{name} must be an integer ≥ 2 or None, got {limit!r}")
    head = int(limit) // 2
    tail = int(limit) - 1 - head
    return list(range(head)) + [None] + list(range(n - tail, n))
