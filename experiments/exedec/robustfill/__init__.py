"""The RobustFill domain: string-manipulation programs, their generation, tokens and searches."""
