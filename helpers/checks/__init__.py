"""Check yourself: the exercise checkers, one module per notebook, on the shared machinery of _runner.

Notebooks call them as helpers.check_qkv(fn), helpers.check_softmax(fn), …
"""

__all__ = []
