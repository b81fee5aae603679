#!/usr/bin/env bash
# One command for a sharded build under Slurm: an array of N builder tasks, then a merge job that
# starts when all of them have succeeded (--dependency=afterok).
#
#   scripts/slurm/submit-build.sh N OUT BUILDER_ARGS...
#
# Shards go to OUT.shards/shard-I, the merged dataset to OUT. Prints the two job ids
# ("array JOBID", "merge JOBID"). Extra sbatch options (partition, account, time, memory) come
# from SBATCH_ARGS, e.g. SBATCH_ARGS="--partition=short --time=4:00:00". At most
# MAX_PARALLEL (default N) tasks run at once. The binary is $SPLICEFORGE, else `spliceforge` on
# PATH; exported to the jobs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:?usage: submit-build.sh N OUT BUILDER_ARGS...}
out=${2:?usage: submit-build.sh N OUT BUILDER_ARGS...}
shift 2
case $n in '' | *[!0-9]* | 0) echo "submit-build.sh: N must be a positive number, not '$n'" >&2; exit 2 ;; esac
shards="$out.shards"
export SPLICEFORGE=${SPLICEFORGE:-$(command -v spliceforge || echo spliceforge)}
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="0-$((n - 1))%${MAX_PARALLEL:-$n}" \
    "$here/build-array.sbatch" "$shards" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    "$here/merge.sbatch" "$shards" "$out")
merge=${merge%%;*}
echo "array $array"
echo "merge $merge"
