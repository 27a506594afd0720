"""The condition language: tree (what a condition is), parse (text -> tree), transform
(negation normal form, walks, references) and typecheck (against the fact vocabulary)."""
