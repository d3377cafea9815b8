from __future__ import annotations

from stepgrad.cli import main

main()
