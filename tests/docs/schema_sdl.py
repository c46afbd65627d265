"""Print the SDL of an example's schema: `python schema_sdl.py examples/<name> module:attribute`.

Run in a process of its own, from the example's folder, with the example's Django settings
(read from its manage.py), the way the example itself runs.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path


def main(example: str, spec: str) -> None:
    project = Path(example).resolve()
    os.chdir(project)
    sys.path.insert(0, str(project))
    manage = project / "manage.py"
    if manage.is_file():
        found = re.search(r"DJANGO_SETTINGS_MODULE[\"'],\s*[\"']([\w.]+)[\"']", manage.read_text())
        if found:
            os.environ["DJANGO_SETTINGS_MODULE"] = found[1]
            import django

            django.setup()
    module_name, _, attribute = spec.partition(":")
    schema = getattr(importlib.import_module(module_name), attribute or "schema")
    print(schema.as_str())


if __name__ == "__main__":
    main(*sys.argv[1:3])
