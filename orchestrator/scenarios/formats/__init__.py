"""The peers' test formats: Botium convos, Rasa end-to-end tests and Pipecat evals, in and out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestrator.scenarios.formats.botium import import_botium
from orchestrator.scenarios.formats.botium_export import export_botium
from orchestrator.scenarios.formats.common import Conversion, Unmapped
from orchestrator.scenarios.formats.pipecat import import_pipecat
from orchestrator.scenarios.formats.rasa import import_rasa

__all__ = ["IMPORTERS", "Conversion", "Unmapped", "export_botium"]

IMPORTERS: dict[str, Callable[[Path], Conversion]] = {
    "botium": import_botium,
    "rasa": import_rasa,
    "pipecat": import_pipecat,
}
