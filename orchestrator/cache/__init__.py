"""Semantic cache: answers to repeated questions in milliseconds, and never the wrong one.

MiniLM embeddings and faiss find a question asked before; the slot signature
(``keys``), the per-intent policy and the neutral-dialog-state rule
(``policy``) decide whether its answer still holds. Entries persist under
``VOICEBOT_HOME/cache`` or in Redis (``stores``); the pipeline's hook is
``turns.TurnCache``; ``voicebot cache-manager`` manages them.
"""

from orchestrator.cache.entry import CacheEntry
from orchestrator.cache.index import APPROX_MIN_ENTRIES, VectorIndex
from orchestrator.cache.keys import personal_data, slot_signature
from orchestrator.cache.policy import INTENT_POLICIES, is_neutral, policy_for
from orchestrator.cache.semantic import Probe, SemanticCache
from orchestrator.cache.stores import FileCacheStore, MemoryCacheStore, RedisCacheStore, open_cache_store
from orchestrator.cache.turns import TurnCache, TurnLookup, load_turn_cache

__all__ = [
    "APPROX_MIN_ENTRIES",
    "INTENT_POLICIES",
    "CacheEntry",
    "FileCacheStore",
    "MemoryCacheStore",
    "Probe",
    "RedisCacheStore",
    "SemanticCache",
    "TurnCache",
    "TurnLookup",
    "VectorIndex",
    "is_neutral",
    "load_turn_cache",
    "open_cache_store",
    "personal_data",
    "policy_for",
    "slot_signature",
]
