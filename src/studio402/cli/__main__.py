"""``python -m studio402.cli``."""

from studio402.cli import main

main()
