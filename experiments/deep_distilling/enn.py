"""Essence neural networks (Blazek & Lin 2021), trained without gradient descent.

Training follows the ENN paper: each class is split into subclasses by Ward clustering
(or one subclass per distinct training point); every pair of subclasses from different
classes gets a "differentia" neuron, a linear max-margin SVM between them; every
subclass gets a neuron, an SVM in differentia space that separates its points from all
points of other classes; the concept layer maps subclass neurons to class scores.

Hidden layers use threshold activations (the infinite-slope limit of the paper's tanh),
and every neuron's weights are snapped to small integers (divide by the smallest
non-zero weight, try multipliers 1-10, else keep two decimals), which is what makes
the network condensable into exact code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.svm import SVC

Activation = Literal["sign", "step", "linear"]
ConceptMode = Literal["svm", "log_odds"]

LOG_ODDS_CAP = 10.0
# Relative size below which an SVM weight is numerical noise of the solver.
ZERO_TOLERANCE = 1e-4
# How close (in units of the smallest weight) a scaled weight must be to an integer.
INTEGER_TOLERANCE = 2e-2


@dataclass
class DenseLayer:
    """One fully connected layer: `activation(x @ weights + biases)`."""

    name: str
    weights: np.ndarray  # (n_in, n_out)
    biases: np.ndarray  # (n_out,)
    activation: Activation

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        z: np.ndarray = inputs @ self.weights + self.biases
        if self.activation == "sign":
            return np.asarray(np.sign(z), dtype=np.float64)
        if self.activation == "step":
            return np.asarray(z > 0, dtype=np.float64)
        return z

    @property
    def size(self) -> int:
        return int(self.weights.shape[1])


@dataclass
class ENN:
    input_shape: tuple[int, ...]
    layers: list[DenseLayer]
    classes: tuple[int, ...]

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        values = inputs.reshape(len(inputs), -1).astype(np.float64)
        for layer in self.layers:
            values = layer.forward(values)
        return values

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The class of each input: argmax of the concept layer, first class on ties."""
        predictions: np.ndarray = np.asarray(self.classes)[np.argmax(self.forward(inputs), axis=1)]
        return predictions

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(np.prod(self.input_shape)), *(layer.size for layer in self.layers))


@dataclass(frozen=True)
class Subclass:
    label: int
    points: np.ndarray  # indices into the training set


@dataclass(frozen=True)
class ENNSettings:
    subclasses_per_class: int | None = None  # None: one subclass per distinct point
    svm_cost: float = 1e6  # effectively hard-margin, as in the paper's separable tasks
    hidden_activation: Activation = "sign"
    subclass_activation: Activation = "sign"
    concept_mode: ConceptMode = "svm"
    # Differentiae between subclasses of the same class too (the paper's option).
    intraclass_differentiae: bool = False


def find_subclasses(
    x: np.ndarray, y: np.ndarray, per_class: int | None, strata: np.ndarray | None = None
) -> list[Subclass]:
    """Split each class into subclasses: Ward clusters, or one per distinct point.

    With `strata` (e.g. each point's target probability), points of different strata
    never share a subclass, as the ENN paper's regression mode bins targets into
    classes; `per_class` then counts clusters per stratum.
    """
    strata = np.zeros(len(y)) if strata is None else strata
    subclasses: list[Subclass] = []
    for label, stratum in sorted({(int(a), float(b)) for a, b in zip(y, strata, strict=True)}):
        members = np.flatnonzero((y == label) & (strata == stratum))
        _, first, assignment = np.unique(x[members], axis=0, return_index=True, return_inverse=True)
        if per_class is None or per_class >= len(first):
            groups = assignment.reshape(-1)
        else:
            tree = linkage(x[members][first], method="ward")
            # cut_tree gives exactly `per_class` clusters even when merge heights tie.
            cluster_of_distinct = cut_tree(tree, n_clusters=per_class).reshape(-1)
            groups = cluster_of_distinct[assignment.reshape(-1)]
        for group in np.unique(groups):
            subclasses.append(Subclass(int(label), members[groups == group]))
    return subclasses


def max_margin_plane(
    positives: np.ndarray, negatives: np.ndarray, cost: float
) -> tuple[np.ndarray, float]:
    """A linear SVM separating `positives` (>0) from `negatives` (<0)."""
    if len(positives) == 1 and len(negatives) == 1:
        # Two points: the hard-margin SVM is their perpendicular bisector, exactly.
        a, b = positives[0], negatives[0]
        return a - b, float((b @ b - a @ a) / 2)
    data = np.vstack([positives, negatives])
    labels = np.concatenate([np.ones(len(positives)), -np.ones(len(negatives))])
    svm = SVC(kernel="linear", C=cost, tol=1e-6).fit(data, labels)
    return svm.coef_[0].copy(), float(svm.intercept_[0])


