"""Evaluation: a case's facts, as of a date, become a CaseStatus.

engine (the Engine facade), cohort (many cases on several processes), case (facts checked
against the vocabulary), evaluate (one case), replay (stages), actions (requirements and due
dates), findings (flags and escalations), calendar (working days), status, explain.
"""
