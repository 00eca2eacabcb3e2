"""Tables for the classroom: the slides' per-word tables (word, q, k, v, score, …, sum) as HTML and text.

A `Table` holds strings only, so what a notebook stores is exactly what it shows:
`_repr_html_` (inline styles, no CSS or JS files) in JupyterLab and on GitHub, `__repr__`
(aligned monospace text) everywhere else, `to_markdown()` for a markdown cell.
Numbers are rounded with one fixed format, and "-0.00" is printed as "0.00".
"""

import html
import math

import numpy as np

from .._validate import as_float_array, as_labels_or_numbers, as_numeric, check_query, check_sentence_qkv
from ..core import step_values
from .style import format_number, format_vector

__all__ = ["FIT_WIDTH_PX", "STEPS", "Table", "matrix_table", "qkv_table", "scaled_header", "step_table",
           "table_min_width_px", "text_width_px"]


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
_HEAD_STYLE = "background: #e8e8e8; border-bottom: 2px solid #333333; font-weight: bold; white-space: normal"
_BODY_STYLE = "background: #ffffff; border-bottom: 1px solid #cccccc"
_HIGHLIGHT_STYLE = (
    "background: #ffe08a; border-top: 2px solid #8a6d00; border-bottom: 2px solid #8a6d00; font-weight: bold"
)
_MARK = "> "  # marks the highlighted row in the text repr

# ---------------------------------------------------------------- how wide a table is on screen

# The notebook output column at 1366×768 in JupyterLab's default layout (file browser open) is 934 px,
# 914 px inside its padding; tables aim below that with room for a wider fallback font.
FIT_WIDTH_PX = 880
_FONT_PX = 16  # _TABLE_STYLE's font-size
_PAD_PX = 2 * 9  # _CELL_STYLE's left + right padding
# Advance widths of DejaVu Sans (the tables' first font) in em, for the characters the tables use;
# others count as 0.62 em (lower case), 0.72 em (upper case) or 0.84 em (symbols), which overestimates.
_EM = {
    **dict.fromkeys("0123456789", 0.636), " ": 0.318, ".": 0.318, ",": 0.318, ":": 0.337, ";": 0.337,
    "-": 0.361, "−": 0.838, "+": 0.838, "=": 0.838, "×": 0.838, "≈": 0.838, "√": 0.636, "/": 0.337,
    "[": 0.390, "]": 0.390, "(": 0.390, ")": 0.390, "…": 1.0, "·": 0.318, "_": 0.5, "'": 0.275, '"': 0.46,
    "%": 0.950, "^": 0.838, "i": 0.278, "j": 0.278, "l": 0.278, "f": 0.352, "t": 0.392, "r": 0.411,
    "m": 0.974, "w": 0.818, "W": 0.989, "M": 0.863, "I": 0.295, "J": 0.295,
}
_BOLD = 1.10  # DejaVu Sans Bold is about 10 % wider


def text_width_px(text, font_px=_FONT_PX, bold=False):
    """Estimated width in px of one line of text in the tables' font (DejaVu Sans), a slight overestimate."""
    em = 0.0
    for ch in str(text):
        if ch in _EM:
            em += _EM[ch]
        elif ch.islower():
            em += 0.62
        elif ch.isupper():
            em += 0.72
        else:
            em += 0.84
    return em * font_px * (_BOLD if bold else 1.0)


def _header_width_px(header):
    """A header wraps at its spaces (white-space: normal), so it needs only its longest word."""
    return max(text_width_px(w, bold=True) for w in str(header).split(" ") or [""])


def table_min_width_px(headers, rows, bold_rows=()):
    """The narrowest the table can be drawn: every column as wide as its widest cell, plus the cells' padding.

    Cells do not wrap, headers wrap at spaces; the highlighted row is bold. The browser draws it at
    this width, or wider when there is room.
    """
    bold_rows = list(bold_rows) + [False] * (len(rows) - len(bold_rows))
    widths = []
    for j, h in enumerate(headers):
        cells = [text_width_px(row[j], bold=bold) for row, bold in zip(rows, bold_rows)]
        widths.append(max([_header_width_px(h)] + cells) + _PAD_PX)
    return sum(widths)


