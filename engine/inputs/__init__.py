"""Sources: outside data turned into cases (facts plus what the source does not record).

inputs reads the native JSON and JSON Lines; cin reads the DfE Children in Need census XML.
A source reports problems per record and never drops one.
"""
