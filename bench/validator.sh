#!/usr/bin/env bash
# Create bench/.validator-venv with the DfE CIN census validator (data-to-insight, PyPI).
# Idempotent: reuses the venv when the validator already imports. Usage: bash bench/validator.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.validator-venv"
py="${VALIDATOR_PYTHON:-python3.11}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import cin_validator' 2>/dev/null; then
    echo "validator venv ready: $venv"
    exit 0
fi
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
# csc-validator-be-cin needs pandas 1.x, which needs numpy < 2.
"$venv/bin/pip" install --quiet 'csc-validator-be-cin==0.1.13' 'pandas>=1.5,<2' 'numpy<2' pytest
"$venv/bin/python" -c 'import cin_validator, pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)'
echo "validator venv ready: $venv"
