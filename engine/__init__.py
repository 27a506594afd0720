"""safeguard: rules-as-code for child safeguarding procedures.

The tree follows the pipeline: `language` reads and checks YAML definitions, `rules_engine`
compiles them for durable-rules and runs it, `evaluation` turns a case's facts into a status,
`sources` bring outside data in as cases, and `interfaces` are the CLI, the service and the
story runner. `library` drives the definitions through the language and the rules engine.
"""
from engine.core.errors import (
    CaseError,
    DefinitionError,
    EvaluationError,
    Problem,
    SafeguardError,
    UnknownNameError,
)
from engine.evaluation.engine import Engine, load
from engine.rules_engine.library import Library, read_library

__version__ = "0.1.0"
__all__ = ["CaseError", "DefinitionError", "Engine", "EvaluationError", "Library", "Problem",
           "SafeguardError", "UnknownNameError", "load", "read_library"]
