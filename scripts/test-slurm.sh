#!/usr/bin/env bash
# A sharded build under a real Slurm, on this machine: installs Debian's slurm-wlm and munge if
# missing (needs root and apt), starts a one-node cluster (its own config, state and logs under
# a temporary directory; ports 16817/16818), submits scripts/slurm/submit-build.sh on data/
# (N = 3 array tasks, then the merge job with --dependency=afterok), waits for it, checks that
# the merged dataset is byte-identical to a single-node build with the same arguments, trains one
# model on it with scripts/slurm/train-distributed.sbatch (2 tasks, srun), checks both ranks held
# the same model, and shuts the cluster down whatever happens. Exit 0 only if all holds.
#
#   scripts/test-slurm.sh            (about a minute once the packages are installed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${SHARDS:-3}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q slurm-wlm munge >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
fi
cargo build --release -q
export SPLICEFORGE=$root/target/release/spliceforge

work=$(mktemp -d /tmp/spliceforge-slurm.XXXXXX)
mkdir -p "$work"/{spool,state,log,run}
export SLURM_CONF=$work/slurm.conf
host=$(hostname -s)
cat >"$SLURM_CONF" <<CONF
ClusterName=spliceforge-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldPort=16817
SlurmdPort=16818
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmdSpoolDir=$work/spool
StateSaveLocation=$work/state
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=30 State=UP
CONF

started_munge=
cleanup() {
    local pids
    pids=$(cat "$work"/run/*.pid 2>/dev/null || true)
    scontrol shutdown >/dev/null 2>&1 || true
    for _ in $(seq 30); do
        kill -0 $pids 2>/dev/null || break
        sleep 1
    done
    kill $pids 2>/dev/null || true
    if [ -n "$started_munge" ]; then pkill -x munged 2>/dev/null || true; fi
    echo "== cluster stopped (logs kept in $work/log)"
}
trap cleanup EXIT

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    su -s /bin/sh munge -c munged 2>/dev/null || munged --force
    started_munge=1
fi
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo -h -o %t | grep -q idle || { echo "the one-node cluster did not come up:"; tail "$work"/log/*.log; exit 1; }
echo "== one-node Slurm cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %t')"

data=(--genome "$root/data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"
      --annotation "$root/data/DmelanDM6_4.gtf.gz" --batch-size 4)
cd "$work"
ids=$("$root/scripts/slurm/submit-build.sh" "$n" "$work/dmel" "${data[@]}")
echo "$ids" | sed 's/^/== submitted: /'
merge=$(echo "$ids" | awk '$1 == "merge" {print $2}')
for _ in $(seq 600); do
    squeue -h -j "$merge" 2>/dev/null | grep -q . || break
    sleep 1
done
echo "== Slurm's logs"
tail -n +1 "$work"/spliceforge-*.log
grep -q "OK —" "$work/spliceforge-merge-$merge.log" || { echo "FAIL: the merge job did not verify"; exit 1; }

echo "== single-node build with the same arguments"
"$SPLICEFORGE" builder "${data[@]}" --out "$work/single" -q >/dev/null
if diff -r -x .lock "$work/single" "$work/dmel"; then
    echo "PASS: $n Slurm array tasks + merge = the single-node dataset, byte for byte ($(ls "$work/dmel/parts" | wc -l) parts)"
else
    echo "FAIL: the merged dataset differs from the single-node build"
    exit 1
fi

echo "== distributed training: 2 Slurm tasks (srun) joined by spliceforge tracker"
sbatch --wait --ntasks=2 --cpus-per-task=1 --output="$work/train-%j.log" \
    "$root/scripts/slurm/train-distributed.sbatch" "$work/dmel" "$work/model" \
    --n-estimators 20 --n-folds 3 >/dev/null || { cat "$work"/train-*.log; echo "FAIL: the training job failed"; exit 1; }
tail -n 5 "$work"/train-*.log
for rank in 0 1; do
    grep -q "\[rank $rank/2\].*all 2 workers hold the same model bytes" "$work"/train-*.log ||
        { echo "FAIL: rank $rank did not confirm the shared model"; exit 1; }
done
[ -f "$work/model/train.json" ] || { echo "FAIL: no finished model in $work/model"; exit 1; }
echo "PASS: one model trained by 2 Slurm tasks; both ranks held the same model bytes"
