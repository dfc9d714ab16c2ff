"""Banking domain logic: pure, no I/O."""
