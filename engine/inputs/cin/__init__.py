"""The DfE Children in Need census: layout, sink, values, episode, children, census (the file)."""
