"""ExeDec (Shi et al., ICLR 2024): execution decomposition on compositional splits."""

from nslab.experiments.exedec.experiment import ExeDec, ExeDecConfig
from nslab.experiments.exedec.neural.config import ExeDecNeuralConfig
from nslab.experiments.exedec.neural.experiment import ExeDecNeural

__all__ = ["ExeDec", "ExeDecConfig", "ExeDecNeural", "ExeDecNeuralConfig"]
