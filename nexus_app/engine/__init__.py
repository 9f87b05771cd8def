"""Pure numpy/scipy IRT engine (3PL model, CAT, calibration, readiness)."""
