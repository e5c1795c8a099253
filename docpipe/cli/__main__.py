"""`python -m docpipe.cli`: the same command as the `docpipe` script."""

from docpipe.cli import main

main()
