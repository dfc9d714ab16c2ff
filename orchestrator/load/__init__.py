"""Load: many simulated callers at once through the real pipeline, and what they cost."""
