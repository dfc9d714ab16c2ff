"""``python -m orchestrator.cli``: the same as the ``voicebot`` command."""

from orchestrator.cli import main

main()
