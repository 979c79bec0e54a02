"""`python -m scopecheck`: the same entry point as the console script."""

from scopecheck.cli import main

main()
