#!/usr/bin/env bash
# The GPU benchmark (issue 17): one prepared script for a lent GPU machine, sized to run in under
# 8 minutes (estimated from CPU timings of its parts; not yet run on a GPU: the runs' setup,
# 32 Cheetah runs with 25 MuJoCo envs each, is most of it). Needs the package installed with a
# CUDA build of torch
# (pip install -e . after a CUDA torch). It writes benchmarks/results/gpu.md:
#   - s / iteration / seed of `full` SimBelief on Point-Robot and Cheetah-Vel at K = 1, 8, 32
#     seeds in one process, with the peak GPU memory;
#   - the losses of the first 2 iterations (smoke preset, same seeds) on the GPU beside the CPU's.
# Extra arguments go to benchmarks/seeds_throughput.py; DEVICE=cpu runs it without a GPU (the
# test suite does so at smoke scale: DEVICE=cpu benchmarks/gpu.sh --scale smoke --ks 1,2 ...).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-benchmarks/results/gpu.md}
if [ "$DEVICE" = cuda ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
fi
exec "$PYTHON" benchmarks/seeds_throughput.py --device "$DEVICE" \
    --envs point-robot-sparse,cheetah-vel-sparse --ks 1,8,32 --updates 20 --check-losses \
    --out "$OUT" "$@"
