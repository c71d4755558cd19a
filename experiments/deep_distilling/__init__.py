"""Deep distilling: essence neural networks condensed into readable, executable Python."""

from nslab.experiments.deep_distilling.experiment import DeepDistilling, DeepDistillingConfig

__all__ = ["DeepDistilling", "DeepDistillingConfig"]