def _short_vector(v, decimals, items):
    """A long vector as its first and last values, "[0.22, …, 1.32]"; its length goes into the column header."""
    v = np.asarray(v)
    if items is None or v.shape[0] <= items:
        return format_vector(v, decimals, None)
    text = format_vector(v, decimals, max(int(items), 3))
    return text[: text.rindex("]") + 1]


def _fits(headers, rows, highlight, max_width):
    bold = [r == highlight for r in range(len(rows))]
    return max_width is None or table_min_width_px(headers, rows, bold) <= max_width



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

    def min_width_px(self):
        """The narrowest this table's HTML can be drawn, in px (see table_min_width_px)."""
        return table_min_width_px(self.headers, self.rows, [r == self.highlight_row for r in range(len(self.rows))])

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
    row_labels = as_labels_or_numbers(row_labels, n_rows, "row_labels", f"M of shape {M.shape}")
    col_labels = as_labels_or_numbers(col_labels, n_cols, "col_labels", f"M of shape {M.shape}")
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


def qkv_table(tokens, Q, K, V, X=None, decimals=2, max_items=4, title=None, max_width=FIT_WIDTH_PX):
    """The slides' per-word table: word | x vector (if X given) | q vector | k vector | v vector (notebook 02).

    When the table would be wider than `max_width` px (the notebook column at 1366×768; None: no
    limit), vectors longer than `max_items` shrink to their first and last values and their length
    moves into the column header.
    """
    Q, K, V = check_sentence_qkv(Q, K, V)
    T = K.shape[0]
    tokens = as_labels_or_numbers(tokens, T, "tokens", f"Q, K, V with T = {T} rows")
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
    long_vectors = max_items is not None and max(M.shape[1] for M in mats) > max_items
    if long_vectors and not _fits(headers, rows, None, max_width):
        headers = ["word"] + [f"{h} ({M.shape[1]} values)" if M.shape[1] > max_items else h
                              for h, M in zip(headers[1:], mats)]
        rows = [[tokens[t]] + [_short_vector(M[t], decimals, 3) for M in mats] for t in range(T)]
    if title is None:
        title = f"queries, keys and values per word (d_k = {K.shape[1]}, d_v = {V.shape[1]})"
    return Table(headers, rows, title=title)


STEPS = ("qkv", "score", "scaled", "softmax", "weighted", "sum")
_STEP_COLUMNS = ("q", "k", "v", "score", "scaled", "softmax", "weighted", "sum")


def scaled_header(d_k, decimals=2):
    """The scaled-score column's header: "score / 8" for d_k = 64, else "score / √d_k (√3 ≈ 1.73)" (notebook 03)."""
    if isinstance(d_k, bool) or not isinstance(d_k, (int, np.integer)) or d_k <= 0:
        raise ValueError(f"d_k must be a positive integer, got {d_k!r}")
    root = math.isqrt(int(d_k))
    if root * root == d_k:
        return f"score / {root}"
    return f"score / √d_k (√{int(d_k)} ≈ {format_number(math.sqrt(d_k), decimals)})"


