"""The six compositional-generalization splits and the concept groups they are built from."""

from __future__ import annotations

import enum

from nslab.experiments.exedec.deepcoder import dsl as dc


class Split(enum.StrEnum):
    NONE = "NONE"
    LENGTH_GENERALIZATION = "LENGTH_GENERALIZATION"
    COMPOSE_DIFFERENT_CONCEPTS = "COMPOSE_DIFFERENT_CONCEPTS"
    SWITCH_CONCEPT_ORDER = "SWITCH_CONCEPT_ORDER"
    COMPOSE_NEW_OP = "COMPOSE_NEW_OP"
    ADD_OP_FUNCTIONALITY = "ADD_OP_FUNCTIONALITY"


SPLITS = tuple(Split)

# DeepCoder concept groups: A = first-order operations and Map, B = the other higher-order ones.
DEEPCODER_CONCEPT_A = (*dc.FIRST_ORDER_OPERATIONS, dc.OPERATION_BY_TOKEN["Map"])
DEEPCODER_CONCEPT_B = tuple(op for op in dc.HIGHER_ORDER_OPERATIONS if op.token != "Map")
DEEPCODER_NO_SCAN = tuple(op for op in dc.OPERATIONS if op.token != "Scanl1")
# ADD_OP_FUNCTIONALITY: Scanl1 is trained with these lambdas only and tested with the others.
SCAN_TRAIN_LAMBDAS = ("(-)", "(min)")
SCAN_TEST_LAMBDAS = ("(+)", "(*)", "(max)")

# Program lengths (statements for DeepCoder, expressions for RobustFill) per split.
DEEPCODER_LENGTHS: dict[Split, tuple[range, range]] = {
    Split.NONE: (range(1, 6), range(1, 6)),
    Split.LENGTH_GENERALIZATION: (range(1, 5), range(5, 6)),
    Split.COMPOSE_DIFFERENT_CONCEPTS: (range(2, 5), range(2, 5)),
    Split.SWITCH_CONCEPT_ORDER: (range(2, 5), range(2, 5)),
    Split.COMPOSE_NEW_OP: (range(2, 5), range(2, 5)),
    Split.ADD_OP_FUNCTIONALITY: (range(1, 5), range(1, 5)),
}
ROBUSTFILL_LENGTHS: dict[Split, tuple[range, range]] = {
    Split.NONE: (range(1, 11), range(1, 11)),
    Split.LENGTH_GENERALIZATION: (range(1, 7), range(7, 11)),
    Split.COMPOSE_DIFFERENT_CONCEPTS: (range(2, 7), range(2, 7)),
    Split.SWITCH_CONCEPT_ORDER: (range(2, 7), range(2, 7)),
    Split.COMPOSE_NEW_OP: (range(2, 7), range(2, 7)),
    Split.ADD_OP_FUNCTIONALITY: (range(1, 7), range(1, 7)),
}


def lengths(domain: str, split: Split, is_train: bool) -> range:
    table = DEEPCODER_LENGTHS if domain == "deepcoder" else ROBUSTFILL_LENGTHS
    train, test = table[split]
    return train if is_train else test
