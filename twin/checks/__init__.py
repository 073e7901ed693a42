"""Checks of the twin: against exact theory (`exact`, `theory_run`) and against a shop-floor log."""
