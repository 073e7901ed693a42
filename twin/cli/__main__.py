"""`python -m twin.cli`: the same as the `twin` script."""

from twin.cli import main

main()
