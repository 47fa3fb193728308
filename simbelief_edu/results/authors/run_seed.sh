#!/usr/bin/env bash
# The shipped runs were made with:  ITERS=20 LOG_INTERVAL=2 NICE=0 bash run_seed.sh SEED
# (README.md beside this script). Paths (/work/authors) are those of the machine it ran on.
#
# Run the authors' SimBelief code (github.com/mlzhang-pr/SimBelief @ 7017e7d, patched for
# NumPy 2 / Python 3.11 only: the two edits README.md describes; $ROOT/patches.diff is their
# diff in that checkout, not shipped since it quotes their code) on Point-Robot-Sparse with their
# online_config/args_point_robot_sparse.py unchanged, except:
#   --seed SEED                     (the seed under study)
#   --num-iters ITERS               (their default is 4000; here ITERS, default 30)
#   --results-log-dir / --agent-log-dir   (output paths only, so that seeds do not collide)
#
# usage:   ITERS=30 /work/authors/run_seed.sh SEED
#          (background: setsid nohup /work/authors/run_seed.sh 1 >/dev/null 2>&1 &)
# output:  /work/authors/runs/seed$SEED/
#            train.log       full stdout+stderr of their code
#            curve.csv       iteration,test_success_any   (one row per meta-test)
#            curve_full.csv  iteration,env_steps,test_success_any,train_success_any,
#                            test_return_sum,train_return_sum,elapsed_s
#            progress.csv    iteration,env_steps,elapsed_s,cpu_s  (one row per iteration;
#                            cpu_s = process CPU seconds, from the added ITER-DONE line)
#            tb/             their tensorboard events (+ model checkpoints every 100 iters)
#            cmd.txt, pid, versions.txt, patches.diff
# stop:    kill $(cat /work/authors/runs/seed$SEED/pid)      (the python process)
#
# Their code meta-tests every --log-interval (=20) iterations, so with ITERS=30 there is only
# ONE meta-test (at iteration 20). LOG_INTERVAL=N overrides that (NOT their setting: more
# meta-tests also draw from the global numpy/torch RNGs, so the training run then differs
# from the one with the unchanged config; the algorithm and all other settings are unchanged).
# EXTRA_ARGS="..." is for smoke tests only (appended to their command line).
set -euo pipefail

SEED=${1:?usage: [ITERS=30] run_seed.sh SEED}
ITERS=${ITERS:-30}
ROOT=/work/authors
OUT=${OUT_DIR:-$ROOT/runs/seed$SEED}
PY=$ROOT/venv/bin/python

mkdir -p "$OUT"
if [ -e "$OUT/train.log" ]; then
  echo "refusing to overwrite $OUT (move it away first)" >&2; exit 1
fi

# one thread everywhere, CPU only, low priority
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1
export CUDA_VISIBLE_DEVICES=""
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

ARGS=(--env-type point_robot_sparse --seed "$SEED" --num-iters "$ITERS"
      --results-log-dir "$OUT/tb" --agent-log-dir "$OUT/gym")
if [ -n "${LOG_INTERVAL:-}" ]; then
  echo "WARNING: LOG_INTERVAL=$LOG_INTERVAL overrides their --log-interval 20" >&2
  ARGS+=(--log-interval "$LOG_INTERVAL")
fi
if [ -n "${EXTRA_ARGS:-}" ]; then
  echo "WARNING: EXTRA_ARGS='$EXTRA_ARGS' (smoke test, not their config)" >&2
  # shellcheck disable=SC2206
  ARGS+=($EXTRA_ARGS)
fi

cp "$ROOT/patches.diff" "$OUT/patches.diff"
{
  echo "cd $ROOT/src && nice -n ${NICE:-10} $PY -u online_training.py ${ARGS[*]}"
  echo "started $(date -Is) on $(hostname)"
} > "$OUT/cmd.txt"
{
  echo "authors commit: 7017e7d (github.com/mlzhang-pr/SimBelief)"
  "$PY" -c "import sys,numpy,torch,gym,scipy;print('python',sys.version.split()[0],'numpy',numpy.__version__,'torch',torch.__version__,'gym',gym.__version__,'scipy',scipy.__version__,'torch_threads',torch.get_num_threads())"
} > "$OUT/versions.txt" 2>&1

echo "iteration,test_success_any" > "$OUT/curve.csv"
echo "iteration,env_steps,test_success_any,train_success_any,test_return_sum,train_return_sum,elapsed_s" > "$OUT/curve_full.csv"
echo "iteration,env_steps,elapsed_s,cpu_s" > "$OUT/progress.csv"
: > "$OUT/train.log"

cd "$ROOT/src"
# setsid: own session, hence own scheduler autogroup (sched_autogroup_enabled=1 on this machine,
# where plain `nice` only ranks a process against others of its own autogroup); the autogroup
# is then niced too, so that the run really yields to the project's runs.
setsid nice -n "${NICE:-10}" "$PY" -u online_training.py "${ARGS[@]}" > "$OUT/train.log" 2>&1 < /dev/null &
PID=$!
sleep 1
if [ "$(ps -o sid= -p "$PID" | tr -d ' ')" = "$PID" ]; then   # own session => own autogroup
  echo "${NICE:-10}" > "/proc/$PID/autogroup" 2>/dev/null || true
fi
echo "$PID" > "$OUT/pid"
echo "autogroup: $(cat /proc/$PID/autogroup 2>/dev/null)" >> "$OUT/cmd.txt"
trap 'kill "$PID" 2>/dev/null || true' INT TERM HUP
echo "seed $SEED: pid $PID, log $OUT/train.log" >&2

# Parse their stdout as it is written.
#   their meta-test line (metalearner_sacvae.py, MetaLearner.log):
#     Iteration -- 20, Success rate train -- 0.350, Success rate eval.-- 0.400, Avg. return train -- ...,
#     Avg. return eval. -- ..., Elapsed time   123[s]
#   our added progress line (right after it, same iteration):
#     ITER-DONE 20 env_steps 108000 elapsed 3600.1 cpu 3500.2
tail -n +1 -F --pid="$PID" "$OUT/train.log" 2>/dev/null | awk -F'[ ,]+' \
  -v curve="$OUT/curve.csv" -v full="$OUT/curve_full.csv" -v prog="$OUT/progress.csv" '
  /^Iteration -- [0-9]+, Success rate train/ {
    line = $0
    it = line;  sub(/^Iteration -- /, "", it); sub(/,.*/, "", it)
    tr = line;  sub(/.*Success rate train -- /, "", tr); sub(/,.*/, "", tr)
    te = line;  sub(/.*Success rate eval\.-- /, "", te); sub(/,.*/, "", te)
    rtr = line; sub(/.*Avg\. return train -- /, "", rtr); sub(/,.*/, "", rtr)
    rte = line; sub(/.*Avg\. return eval\. -- /, "", rte); sub(/,.*/, "", rte)
    pending_it = it; pending = it "," "%s" "," te "," tr "," rte "," rtr "," "%s"
    print it "," te >> curve; fflush(curve)
    next
  }
  /^ITER-DONE / {
    print $2 "," $4 "," $6 "," $8 >> prog; fflush(prog)
    if (pending_it != "" && $2 == pending_it) {
      printf(pending "\n", $4, $6) >> full; fflush(full); pending_it = ""
    }
  }' || true

RC=0; wait "$PID" || RC=$?
echo "finished $(date -Is) rc=$RC" >> "$OUT/cmd.txt"
exit "$RC"
