#!/usr/bin/env bash
# Create bench/.validator-venv with the DfE CIN census validator (data-to-insight, PyPI).
# Idempotent: does nothing when the validator already imports. Usage: bash bench/validator.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.validator-venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import cin_validator' 2>/dev/null; then
    echo "validator venv ready: $venv"
    exit 0
fi
# pandas 1.5.3 (the validator needs pandas < 2) ships wheels up to Python 3.11 only.
py="${VALIDATOR_PYTHON:-$(command -v python3.11 || command -v python3.10 || command -v python3.9 || true)}"
if [ -z "$py" ]; then
    echo "validator.sh: needs Python 3.9 to 3.11 (pandas 1.5 has no wheels for 3.12+);" \
         "set VALIDATOR_PYTHON" >&2
    exit 1
fi
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet 'csc-validator-be-cin==0.1.13' 'pandas==1.5.3' 'numpy==1.26.4' \
    pytest
"$venv/bin/python" -c 'import cin_validator, pandas, numpy; print("pandas", pandas.__version__, "numpy", numpy.__version__)'
echo "validator venv ready: $venv"
