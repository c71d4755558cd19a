"""G-SSNNs: graph-based symbolically synthesized neural networks (Whitehouse 2023).

Importing this package is cheap (no torch); the training code loads when a run starts.
"""

from nslab.experiments.gssnn.experiment import GSSNN

__all__ = ["GSSNN"]
