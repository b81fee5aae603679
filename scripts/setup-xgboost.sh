#!/usr/bin/env bash
# Installs the XGBoost C library (libxgboost.so) for a development checkout: binaries built here
# load .deps/xgboost/lib/libxgboost.so at run time when no other is found (docs/install.md).
#
# The library comes from the official PyPI wheel `xgboost-cpu` (manylinux_2_28, x86_64). It is
# fetched with pip (no Python package is installed), checked against a pinned sha256 and unpacked
# into .deps/ with the wheel's own layout, which the library's built-in RPATH relies on to find
# its bundled OpenMP runtime:
#
#   .deps/xgboost/lib/libxgboost.so            the library
#   .deps/xgboost/lib/libxgboost.so.3          -> libxgboost.so (its SONAME)
#   .deps/xgboost_cpu.libs/libgomp-*.so.*      bundled OpenMP (found via $ORIGIN/../../xgboost_cpu.libs)
#
# scripts/setup.sh (and so scripts/test.sh) runs this script. Idempotent and silent once done. Set SPLICEFORGE_XGBOOST_WHEEL=/path/to/the.whl to use an already downloaded
# wheel (it is still checksum-verified).
set -euo pipefail

VERSION=3.4.1
WHEEL=xgboost_cpu-${VERSION}-py3-none-manylinux_2_28_x86_64.whl
SHA256=1f16331f5c6beb2b40fbd4bf2834333062d93c9eb38b76186a5c206841dc1809

die() { echo "setup-xgboost: error: $*" >&2; exit 1; }
say() { echo "setup-xgboost: $*" >&2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=$ROOT/.deps
LIB=$DEPS/xgboost/lib
STAMP=$DEPS/xgboost/INSTALLED

# Fast path: nothing to do, print nothing.
done_already() {
  [[ -f $STAMP && $(cat "$STAMP") == "$WHEEL $SHA256" && -f $LIB/libxgboost.so && -L $LIB/libxgboost.so.3 ]]
}
done_already && exit 0

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
  die "the prebuilt library is for Linux x86_64 only (this is $(uname -s) $(uname -m)); build XGBoost 3.x yourself and point SPLICEFORGE_XGBOOST_LIB at it"
command -v python3 >/dev/null || die "python3 not found (needed to download and unpack the wheel)"

mkdir -p "$DEPS"
# Serialise concurrent runs (two cargo builds at once); the installs are atomic renames anyway.
if command -v flock >/dev/null; then
  exec 9>"$DEPS/.setup-xgboost.lock"
  flock 9
  done_already && exit 0
fi

TMP=$(mktemp -d "$DEPS/.tmp-xgboost.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# 1. The wheel: a given file, a cached download, or a fresh download.
CACHE=$DEPS/downloads
mkdir -p "$CACHE"
if [[ -n ${SPLICEFORGE_XGBOOST_WHEEL:-} ]]; then
  [[ -f $SPLICEFORGE_XGBOOST_WHEEL ]] || die "SPLICEFORGE_XGBOOST_WHEEL=$SPLICEFORGE_XGBOOST_WHEEL does not exist"
  SRC=$SPLICEFORGE_XGBOOST_WHEEL
elif [[ -f $CACHE/$WHEEL ]]; then
  SRC=$CACHE/$WHEEL
else
  python3 -m pip --version >/dev/null 2>&1 || die "pip is not available for python3 (try: python3 -m ensurepip)"
  say "downloading $WHEEL from PyPI"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.12 --platform manylinux_2_28_x86_64 "xgboost-cpu==$VERSION" -d "$TMP/dl" ||
    die "pip download of xgboost-cpu==$VERSION failed"
  [[ -f $TMP/dl/$WHEEL ]] || die "pip did not produce $WHEEL (got: $(ls "$TMP/dl" | tr '\n' ' '))"
  mv -f "$TMP/dl/$WHEEL" "$CACHE/$WHEEL.part"
  SRC=$CACHE/$WHEEL.part
fi

# 2. Verify, 3. unpack into $TMP/stage with the wheel's layout (python: unzip may be absent).
python3 - "$SRC" "$SHA256" "$TMP/stage" <<'PY' || die "could not verify or unpack the wheel"
import hashlib, os, shutil, sys, zipfile

src, want, stage = sys.argv[1:4]
h = hashlib.sha256()
with open(src, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
if h.hexdigest() != want:
    sys.exit(f"setup-xgboost: error: checksum mismatch for {src}: got {h.hexdigest()}, want {want}")

with zipfile.ZipFile(src) as z:
    names = [n for n in z.namelist()
             if n == "xgboost/lib/libxgboost.so"
             or (n.startswith("xgboost_cpu.libs/") and ".so" in n and not n.endswith("/"))]
    if "xgboost/lib/libxgboost.so" not in names:
        sys.exit("setup-xgboost: error: the wheel has no xgboost/lib/libxgboost.so")
    for n in names:
        dest = os.path.join(stage, *n.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(n) as r, open(dest, "wb") as w:
            shutil.copyfileobj(r, w)
        os.chmod(dest, 0o755)
PY
if [[ $SRC == "$CACHE/$WHEEL.part" ]]; then mv -f "$SRC" "$CACHE/$WHEEL"; fi

# 4. Install: each file lands by an atomic rename, the stamp last.
mkdir -p "$LIB"
if [[ -d $TMP/stage/xgboost_cpu.libs ]]; then
  mkdir -p "$DEPS/xgboost_cpu.libs"
  for f in "$TMP"/stage/xgboost_cpu.libs/*; do
    mv -f "$f" "$DEPS/xgboost_cpu.libs/"
  done
fi
mv -f "$TMP/stage/xgboost/lib/libxgboost.so" "$LIB/libxgboost.so"
ln -sfn libxgboost.so "$TMP/libxgboost.so.3"
mv -fT "$TMP/libxgboost.so.3" "$LIB/libxgboost.so.3"
echo "$WHEEL $SHA256" >"$TMP/stamp"
mv -f "$TMP/stamp" "$STAMP"
say "installed XGBoost $VERSION into $LIB"
