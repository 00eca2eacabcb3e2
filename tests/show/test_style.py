"""The classroom style: rcParams, the palette, one format for numbers and vectors."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import (
    CLASSROOM_RC,
    OKABE_ITO,
    format_number,
    format_vector,
    use_classroom_style,
)


# ---------------------------------------------------------------- style


def test_use_classroom_style_is_idempotent():
    with plt.rc_context():
        use_classroom_style()
        first = {k: plt.rcParams[k] for k in CLASSROOM_RC}
        use_classroom_style()
        assert {k: plt.rcParams[k] for k in CLASSROOM_RC} == first
        assert plt.rcParams["font.size"] >= 14
        assert plt.rcParams["axes.titlesize"] > plt.rcParams["font.size"]
        assert plt.rcParams["image.cmap"] == "viridis"
        assert plt.rcParams["figure.dpi"] == 100
        assert list(plt.rcParams["axes.prop_cycle"].by_key()["color"]) == list(OKABE_ITO)


# ---------------------------------------------------------------- format_number / format_vector


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (0.123, 2, "0.12"),
        (-0.3, 2, "-0.30"),
        (1, 2, "1.00"),
        (-0.004, 2, "0.00"),
        (-0.0, 2, "0.00"),
        (-0.0004, 3, "0.000"),
        (-0.0005001, 3, "-0.001"),
        (2.5, 0, "2"),
        (-0.4, 0, "0"),
        (float("-inf"), 2, "-inf"),
        (float("inf"), 2, "inf"),
        (float("nan"), 2, "nan"),
        (np.float32(0.125), 3, "0.125"),
    ],
)
def test_format_number(x, decimals, expected):
    assert format_number(x, decimals) == expected


def test_format_vector_short():
    assert format_vector([0.12, -0.3, 1.0, 0.5]) == "[0.12, -0.30, 1.00, 0.50]"
    assert format_vector(np.array([0.123456, -1.0], dtype=np.float32), decimals=3) == "[0.123, -1.000]"
    assert format_vector([3]) == "[3]"  # whole numbers: no decimals
    assert format_vector([3.5]) == "[3.50]"
    assert format_vector([1.0, 2.0, 0.5]) == "[1.00, 2.00, 0.50]"


def test_format_vector_never_prints_minus_zero():
    assert format_vector([-0.001, -0.0, 0.004, -0.005001]) == "[0.00, 0.00, 0.00, -0.01]"


def test_format_vector_long_keeps_first_and_last():
    v = np.linspace(-1.0, 1.0, 64)
    v[0], v[1], v[-1] = 0.12, -0.3, 0.5
    assert format_vector(v) == "[0.12, -0.30, …, 0.50] (64 values)"
    assert format_vector(v, max_items=5) == "[0.12, -0.30, …, " + format_number(v[-2]) + ", 0.50] (64 values)"
    assert format_vector(v, max_items=2) == "[0.12, …] (64 values)"
    assert format_vector(v[:5], max_items=None).count(",") == 4
    assert format_vector(v[:4]) == "[0.12, -0.30, " + format_number(v[2]) + ", " + format_number(v[3]) + "]"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"v": [[1.0, 2.0]]}, r"1-D.*\(1, 2\)"),
        ({"v": 3.0}, r"1-D.*\(\)"),
        ({"v": []}, "empty"),
        ({"v": ["a", "b"]}, "numeric"),
        ({"v": [1.0], "decimals": -1}, "decimals"),
        ({"v": [1.0], "decimals": 1.5}, "decimals"),
        ({"v": [1.0], "max_items": 1}, "max_items"),
    ],
)
def test_format_vector_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        format_vector(**kwargs)
