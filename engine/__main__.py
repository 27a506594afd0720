"""`python -m engine` runs the safeguard command line."""
from engine.interfaces.cli.app import main

main()
