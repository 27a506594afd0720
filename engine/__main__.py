"""`python -m engine` runs the safeguard command line."""
from .cli import main

main()
