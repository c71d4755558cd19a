"""Deep Thinking networks: easy-to-hard algorithm synthesis with recurrent networks.

Importing this package is cheap (no torch); the training code loads when a run starts.
"""

from nslab.experiments.deep_thinking.experiment import DeepThinking

__all__ = ["DeepThinking"]
