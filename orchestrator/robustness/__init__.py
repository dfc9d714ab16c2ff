"""The robustness lab: callers as they really sound (personas, perturbations), measured stage by stage."""
