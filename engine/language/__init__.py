"""The procedure language: YAML read with locations, merged, loaded into a frozen model, checked.

located -> documents -> merge -> reader/loader -> model; conditions and typecheck for the
condition language; checks for whole-model problems. Nothing here knows durable-rules.
"""
