#!/usr/bin/env bash
# The test command: the whole suite, conformance against real libvirt included.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYVIRT_CORPUS="${PYVIRT_CORPUS:-$(cd .. && pwd)/shared/corpus/libvirt-9.0.0}"
exec "${PYTHON:-python3}" -m pytest -q -p no:cacheprovider "$@"
