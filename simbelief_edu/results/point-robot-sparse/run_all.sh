#!/usr/bin/env bash
# The commands behind the shipped Point-Robot-Sparse results: 3 seeds × {SimBelief, VariBAD},
# two runs side by side (one thread each), then meta-test on test + OOD tasks and copy the
# small files (not the checkpoints) here. Run from the repository root:
#   bash simbelief_edu/results/point-robot-sparse/run_all.sh
set -euo pipefail
OUT=${OUT:-runs/point-robot-sparse}
DEST=simbelief_edu/results/point-robot-sparse
BUDGET="--set num_iters=200 --set rl_updates_per_iter=250 --set eval_every=10 --set checkpoint_every=10"
lane() {
  local agent=$1
  for seed in 0 1 2; do
    local dir=$OUT/$agent-seed$seed
    if [ -f "$dir/checkpoint.pt" ]; then
      simbelief-edu train --resume "$dir"
    else
      simbelief-edu train --env point-robot-sparse --agent "$agent" --scale full --seed "$seed" \
        --out "$dir" $BUDGET
    fi
    simbelief-edu eval "$dir"
    mkdir -p "$DEST/$agent-seed$seed"
    cp "$dir"/{config.json,metrics.csv,eval.json,commands.txt} "$DEST/$agent-seed$seed/"
  done
}
lane simbelief > "$OUT-simbelief.log" 2>&1 &
lane varibad > "$OUT-varibad.log" 2>&1 &
wait
python -m simbelief_edu.report point-robot-sparse
