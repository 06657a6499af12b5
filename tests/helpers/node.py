"""Run a client module's code in Node: the web and TV clients' core modules have no DOM,
so their tests import them in a small ES-module script and read back its JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def run_module_script(script: str, module: Path, payload: Any = None) -> Any:
    """Run ``script`` (an ES module whose ``%(module)s`` is replaced by ``module``'s file
    URL) with ``payload`` as JSON in ``process.argv[1]`` (when given); return the JSON the
    script printed. Fails the test with Node's stderr when Node fails."""
    args = [json.dumps(payload)] if payload is not None else []
    done = subprocess.run(
        ["node", "--input-type=module", "-e",
         script % {"module": json.dumps(module.as_uri())}, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
