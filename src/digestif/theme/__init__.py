"""The default theme: templates and static files shipped inside the package."""

from pathlib import Path

THEME_DIR = Path(__file__).parent
