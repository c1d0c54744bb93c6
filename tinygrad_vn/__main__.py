"""``python -m tinygrad_vn`` runs the command line."""

from tinygrad_vn.cli import main

raise SystemExit(main())
