"""Inputs: outside data turned into cases (facts plus what the input does not record).

case_files reads the native JSON, JSON Lines and folders (and tells a census file apart); cin
reads the DfE Children in Need census XML; ssd reads the Standard Safeguarding Dataset and the
children's social care API payload. An input reports a RecordProblem (problems.py) per bad
record and never drops one silently.
"""
