"""Multinomial logistic regression over sparse binary features, trained with numpy alone.

Rows are lists of distinct feature ids (each row L2-normalised); training is mini-batch Adam on
the cross-entropy with a fixed seed, so the same texts give the same weights. It stays
sparse: a batch's scores and gradient are sums over the rows' few dozen features, so a training
over ~12,000 short texts and ~40,000 features takes about a CPU second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EPOCHS = 3
RATE = 0.05
BATCH = 128
SEED = 13
_B1, _B2, _EPS = 0.9, 0.999, 1e-8


class _Adam:
    """Adam moments of one weight array, updated only on the rows a batch touches."""

    def __init__(self, shape: tuple[int, ...]):
        self.m = np.zeros(shape, np.float32)
        self.v = np.zeros(shape, np.float32)

    def step(self, w: np.ndarray, rows, grad: np.ndarray, t: int) -> None:
        m = _B1 * self.m[rows] + (1 - _B1) * grad
        v = _B2 * self.v[rows] + (1 - _B2) * grad * grad
        self.m[rows], self.v[rows] = m, v
        w[rows] -= RATE * (m / (1 - _B1**t)) / (np.sqrt(v / (1 - _B2**t)) + _EPS)


def train(rows: Sequence[Sequence[int]], labels: Sequence[int], n_features: int, n_classes: int):
    """Weights (n_features × n_classes) and biases of a softmax regression of `labels` on `rows`."""
    lens = np.array([len(r) for r in rows])
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    ids = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    vals = np.repeat(1.0 / np.sqrt(np.maximum(lens, 1)), lens).astype(np.float32)
    y = np.asarray(labels)
    w = np.zeros((n_features, n_classes), np.float32)
    b = np.zeros(n_classes, np.float32)
    opt_w, opt_b = _Adam(w.shape), _Adam(b.shape)
    rng = np.random.default_rng(SEED)
    t = 0
    for _ in range(EPOCHS):
        order = rng.permutation(len(rows))
        for s in range(0, len(order), BATCH):
            batch = order[s : s + BATCH]
            sel = np.concatenate([np.arange(starts[i], starts[i] + lens[i]) for i in batch])
            rows_of = np.repeat(np.arange(len(batch)), lens[batch])
            cols, inv = np.unique(ids[sel], return_inverse=True)
            part = w[ids[sel]] * vals[sel, None]
            z = np.add.reduceat(part, np.searchsorted(rows_of, np.arange(len(batch)))) + b
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(batch)), y[batch]] -= 1.0
            p /= len(batch)
            by_col = np.argsort(inv, kind="stable")
            contrib = (p[rows_of] * vals[sel, None])[by_col]
            grad = np.add.reduceat(contrib, np.searchsorted(inv[by_col], np.arange(len(cols))))
            t += 1
            opt_w.step(w, cols, grad, t)
            opt_b.step(b, slice(None), p.sum(0), t)
    return w, b


def logits(w: np.ndarray, b: np.ndarray, row: Sequence[int]) -> np.ndarray:
    """The class scores of one row of feature ids (distinct, as in training)."""
    return b + w[list(row)].sum(0) / np.sqrt(len(row))
