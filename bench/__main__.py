"""`python -m bench`: run every benchmark script in this folder, one after the other."""

import subprocess
import sys
from pathlib import Path

scripts = sorted(p for p in Path(__file__).parent.glob("*.py") if not p.name.startswith("_"))
failed = []
for script in scripts:
    print(f"== {script.stem}", flush=True)
    if subprocess.run([sys.executable, str(script)]).returncode != 0:
        failed.append(script.stem)
sys.exit(f"benchmarks that failed: {', '.join(failed)}" if failed else 0)
