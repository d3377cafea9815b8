"""Make the data of the tensor lectures: ``scenarios/data/diabetes.csv`` and ``three_classes.csv``.

Run from the repository's root (``python scripts/make_diabetes_like.py``); the output is the
same on every machine (fixed seeds, numbers written with 6 decimals), and both files are
committed, so the bundled scenarios never need this script to run.

diabetes.csv — the shape of the course's ``data-diabetes.csv`` (lectures 7 and 8), generated,
not copied: 759 rows, no header, 9 columns separated by commas.

- Columns 0-7 are the 8 features, each in [-1, 1] as the course's table is normalised. Each is
  ``2 * Beta(a, b) - 1`` with its own (a, b), so that, like the real columns, some are skewed
  (the counts: pregnancies, insulin) and some are bell-shaped (blood pressure, BMI).
- Column 8 is the label, 0 or 1. It follows a fixed logistic model of the features
  (``p = sigmoid(features @ TRUE_WEIGHTS + TRUE_BIAS)``, label 1 with probability p): the
  relation is there to be learnt, and the coin flip is the noise no model can learn. About
  two rows in three are 1, as in the course's table.

three_classes.csv — lecture 9's softmax classifier: 60 points in the plane around three
centres, 20 per class, in a shuffled order; 3 columns: x1, x2 (6 decimals) and the class
0, 1 or 2. The classes overlap a little, so the loss does not fall to zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "data"

DIABETES_SEED = 759
DIABETES_ROWS = 759
# (a, b) of each feature's Beta distribution, mapped to [-1, 1]: skewed counts, bell-shaped measures.
FEATURE_SHAPES = [(1.2, 4.0), (5.0, 4.0), (9.0, 5.0), (2.0, 4.0), (1.0, 6.0), (7.0, 7.0), (1.5, 6.0)]
FEATURE_SHAPES += [(1.3, 4.5)]
# The fixed logistic model behind the label: glucose (1), BMI (5) and age (7) weigh most.
TRUE_WEIGHTS = np.array([0.8, 3.5, 0.3, 0.2, 0.5, 2.5, 1.2, 1.5])
TRUE_BIAS = 2.8

CLASSES_SEED = 9
CLASS_CENTRES = np.array([[-1.0, -0.6], [1.0, -0.6], [0.0, 1.0]])
CLASS_SPREAD = 0.45
PER_CLASS = 20


def diabetes_like() -> np.ndarray:
    """The 759 x 9 table: 8 features in [-1, 1], then the 0/1 label."""
    rng = np.random.default_rng(DIABETES_SEED)
    a, b = np.array(FEATURE_SHAPES).T
    x = 2.0 * rng.beta(a, b, size=(DIABETES_ROWS, len(FEATURE_SHAPES))) - 1.0
    x = np.round(x, 6)  # the numbers the file holds are the ones the label was drawn from
    p = 1.0 / (1.0 + np.exp(-(x @ TRUE_WEIGHTS + TRUE_BIAS)))
    y = (rng.random(DIABETES_ROWS) < p).astype(np.int64)
    return np.column_stack([x, y])


def three_classes() -> np.ndarray:
    """The 60 x 3 table: x1, x2, then the class 0, 1 or 2."""
    rng = np.random.default_rng(CLASSES_SEED)
    labels = np.repeat(np.arange(len(CLASS_CENTRES)), PER_CLASS)
    points = CLASS_CENTRES[labels] + rng.normal(0.0, CLASS_SPREAD, size=(len(labels), 2))
    order = rng.permutation(len(labels))
    return np.column_stack([np.round(points[order], 6), labels[order]])


def write(path: Path, table: np.ndarray) -> None:
    """Write ``table`` as CSV: every column but the last with 6 decimals, the label as an int."""
    lines = []
    for row in table:
        numbers = [f"{v:.6f}" for v in row[:-1]]
        # -0.000000 would read as a different number from 0.000000 to a person, not to a parser.
        numbers = ["0.000000" if n == "-0.000000" else n for n in numbers]
        lines.append(",".join([*numbers, str(int(row[-1]))]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(out: Path = OUT) -> None:
    """Write both files into ``out`` (``scenarios/data``)."""
    out.mkdir(parents=True, exist_ok=True)
    write(out / "diabetes.csv", diabetes_like())
    write(out / "three_classes.csv", three_classes())


if __name__ == "__main__":
    main()
