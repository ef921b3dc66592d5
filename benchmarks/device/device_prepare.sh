#!/usr/bin/env bash
# Prepare, on the development machine, what the lent GPU machine lacks for
# benchmarks/device/device_suite.py. That machine has torch, numpy, scipy, scikit-learn,
# matplotlib, pytest and hypothesis, but no package index, no pymoo, no Dask and no
# Fashion-MNIST. This script puts
#   .whl/                   wheels of pymoo, Dask and what they need (Python 3.12, x86-64)
#   .data/fashion-mnist/    the four IDX files (from /usr/share/datasets/fashion-mnist)
# into the repository root, both ignored by git (.gitignore). Then call the device
# tool's `run` with carry [".whl", ".data"], timeout_s 600, and the command:
#
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD TSENAS_DATA=$PWD/.data/fashion-mnist PYTHONUNBUFFERED=1 \
#     && python3 -m benchmarks.device.device_suite --device cuda --out-dir $OUT 2>&1 | tee $OUT/suite.log
#
# and copy the returned device_*.json into benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root
WHEELS="pymoo==0.6.2 alive-progress==3.3.0 about-time==4.2.1 graphemeu==0.7.2 autograd==1.9.1 cma==4.5.0
Deprecated==1.3.1 moocore==0.3.2 cffi==2.0.0 pycparser==3.0 platformdirs dask==2026.8.0 partd==1.4.2
locket==1.0.0 importlib_metadata==10.2.0 lazy-importer distributed==2026.8.0 tblib==3.2.2 tornado==6.6.1
zict==3.0.0 dill"
mkdir -p .whl
for spec in $WHEELS; do
  ok=0
  for n in 17 27 28 31 34 35; do
    if python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_${n}_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl "$spec"; then
      ok=1; break
    fi
  done
  [ "$ok" = 1 ] || { echo "no wheel for $spec" >&2; exit 1; }
done
mkdir -p .data/fashion-mnist
cp "${TSENAS_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"/*-ubyte.gz .data/fashion-mnist/
du -sh .whl .data