def integer_weights(
    weights: np.ndarray, bias: float, unit: float | None = None
) -> tuple[np.ndarray, float]:
    """Rescale a threshold neuron to small integers (same signs of `x @ w + b` up to rounding).

    As in deep distilling's parameter processing: divide by the smallest non-zero |w|
    (or by a given `unit`), then look for a multiplier 1-10 that makes every value an
    integer; failing that, keep two decimals (scaled by 100 to stay integral).
    """
    weights = np.asarray(weights, dtype=np.float64).copy()
    largest = float(np.max(np.abs(weights))) if weights.size else 0.0
    if largest == 0.0:
        return np.zeros_like(weights), float(np.sign(bias))
    weights[np.abs(weights) < ZERO_TOLERANCE * largest] = 0.0
    if unit is None:
        unit = float(np.min(np.abs(weights[weights != 0])))
    scaled, scaled_bias = weights / unit, bias / unit
    for multiplier in range(1, 11):
        candidate = scaled * multiplier
        if np.all(np.abs(candidate - np.round(candidate)) < INTEGER_TOLERANCE * multiplier):
            # The bias is a threshold between integer sums: keep it on a half-integer grid.
            return np.round(candidate), float(np.round(2 * scaled_bias * multiplier) / 2)
    return np.round(scaled * 100), float(np.round(scaled_bias * 100))


def _snap_layer(weights: np.ndarray, biases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    snapped = [integer_weights(weights[:, n], float(biases[n])) for n in range(weights.shape[1])]
    return (
        np.stack([w for w, _ in snapped], axis=1),
        np.array([b for _, b in snapped], dtype=np.float64),
    )


def train_enn(
    x: np.ndarray,
    y: np.ndarray,
    settings: ENNSettings,
    soft_targets: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> tuple[ENN, list[Subclass]]:
    """Train an ENN on inputs `x` (n, *shape) with integer labels `y`.

    `soft_targets` (n, n_classes), used by the log-odds concept layer, give each
    point's probability of each class (e.g. the share of optimal assignments);
    `strata` keep points apart when forming subclasses (see `find_subclasses`).
    """
    input_shape = tuple(int(d) for d in x.shape[1:])
    flat = x.reshape(len(x), -1).astype(np.float64)
    classes = tuple(int(c) for c in np.unique(y))
    subclasses = find_subclasses(flat, y, settings.subclasses_per_class, strata)

    # Differentiae: one SVM per pair of subclasses of different classes.
    d_weights, d_biases = [], []
    for i, first in enumerate(subclasses):
        for j in range(i + 1, len(subclasses)):
            second = subclasses[j]
            if first.label == second.label and not settings.intraclass_differentiae:
                continue
            w, b = max_margin_plane(flat[first.points], flat[second.points], settings.svm_cost)
            d_weights.append(w)
            d_biases.append(b)
    dw, db = _snap_layer(np.stack(d_weights, axis=1), np.array(d_biases))
    differentiae = DenseLayer("D", dw, db, settings.hidden_activation)
    d_out = differentiae.forward(flat)

    # Subclass neurons: each subclass against every point of another class (of another
    # subclass, when differentiae also split classes).
    s_weights, s_biases = [], []
    for subclass in subclasses:
        if settings.intraclass_differentiae:
            others = np.setdiff1d(np.arange(len(y)), subclass.points)
        else:
            others = np.flatnonzero(y != subclass.label)
        w, b = max_margin_plane(d_out[subclass.points], d_out[others], settings.svm_cost)
        s_weights.append(w)
        s_biases.append(b)
    sw, sb = _snap_layer(np.stack(s_weights, axis=1), np.array(s_biases))
    subclass_layer = DenseLayer("S", sw, sb, settings.subclass_activation)
    s_out = subclass_layer.forward(d_out)

    concept = _concept_layer(s_out, y, classes, subclasses, settings, soft_targets)
    return ENN(input_shape, [differentiae, subclass_layer, concept], classes), subclasses


def _concept_layer(
    s_out: np.ndarray,
    y: np.ndarray,
    classes: tuple[int, ...],
    subclasses: list[Subclass],
    settings: ENNSettings,
    soft_targets: np.ndarray | None,
) -> DenseLayer:
    """Class scores from subclass neurons, with one weight unit shared by the whole layer.

    `svm`: a one-vs-rest SVM per class (the paper's initialisation of this layer).
    `log_odds`: each subclass neuron votes with the capped log-odds of its points'
    class probabilities (the paper's direct subclass-to-concept connections).
    """
    n_sub, n_cls = s_out.shape[1], len(classes)
    weights = np.zeros((n_sub, n_cls))
    biases = np.zeros(n_cls)
    if settings.concept_mode == "svm":
        for c, label in enumerate(classes):
            inside, outside = s_out[y == label], s_out[y != label]
            weights[:, c], biases[c] = max_margin_plane(inside, outside, settings.svm_cost)
    else:
        if soft_targets is None:
            soft_targets = np.eye(n_cls)[np.searchsorted(classes, y)]
        for s, subclass in enumerate(subclasses):
            p = np.clip(soft_targets[subclass.points].mean(axis=0), 1e-12, 1 - 1e-12)
            weights[s] = np.clip(np.log(p / (1 - p)), -LOG_ODDS_CAP, LOG_ODDS_CAP)
    # Class scores are compared with each other, so the whole layer shares one scale.
    nonzero = np.abs(weights[np.abs(weights) > ZERO_TOLERANCE * np.max(np.abs(weights))])
    unit = float(np.min(nonzero)) if nonzero.size else 1.0
    joint, _ = integer_weights(np.concatenate([weights.ravel(), biases]), 0.0, unit)
    return DenseLayer(
        "C",
        joint[: weights.size].reshape(weights.shape),
        joint[weights.size :],
        "linear",
    )
