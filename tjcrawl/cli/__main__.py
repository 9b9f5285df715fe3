"""`python -m tjcrawl.cli`."""

from tjcrawl.cli import main

main()
