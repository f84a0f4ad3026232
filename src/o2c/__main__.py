"""``python -m o2c`` runs the command line."""

from o2c.cli import main

main()
