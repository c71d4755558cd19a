"""Symbolic distillation of graph networks: N-body force laws recovered from edge messages.

Importing this package is cheap (no torch); the training code loads when a run starts.
"""

from nslab.experiments.symbolic_distillation.experiment import SymbolicDistillation

__all__ = ["SymbolicDistillation"]
