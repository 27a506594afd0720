"""The rules engine: the model compiled to durable-rules rulesets and run.

compiler (model -> plain ruleset dicts), limits (what durable-rules can hold), prepare (case
facts -> the facts asserted), runtime (the only module that imports durable-rules).
"""
