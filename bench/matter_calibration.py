"""Calibration of 小申's matter model on the dev questions: its temperature and its thresholds.

    ./bangban bench matter_calibration [--nb-only]

The model (`bot/actions/matter_model.py`) is trained over the KB files as the brain does. On
the dev questions' first-turn matter questions it reports top-1 accuracy, fits the temperature
that minimises the negative log-likelihood, and derives each threshold of `bot/actions/matters.py`
as the lowest posterior down to which the questions named at or above it are right as often as
`PRECISION` asks: the precisions the session-8 thresholds gave naive Bayes on the same set
(0.75 → 95 %, 0.9 → 96 %, 0.99 → 97.5 %), so a better-ranked model names more at the same error rate;
`MODEL_OVER_NAMES` (session 9) from the questions whose aliases name another matter than the model's
best, none of them the model's: it overrules them where it is right nine times in ten.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

PRECISION = {"MODEL_AGREES": 0.95, "MODEL_SURE": 0.96, "MODEL_OVER_ALIAS": 0.975}
OVER_NAMES_PRECISION = 0.9
TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(20.0), 60))


def dev_matter_questions() -> list[dict]:
    """First-turn questions of the dev files labelled with a matter."""
    from bench.nlu_offline import DEV_FILES
    from bot.scoring import load_questions

    return [q for q in load_questions(*DEV_FILES) if q.get("matter") and not q.get("after")
            and q.get("scope") == "in_scope"]


def threshold(confidences: np.ndarray, right: np.ndarray, precision: float) -> float:
    """The confidence down to which the precision of all at or above it (most confident first) is ≥ `precision`."""
    order = np.argsort(-confidences, kind="stable")
    cum = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(cum >= precision)
    if not len(ok):
        return 1.0
    return float(confidences[order][ok[-1]])  # the end of the longest prefix that meets it


def main(argv: Sequence[str] | None = None) -> int:
    from bench.nlu_offline import offline_brain

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nb-only", action="store_true", help="naive Bayes alone (session 8's model)")
    args = ap.parse_args(argv)
    brain = offline_brain()
    model = brain.matters.model
    model.temperature = 1.0
    if args.nb_only:
        model.lr_weight = 0.0
    qs = [q for q in dev_matter_questions() if model.scores(q["text"]) is not None]
    z = np.array([model.scores(q["text"]) for q in qs])
    gold = np.array([model.matters.index(q["matter"]) if q["matter"] in model.matters else -1 for q in qs])
    right = (z.argmax(1) == gold).astype(float)
    print(f"matter model on {len(qs)} dev questions with known n-grams: top-1 {int(right.sum())}")
    known = gold >= 0
    nll = [(-_log_softmax(z[known] / t)[np.arange(known.sum()), gold[known]].mean(), t) for t in TEMPERATURES]
    best_nll, temp = min(nll)
    print(f"  temperature {temp:.2f} (NLL {best_nll:.3f}; at 1.0: {nll[_near(1.0)][0]:.3f})")
    conf = _softmax(z / temp).max(1)
    for name, prec in PRECISION.items():
        _line(name, threshold(conf, right, prec), conf, right, prec)
    named = [dict(brain.matters.matcher.match(q["text"]).candidates) for q in qs]
    against = np.array([bool(n) and model.matters[k] not in n for n, k in zip(named, z.argmax(1), strict=True)])
    _line("MODEL_OVER_NAMES", threshold(conf[against], right[against], OVER_NAMES_PRECISION), conf[against],
          right[against], OVER_NAMES_PRECISION)
    return 0


def _line(name: str, t: float, conf: np.ndarray, right: np.ndarray, prec: float) -> None:
    named = conf >= t
    print(f"  {name:<17} ≥ {t:.4f}: names {int(named.sum())} of {len(conf)}, right {int(right[named].sum())} "
          f"({prec:.1%} asked)")


def _near(t: float) -> int:
    return int(np.argmin(np.abs(TEMPERATURES - t)))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))


if __name__ == "__main__":
    sys.exit(main())
