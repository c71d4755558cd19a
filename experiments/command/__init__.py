"""`exec`: any command as a run, its printed numbers as metrics (`nslab exec -- CMD`)."""

from nslab.experiments.command.experiment import CommandExperiment

__all__ = ["CommandExperiment"]
