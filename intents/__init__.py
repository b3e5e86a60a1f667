"""Intent lists (YAML, edited by admins) and the matcher that reads them."""

from pathlib import Path

LISTS_DIR = Path(__file__).parent / "lists"
