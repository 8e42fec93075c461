#!/usr/bin/env bash
# Regenerates Fixtures/oracle/mutations.tar.zst, the committed mutation corpus of the
# libprotobuf-c oracle (docs/ORACLE.md), from the generator in
# Tests/ProtobufCOracleTests/MutationCorpus.swift. Run it after changing the fixtures, the schema,
# the generator or its seed; the test `committedCorpusIsCurrent` fails until then.
#
#   Scripts/generate-oracle-corpus.sh [SWIFT TEST OPTIONS...]   e.g. --scratch-path .build-oracle
#
# The test, run with CKPT_WRITE_ORACLE_CORPUS=PATH, writes the corpus (the format of
# Tests/ProtobufCOracleTests/OracleCorpusFile.swift) to PATH; this script wraps it in a tar with
# fixed owner, mode and time, so the test reads it back with libarchive like any checkpoint
# archive, and compresses it with zstd -19 (about 20 MB of cases become about 270 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

command -v zstd >/dev/null || { echo "generate-oracle-corpus.sh: needs zstd" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CKPT_WRITE_ORACLE_CORPUS="$tmp/mutations.bin" swift test "$@" --filter 'ProtobufCOracleTests.*committedCorpusIsCurrent'
if [ ! -s "$tmp/mutations.bin" ]; then
  echo "generate-oracle-corpus.sh: the test wrote no corpus" >&2
  exit 1
fi

mkdir -p Fixtures/oracle
tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@0 \
  -C "$tmp" -cf "$tmp/mutations.tar" mutations.bin
zstd -q -19 -f "$tmp/mutations.tar" -o Fixtures/oracle/mutations.tar.zst
echo "Fixtures/oracle/mutations.tar.zst: $(stat -c %s Fixtures/oracle/mutations.tar.zst) bytes" \
  "($(stat -c %s "$tmp/mutations.bin") bytes uncompressed)"
