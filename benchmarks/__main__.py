"""``python -m benchmarks`` runs the suite."""

from .runner import main

raise SystemExit(main())
