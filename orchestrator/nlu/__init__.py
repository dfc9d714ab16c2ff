"""Natural-language helpers: numbers in and out."""

from orchestrator.nlu.numbers import LoanTerms, digitize, extract_loan_terms
from orchestrator.nlu.spoken import int_to_words, speakable

__all__ = ["LoanTerms", "digitize", "extract_loan_terms", "int_to_words", "speakable"]
