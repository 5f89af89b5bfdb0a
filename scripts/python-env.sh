#!/usr/bin/env bash
# Creates (or reuses) a throwaway Python virtualenv holding the pinned packages of
# tests/python/requirements.txt, installed from PyPI, and prints the path of its python.
#   bash scripts/python-env.sh                    create or reuse; print <venv>/bin/python
#   export PALISADE_PYTHON=$(bash scripts/python-env.sh)   what .ci/run does; tests read it
#   bash scripts/python-env.sh --existing         print the path only if that venv is built already
#                                                 (exit 1 otherwise); installs nothing
# The venv lives under ~/.cache/palisade-tools (PALISADE_TOOLS_CACHE overrides, as for
# scripts/ferretdb.sh) in a directory named after the interpreter version and a hash of the
# requirements file, so reuse costs one hash and an edit of the file builds a new venv beside the old.
# PALISADE_PYTHON_BASE picks the interpreter that builds it (default python3; 3.11 or newer).
# Progress goes to standard error; standard output is only the path.
# Other venvs of the same kind (the benchmark's peer servers, scripts/peers/venv.sh) set
# PALISADE_VENV_REQS (an absolute requirements path), PALISADE_VENV_PREFIX (the directory name's
# prefix) and PALISADE_VENV_MIN_MINOR (the oldest Python 3 minor version they run on).
set -euo pipefail
cd "$(dirname "$0")/.."
REQS=${PALISADE_VENV_REQS:-tests/python/requirements.txt}
PREFIX=${PALISADE_VENV_PREFIX:-python}
MIN=${PALISADE_VENV_MIN_MINOR:-11}
CACHE=${PALISADE_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/palisade-tools}
BASE=${PALISADE_PYTHON_BASE:-python3}

command -v "$BASE" >/dev/null || { echo "python-env.sh: $BASE not found (Python 3.$MIN or newer is needed)" >&2; exit 1; }
version=$("$BASE" -c "import sys; print('%d.%d.%d' % sys.version_info[:3], 'ok' if sys.version_info >= (3, $MIN) else 'old')")
case "$version" in
  *" ok") version=${version% ok} ;;
  *) echo "python-env.sh: $BASE is Python ${version% old}; 3.$MIN or newer is needed" >&2; exit 1 ;;
esac
hash=$( { echo "$version"; cat "$REQS"; } | sha256sum | cut -c1-16)
VENV="$CACHE/$PREFIX-$version-$hash"
PY="$VENV/bin/python"

# A venv is used only once its marker exists: an interrupted build is thrown away and redone.
if [ -f "$VENV/.palisade-complete" ] && [ -x "$PY" ]; then echo "$PY"; exit 0; fi
if [ "${1:-}" = --existing ]; then exit 1; fi

mkdir -p "$CACHE"
# One builder at a time (two test runs on one machine): the second waits, then reuses.
exec 9>"$VENV.lock"
if command -v flock >/dev/null; then flock 9; fi
if [ -f "$VENV/.palisade-complete" ] && [ -x "$PY" ]; then echo "$PY"; exit 0; fi

echo "python-env.sh: building $VENV from $REQS (Python $version)" >&2
rm -rf "$VENV"
"$BASE" -m venv "$VENV"
"$PY" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS" >&2
# Every installed distribution must be pinned in the file: an unpinned one would drift.
"$PY" - "$REQS" >&2 <<'PYCHECK'
import re, sys
from importlib import metadata
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
pinned = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, _, ver = line.partition("==")
        pinned[norm(name)] = ver.strip()
bad = []
for dist in metadata.distributions():
    name = norm(dist.metadata["Name"])
    if name in ("pip", "setuptools", "wheel"):
        continue
    if pinned.get(name) != dist.version:
        bad.append(f"{dist.metadata['Name']}=={dist.version} (file: {pinned.get(name, 'not pinned')})")
if bad:
    sys.exit("python-env.sh: installed but not pinned as such in the requirements file:\n  " + "\n  ".join(sorted(bad)))
PYCHECK
touch "$VENV/.palisade-complete"
echo "$PY"
