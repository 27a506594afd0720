"""safeguard: a rules-as-code engine for child safeguarding procedures in England.

Pipeline: source -> loader -> checks -> compiler -> runtime (durable-rules) -> status.
"""
from .api import Engine, Library, load, read_library
from .errors import CaseError, DefinitionError, EvaluationError, Problem, SafeguardError

__all__ = ["CaseError", "DefinitionError", "Engine", "EvaluationError", "Library", "Problem",
           "SafeguardError", "load", "read_library"]
__version__ = "0.1.0"