def step_table(tokens, Q, K, V, query, upto="sum", decimals=2, max_items=4, mask=None, title=None,
               columns=None, max_width=FIT_WIDTH_PX):
    """The slides' table for query word i: word, q, k, v, score, score / 8, softmax, softmax · v, sum (02–05).

    As in the slides, q_i and z_i appear only in the query word's row, which is highlighted.
    `upto` in STEPS ("qkv", "score", "scaled", "softmax", "weighted", "sum") ends the table
    after that column, so the notebooks can grow the same table one step at a time.
    `columns` (optional) names the columns to show, from "q", "k", "v", "score", "scaled",
    "softmax", "weighted", "sum" (the word column always comes first).
    By default the table fits `max_width` px (the notebook column at 1366×768 with JupyterLab's
    file browser open; None: no limit), so the columns the text talks about stay on screen:
    vectors longer than `max_items` first shrink to their first and last values (the length goes
    into the header), then the q and k columns, which the score columns already summarise
    (score_j = q_i · k_j, shown by notebook 02's table), are left out, then v while no column
    uses it yet, then v anyway (the qkv table shows it). The title says what was left out.
    """
    if upto not in STEPS:
        raise ValueError(f"upto must be one of {STEPS}, got {upto!r}")
    Q, K, V = check_sentence_qkv(Q, K, V)
    T, d_k = K.shape
    tokens = as_labels_or_numbers(tokens, T, "tokens", f"Q, K, V with T = {T} rows")
    i = check_query(query, T)
    if max_width is not None and (isinstance(max_width, bool) or not isinstance(max_width, (int, float))
                                  or max_width <= 0):
        raise ValueError(f"max_width must be a positive number of pixels or None, got {max_width!r}")
    vals = step_values(Q, K, V, i, mask=mask)
    n_steps = STEPS.index(upto)
    if columns is None:
        names = list(_STEP_COLUMNS[: 3 + n_steps])
    else:
        if isinstance(columns, str):
            columns = (columns,)
        names = list(columns)
        unknown = [c for c in names if c not in _STEP_COLUMNS]
        if unknown or not names:
            raise ValueError(f"columns must name some of {_STEP_COLUMNS}, got {columns!r}")
        names = [c for c in _STEP_COLUMNS if c in names]

    def build(names, short):
        def vec(x):
            return _short_vector(x, decimals, 3) if short else format_vector(x, decimals, max_items)

        def vec_header(name, n):
            return f"{name} ({n} values)" if short and max_items is not None and n > max_items else name

        all_columns = {
            "q": (vec_header("q vector", d_k), [vec(Q[i]) if j == i else "" for j in range(T)]),
            "k": (vec_header("k vector", d_k), [vec(K[j]) for j in range(T)]),
            "v": (vec_header("v vector", V.shape[1]), [vec(V[j]) for j in range(T)]),
            "score": ("score", [format_number(s, decimals) for s in vals["score"]]),
            # with a mask the column holds the scaled scores AFTER masking (blocked: -inf), and says so
            "scaled": (scaled_header(d_k, decimals) + (" (masked)" if mask is not None else ""),
                       [format_number(s, decimals) for s in vals["scaled"]]),
            "softmax": ("softmax", [format_number(a, decimals) for a in vals["weights"]]),
            "weighted": (vec_header("softmax · v", V.shape[1]), [vec(w) for w in vals["weighted"]]),
            "sum": (vec_header("sum", V.shape[1]), [vec(vals["z"]) if j == i else "" for j in range(T)]),
        }
        chosen = [("word", list(tokens))] + [all_columns[n] for n in names]
        headers = [h for h, _ in chosen]
        return headers, [[cells[j] for _, cells in chosen] for j in range(T)]

    long_vectors = max_items is not None and max(d_k, V.shape[1]) > max_items
    short = False
    headers, rows = build(names, short)
    left_out = []
    if columns is None and max_width is not None:
        for step in ("shorten", "q k", "v", "v anyway"):
            if _fits(headers, rows, i, max_width):
                break
            if step == "shorten" and long_vectors:
                short = True
            elif step == "q k" and "score" in names:
                left_out += [n for n in ("q", "k") if n in names]
                names = [n for n in names if n not in ("q", "k")]
            elif (step == "v anyway" or step == "v" and "weighted" not in names) and "v" in names:
                left_out.append("v")
                names.remove("v")
            headers, rows = build(names, short)
    if title is None:
        title = f'query word "{tokens[i]}" (the slides\' word {i + 1}, index {i} in Python), d_k = {d_k}'
    if left_out:
        gone = ", ".join(left_out[:-1]) + (" and " if len(left_out) > 1 else "") + left_out[-1]
        why = " (the score is q · k)" if "q" in left_out else ""
        title += f"; {gone} column{'s' if len(left_out) > 1 else ''} left out to fit the screen{why}"
    return Table(headers, rows, title=title, highlight_row=i)


def _kept(n, limit, name):
    """Indices 0 … n-1, or the first and last few around a None (the "…") when n > limit."""
    if limit is None or n <= limit:
        return list(range(n))
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 2:
        raise ValueError(f"{name} must be an integer ≥ 2 or None, got {limit!r}")
    head = int(limit) // 2
    tail = int(limit) - 1 - head
    return list(range(head)) + [None] + list(range(n - tail, n))
