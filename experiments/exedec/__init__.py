"""ExeDec (Shi et al., ICLR 2024): execution decomposition on compositional splits."""

from nslab.experiments.exedec.experiment import ExeDec, ExeDecConfig

__all__ = ["ExeDec", "ExeDecConfig"]
