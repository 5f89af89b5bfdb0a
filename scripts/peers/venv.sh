#!/usr/bin/env bash
# A throwaway Python virtualenv for one of the benchmark's peer servers, built by
# scripts/python-env.sh from scripts/peers/requirements-NAME.txt (one venv per peer: their pins
# differ), and the path of its python on standard output.
#   bash scripts/peers/venv.sh medallion       scripts/peers/requirements-medallion.txt
#   bash scripts/peers/venv.sh opentaxii       scripts/peers/requirements-opentaxii.txt
#   bash scripts/peers/venv.sh NAME --existing print the path only if that venv is built (exit 1 otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NAME=${1:?usage: venv.sh NAME [--existing]}
case "$NAME" in *[!a-z0-9-]*) echo "venv.sh: bad name $NAME" >&2; exit 2 ;; esac
REQS=$here/requirements-$NAME.txt
[ -f "$REQS" ] || { echo "venv.sh: no $REQS" >&2; exit 2; }
shift
PALISADE_VENV_REQS=$REQS PALISADE_VENV_PREFIX="peer-$NAME" PALISADE_VENV_MIN_MINOR=9 \
  exec bash "$here/../python-env.sh" "$@"
