#!/usr/bin/env bash
# The commands behind the Point-Robot-Sparse study of book chapter 6, at the authors'
# per-iteration settings: the `full` preset unchanged (1000 SAC updates per iteration on
# 16 tasks x 256 transitions, lr 7e-5, 25 belief updates) with only the number of iterations
# cut (30 instead of 4000) and a meta-test every 2 iterations. Two runs side by side, one torch
# thread each; each run is trained, meta-tested on test + OOD tasks (5 meta-episodes per task),
# exported (agent.pt) and its small files copied here. Killed runs resume from their checkpoints;
# finished ones are skipped. Run from the repository root:
#   bash simbelief_edu/results/point-robot-sparse/run_all.sh [JOBS_FILE]
# JOBS_FILE lists "variant seed" per line (default: the order below); JOBS=1 runs them one at a
# time (two such calls with disjoint files are two lanes, as the shipped runs were made).
set -euo pipefail
export OUT=${OUT:-runs/point-robot-sparse}
export DEST=simbelief_edu/results/point-robot-sparse
export BUDGET="--set num_iters=30 --set eval_every=2 --set checkpoint_every=5"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$OUT"

job() {  # job VARIANT SEED: one training run, its evaluation and export, files copied to DEST
  set -eo pipefail  # a failed step stops the job: no eval.json from a half-trained run
  local variant=$1 seed=$2 dir="$OUT/$1-seed$2" agent=simbelief extra=""
  case $variant in
    simbelief) ;;
    varibad) agent=varibad ;;
    no-metric) extra="--set metric_weight=0" ;;
    no-latent-dynamics) extra="--set latent_dynamics=false" ;;
    no-inverse) extra="--set inverse_dynamics=false" ;;
    no-anchor) extra="--set anchor_weight=0" ;;
    *) echo "unknown variant $variant" >&2; return 2 ;;
  esac
  [ -f "$DEST/$variant-seed$seed/eval.json" ] && return 0  # finished before
  if [ -f "$dir/checkpoint.pt" ]; then
    simbelief-edu train --resume "$dir"
  else
    # shellcheck disable=SC2086
    simbelief-edu train --env point-robot-sparse --agent $agent --scale full --seed "$seed" \
      --out "$dir" $BUDGET $extra
  fi
  simbelief-edu eval "$dir"
  simbelief-edu export "$dir" --out "$dir/agent.pt"
  mkdir -p "$DEST/$variant-seed$seed"
  cp "$dir"/{config.json,metrics.csv,eval.json,commands.txt,versions.json,agent.pt} \
    "$DEST/$variant-seed$seed/"
}
export -f job

JOBS_FILE=${1:-$OUT/jobs.txt}
if [ $# -eq 0 ]; then  # SimBelief and VariBAD first (VariBAD costs half), then no-anchor, then the ablations
  printf '%s\n' "simbelief 1" "varibad 1" "varibad 2" "simbelief 2" "varibad 3" "varibad 4" \
    "simbelief 3" "varibad 5" "simbelief 4" "no-anchor 1" "simbelief 5" "no-anchor 2" \
    "no-anchor 3" "no-anchor 4" "no-anchor 5" > "$OUT/jobs.txt"
  for seed in 1 2 3; do
    for variant in no-metric no-latent-dynamics no-inverse; do echo "$variant $seed"; done
  done >> "$OUT/jobs.txt"
fi
xargs -P "${JOBS:-2}" -L 1 bash -c 'job "$0" "$1" > "$OUT/$0-seed$1.log" 2>&1' < "$JOBS_FILE"
python -m simbelief_edu.report point-robot-sparse
