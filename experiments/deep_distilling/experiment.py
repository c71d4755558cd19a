"""The `deep-distilling` experiment family: train ENNs, condense them into code, test the code.

Two tasks, as in the paper: shape orientation (is a 28x28 line image vertical or
horizontal? tested on five out-of-distribution styles) and MAXSAT (which value should
the current variable take? tested as a sequential assignment rule on random 3-SAT).
For each, the code grows layer by layer as versions of a `<task>_code` artifact with
its length as the `<task>_code_lines` metric, and it is executed on every test input
and checked against the network it came from. MAXSAT's mean satisfied clauses are
curves over the clause count (`maxsat_<method>_satisfied`, step = number of clauses).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.experiments.deep_distilling.figures import (
    MAXSAT_ARTIFACT,
    ORIENTATION_ARTIFACT,
    maxsat_figure,
    orientation_figure,
)

# numpy, scikit-learn and scipy load in the methods that run the tasks, not with the
# class: listing the kinds (`nslab experiments`, the dashboard) imports this module.
if TYPE_CHECKING:
    import numpy as np

    from nslab.experiments.deep_distilling.enn import ENN

    Distilled = Callable[[np.ndarray], int]

Task = Literal["orientation", "maxsat"]
PUBLISHED = {
    "orientation": "distilled code of at most 40 lines, 100% on every out-of-distribution set",
    "maxsat": "distilled rule satisfies at least as many clauses as the 3/4-approximation",
}


def _all_tasks() -> list[Task]:
    return ["orientation", "maxsat"]


class DeepDistillingConfig(ExperimentConfig):
    tasks: list[Task] = Field(default_factory=_all_tasks, min_length=1, description="Tasks to run.")
    ood_samples: int = Field(
        1000, ge=1, le=100_000, description="Images generated per out-of-distribution set."
    )
    subclasses_per_class: int | None = Field(
        None, ge=1, description="Orientation: Ward subclasses per class; unset: one per image."
    )
    svm_cost: float = Field(1e6, gt=0, description="SVM cost C (large: hard margin).")
    baseline_epochs: int = Field(
        300, ge=0, description="Adam epochs of the gradient-trained MLP (0: no baseline)."
    )
    baseline_hidden: int = Field(64, ge=1, description="Hidden units of the MLP baseline.")
    maxsat_vars: int = Field(5, ge=2, le=12, description="MAXSAT variables the ENN is built for.")
    maxsat_clauses: int = Field(50, ge=1, le=500, description="MAXSAT clause columns of the ENN.")
    maxsat_counts: int = Field(
        11, ge=2, le=101, description="Clause counts tested, evenly from 0 to the maximum."
    )
    maxsat_formulas: int = Field(100, ge=1, description="Random 3-SAT formulas per clause count.")
    maxsat_trials: int = Field(5, ge=1, description="Runs of each randomized method per formula.")
    general_vars: int = Field(10, ge=2, le=12, description="Generalized rule: variables.")
    general_clauses: int = Field(100, ge=1, le=1000, description="Generalized rule: clauses.")
    general_formulas: int = Field(
        50, ge=0, description="Formulas per clause count for the generalized rule (0: skip)."
    )


class DeepDistilling(Experiment):
    kind = "deep-distilling"
    Config = DeepDistillingConfig
    description = (
        "Essence neural networks condensed into readable Python (Blazek, Venkatesh & Lin 2024)."
    )
    figures = {"orientation": orientation_figure, "maxsat": maxsat_figure}
    main_metrics = (
        "orientation_code_lines",
        "orientation_ood_code_accuracy_min",
        "maxsat_code_lines",
        "maxsat_code_ge_approx_everywhere",
    )
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "quick": {
            "ood_samples": 40,
            "baseline_epochs": 100,
            "maxsat_counts": 6,
            "maxsat_formulas": 8,
            "maxsat_trials": 2,
            "general_formulas": 2,
        },
        "default": {},
        "paper": {
            "ood_samples": 5000,
            "baseline_epochs": 1000,
            "maxsat_formulas": 200,
            "maxsat_trials": 20,
            "general_formulas": 200,
        },
    }

    _done: int = 0
    _total: int = 1

    def run(self, config: DeepDistillingConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.deep_distilling.orientation import OOD_SETS

        results: dict[str, float] = {}
        # Progress counts evaluation units: orientation test sets and MAXSAT clause counts.
        units = {
            "orientation": 1 + len(OOD_SETS),
            "maxsat": config.maxsat_counts * (2 if config.general_formulas else 1),
        }
        self._done, self._total = 0, sum(units[task] for task in config.tasks)
        for task in config.tasks:
            if ctx.should_stop():
                break
            if task == "orientation":
                results.update(self._orientation(config, ctx))
            else:
                results.update(self._maxsat(config, ctx))
        return results

    # -- shared ---------------------------------------------------------------------------

    def _advance(self, ctx: RunContext) -> bool:
        """Count one evaluation unit done; False once the run should stop."""
        self._done += 1
        ctx.progress(self._done, self._total)
        return not ctx.should_stop()

    @staticmethod
    def _distil(enn: ENN, task: str, ctx: RunContext) -> tuple[str, Distilled]:
        """Condense layer by layer, streaming each version of the code and its length."""
        from nslab.experiments.deep_distilling.condense import compile_function, condense

        code = ""
        for layers_done, code in condense(enn, f"distilled_{task}"):
            ctx.artifact(f"{task}_code", "code", code)
            ctx.log(layers_done, **{f"{task}_code_lines": count_lines(code)})
        ctx.message(f"{task}: distilled {count_lines(code)} lines from ENN {enn.shape}")
        return code, compile_function(code, f"distilled_{task}")

    # -- shape orientation ----------------------------------------------------------------

    def _orientation(self, config: DeepDistillingConfig, ctx: RunContext) -> dict[str, float]:
        import numpy as np

        from nslab.experiments.deep_distilling.enn import ENNSettings, train_enn
        from nslab.experiments.deep_distilling.orientation import OOD_SETS, ood_set, training_lines

        x_train, y_train = training_lines()
        settings = ENNSettings(
            subclasses_per_class=config.subclasses_per_class, svm_cost=config.svm_cost
        )
        enn, _ = train_enn(x_train, y_train, settings)
        code, distilled = self._distil(enn, "orientation", ctx)
        model = None
        if config.baseline_epochs:
            from nslab.experiments.deep_distilling.baseline import train_mlp

            model = train_mlp(
                x_train, y_train, config.baseline_hidden, config.baseline_epochs, ctx.seed
            )

        results = {"orientation_code_lines": float(count_lines(code))}
        datasets = [("train", x_train, y_train)] + [
            (name, *ood_set(name, config.ood_samples, ctx.seed)) for name in OOD_SETS
        ]
        rows: list[dict[str, Any]] = []
        for step, (name, images, labels) in enumerate(datasets):
            figures = _orientation_figures(enn, distilled, model, images, labels)
            if figures["agreement"] < 1.0:
                ctx.message(f"orientation code disagrees with the ENN on {name}", level="error")
            named = {f"orientation_{name}_{key}": value for key, value in figures.items()}
            results.update(named)
            ctx.log(step, **named)
            rows.append({"set": name, "images": len(labels), **figures})
            if not self._advance(ctx):
                break
        ood = [row for row in rows if row["set"] != "train"]
        results["orientation_ood_code_accuracy_min"] = min(row["code_accuracy"] for row in ood)
        results["orientation_agreement_min"] = min(row["agreement"] for row in rows)
        if model is not None:
            results["orientation_ood_mlp_accuracy_mean"] = float(
                np.mean([row["mlp_accuracy"] for row in ood])
            )
        ctx.artifact(
            ORIENTATION_ARTIFACT, "table", {"published": PUBLISHED["orientation"], "rows": rows}
        )
        return results

    # -- MAXSAT ---------------------------------------------------------------------------

    def _maxsat(self, config: DeepDistillingConfig, ctx: RunContext) -> dict[str, float]:
        import numpy as np

        from nslab.experiments.deep_distilling import maxsat

        n_vars, width = config.maxsat_vars, config.maxsat_clauses
        enn = maxsat.tile_over_clauses(maxsat.train_clause_enn(n_vars, config.svm_cost), width)
        code, distilled = self._distil(enn, "maxsat", ctx)
        x_train, y_train = maxsat.clause_training_formulas(n_vars, width)
        results: dict[str, float] = {
            "maxsat_code_lines": float(count_lines(code)),
            "maxsat_train_enn_accuracy": float(np.mean(enn.predict(x_train) == y_train)),
            "maxsat_train_code_accuracy": float(
                np.mean([distilled(x) == y for x, y in zip(x_train, y_train, strict=True)])
            ),
        }
        mlp_policy = None
        if config.baseline_epochs:
            from nslab.experiments.deep_distilling.baseline import mlp_predict, train_mlp

            model = train_mlp(
                x_train, y_train, config.baseline_hidden, config.baseline_epochs, ctx.seed
            )
            results["maxsat_train_mlp_accuracy"] = float(
                np.mean(mlp_predict(model, x_train) == y_train)
            )

            def mlp_policy(formula: np.ndarray) -> int:
                return int(mlp_predict(model, formula[None])[0])

        checks = {"decisions": 0, "agree": 0, "optimal": 0}

        def checked(formula: np.ndarray) -> int:
            # Every input the code sees is also given to the ENN: they must agree.
            choice = distilled(formula)
            checks["decisions"] += 1
            checks["agree"] += int(choice == int(enn.predict(formula[None])[0]))
            checks["optimal"] += int(maxsat.keeps_optimum(formula, n_vars, choice == maxsat.TRUE))
            return choice

        rng = np.random.default_rng(ctx.seed)
        choosers = {
            "code": lambda _f, _m: maxsat.network_chooser(checked),
            "approx": lambda _f, m: maxsat.three_quarters_chooser(rng, m),
            "greedy": lambda _f, _m: maxsat.greedy_chooser(rng),
        }
        if mlp_policy is not None:
            choosers["mlp"] = lambda _f, _m: maxsat.network_chooser(mlp_policy)
        counts = [round(c) for c in np.linspace(0, width, config.maxsat_counts).tolist()]
        table = maxsat.compare_on_random_formulas(
            choosers,
            n_vars,
            width,
            counts,
            config.maxsat_formulas,
            config.maxsat_trials,
            {"approx", "greedy"},
            rng,
            lambda _count: self._advance(ctx),
        )
        for n_clauses, means in table.items():
            ctx.log(
                n_clauses, **{f"maxsat_{name}_satisfied": value for name, value in means.items()}
            )
        results["maxsat_code_ge_approx_everywhere"] = float(
            all(means["code"] >= means["approx"] for means in table.values())
        )
        results["maxsat_agreement"] = checks["agree"] / max(1, checks["decisions"])
        results["maxsat_decisions_keeping_optimum"] = checks["optimal"] / max(
            1, checks["decisions"]
        )
        if checks["agree"] < checks["decisions"]:
            ctx.message("maxsat code disagrees with the ENN", level="error")

        general_table: dict[int, dict[str, float]] = {}
        if config.general_formulas and not ctx.should_stop():
            # The same code, unchanged, on bigger formulas: its loops read the input's shape.
            general_counts = [
                round(c)
                for c in np.linspace(0, config.general_clauses, config.maxsat_counts).tolist()
            ]
            general_choosers = {
                "code": lambda _f, _m: maxsat.network_chooser(distilled),
                "approx": lambda _f, m: maxsat.three_quarters_chooser(rng, m),
                "greedy": lambda _f, _m: maxsat.greedy_chooser(rng),
            }
            general_table = maxsat.compare_on_random_formulas(
                general_choosers,
                config.general_vars,
                config.general_clauses,
                general_counts,
                config.general_formulas,
                config.maxsat_trials,
                {"approx", "greedy"},
                rng,
                lambda _count: self._advance(ctx),
            )
            for n_clauses, means in general_table.items():
                ctx.log(
                    n_clauses,
                    **{f"maxsat_general_{name}_satisfied": value for name, value in means.items()},
                )
            results["maxsat_general_code_ge_approx_everywhere"] = float(
                all(means["code"] >= means["approx"] for means in general_table.values())
            )
        ctx.artifact(
            MAXSAT_ARTIFACT,
            "table",
            {
                "published": PUBLISHED["maxsat"],
                "satisfied": {str(m): v for m, v in table.items()},
                "general_satisfied": {str(m): v for m, v in general_table.items()},
            },
        )
        return results


def _orientation_figures(
    enn: ENN, distilled: Distilled, model: object | None, images: np.ndarray, labels: np.ndarray
) -> dict[str, float]:
    import numpy as np

    # The emitted code runs on every input: it is the thing being tested.
    code_predictions = np.array([distilled(image) for image in images])
    enn_predictions = enn.predict(images)
    figures = {
        "enn_accuracy": float(np.mean(enn_predictions == labels)),
        "code_accuracy": float(np.mean(code_predictions == labels)),
        "agreement": float(np.mean(code_predictions == enn_predictions)),
    }
    if model is not None:
        from nslab.experiments.deep_distilling.baseline import mlp_predict

        figures["mlp_accuracy"] = float(np.mean(mlp_predict(model, images) == labels))
    return figures


def count_lines(code: str) -> int:
    """Lines of the function itself: its non-blank lines, from `def` on."""
    body = "def " + code.split("def ", 1)[1]
    return sum(1 for line in body.splitlines() if line.strip())
