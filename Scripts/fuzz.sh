#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Fuzz/ (not part of `swift build` / `swift test`).
#
#   Scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 seconds per target, all targets
#   targets: decoder (any image kind), generic (any schema message), archive (CheckpointSource),
#            model (Checkpoint over a small archive whose members are fuzzed)
#
# The libraries a target exercises are compiled once each with swiftc -sanitize=fuzzer,address
# as instrumented modules (SwiftPM cannot add fuzzer instrumentation), and every target links
# the modules it needs. Seed corpora are made at run
# time from Fixtures/ in a temporary directory (nothing is committed); crashes are written to
# .build-fuzz/artifacts/. Exits non-zero if any target crashes, leaks, times out or runs out of
# memory. Environment: FUZZ_JOBS_DIR to keep the corpora (default: a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(decoder generic archive model)

# Let libFuzzer, not Swift's backtracer, handle the trap of a failed precondition (the
# backtracer trips AddressSanitizer and the report reads like a heap overflow).
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

out=.build-fuzz
mkdir -p "$out/artifacts"
work=${FUZZ_JOBS_DIR:-$(mktemp -d)}
[ -z "${FUZZ_JOBS_DIR:-}" ] && trap 'rm -rf "$work"' EXIT

swift_flags=(-parse-as-library -O -g -swift-version 6 -package-name ckpt_inspect
  -enable-upcoming-feature InternalImportsByDefault
  -enable-upcoming-feature MemberImportVisibility
  -enable-upcoming-feature ExistentialAny)
mapfile -t images_sources < <(find Sources/CRIUImages -name '*.swift' | LC_ALL=C sort)
mapfile -t archive_sources < <(find Sources/CheckpointArchive -name '*.swift' | LC_ALL=C sort)
mapfile -t checkpoint_sources < <(find Sources/Checkpoint -name '*.swift' | LC_ALL=C sort)

# build NAME OUTPUT [swiftc arguments...]: compiles unless OUTPUT (a program or an object) is newer
# than every input.
build() {
  local name=$1 output=$2
  shift 2
  local stale=1
  if [ -f "$output" ]; then
    stale=0
    for f in "$@"; do
      if [ -f "$f" ] && [ "$f" -nt "$output" ]; then stale=1; break; fi
    done
  fi
  if [ $stale -eq 1 ]; then
    echo "== building $name"
    swiftc "${swift_flags[@]}" -module-name "$name" "$@" -o "$output" 2> "$out/$name.build.log" || {
      cat "$out/$name.build.log" >&2
      return 1
    }
  fi
}

# The three libraries, each compiled once as an instrumented module (object + interface); every
# target links the modules it needs (the seed tool links the instrumented CRIUImages with ASan's
# default coverage callbacks, without libFuzzer, which brings its own main).
mods="$out/modules"
mkdir -p "$mods"
build_module() {
  case $1 in
    CRIUImages) build CRIUImages "$mods/CRIUImages.o" -sanitize=fuzzer,address -whole-module-optimization -c \
        -emit-module -emit-module-path "$mods/CRIUImages.swiftmodule" "${images_sources[@]}" ;;
    CheckpointArchive) build CheckpointArchive "$mods/CheckpointArchive.o" -sanitize=fuzzer,address \
        -whole-module-optimization -c -I Sources/CLibArchive \
        -emit-module -emit-module-path "$mods/CheckpointArchive.swiftmodule" "${archive_sources[@]}" ;;
    Checkpoint)
      # (Checkpoint depends on the other two: rebuilt when either is newer.)
      for dep in CRIUImages CheckpointArchive; do
        [ "$mods/$dep.o" -nt "$mods/Checkpoint.o" ] && rm -f "$mods/Checkpoint.o"
      done
      build Checkpoint "$mods/Checkpoint.o" -sanitize=fuzzer,address -whole-module-optimization -c \
        -I "$mods" -I Sources/CLibArchive -emit-module -emit-module-path "$mods/Checkpoint.swiftmodule" \
        "${checkpoint_sources[@]}" ;;
  esac
}

# build_target NAME: links (and compiles its own files of) a target; its modules must be built.
build_target() {
  case $1 in
    seeds) build SeedTool "$out/seed-tool" -sanitize=address -I "$mods" "$mods/CRIUImages.o" \
               Fuzz/FuzzSupport.swift Fuzz/SeedTool.swift ;;
    decoder) build DecoderFuzz "$out/decoder" -sanitize=fuzzer,address -I "$mods" "$mods/CRIUImages.o" \
               Fuzz/FuzzSupport.swift Fuzz/DecoderFuzz.swift ;;
    generic) build GenericFuzz "$out/generic" -sanitize=fuzzer,address -I "$mods" "$mods/CRIUImages.o" \
               Fuzz/FuzzSupport.swift Fuzz/GenericFuzz.swift ;;
    archive) build ArchiveFuzz "$out/archive" -sanitize=fuzzer,address -I "$mods" -I Sources/CLibArchive -larchive \
               "$mods/CheckpointArchive.o" Fuzz/ArchiveFuzz.swift ;;
    model) build ModelFuzz "$out/model" -sanitize=fuzzer,address -I "$mods" -I Sources/CLibArchive -larchive \
        "$mods/CRIUImages.o" "$mods/CheckpointArchive.o" "$mods/Checkpoint.o" Fuzz/ModelFuzz.swift ;;
  esac
}

max_len() {
  case $1 in
    decoder) echo 65536 ;;
    generic) echo 16384 ;;
    archive) echo 131072 ;;
    model) echo 65536 ;;
  esac
}

# record_header INDEX LENGTH: the 3-byte header of a model input record.
record_header() {
  # shellcheck disable=SC2059
  printf "$(printf '\\x%02x\\x%02x\\x%02x' "$1" $(($2 & 255)) $(($2 >> 8)))"
}

# Seed corpora from the fixtures.
seeds() {
  [ -d "$work/seeds" ] && return 0
  mkdir -p "$work/seeds/decoder" "$work/seeds/generic" "$work/seeds/archive" "$work/seeds/model" "$work/podman"
  build_target seeds
  for archive in Fixtures/podman/*.tar*; do
    local dir="$work/podman/$(basename "$archive")"
    mkdir -p "$dir" && tar -xf "$archive" -C "$dir"
  done
  find Fixtures/raw "$work/podman" -type f \( -name '*.img' -o -name stats-dump -o -name irmap-cache \) \
    ! -name 'pages-*' -print0 | LC_ALL=C sort -z \
    | xargs -0 "$out/seed-tool" "$work/seeds/decoder" "$work/seeds/generic" "$(max_len decoder)"
  # Archives: small tars of fixture image directories (no page data), plain, gzip and zstd, plus
  # the small compressed Podman archives as they are.
  local n=0
  for dir in Fixtures/raw/marker-static Fixtures/raw/fds-sockets Fixtures/raw/incremental/pre1; do
    [ -d "$dir" ] || continue
    local list
    list=$(cd "$dir" && find . -maxdepth 1 -type f ! -name 'pages-*' ! -name '*.log' | LC_ALL=C sort)
    # shellcheck disable=SC2086
    (cd "$dir" && tar --format=gnu -cf "$work/seeds/archive/dir-$n.tar" $list)
    gzip -9 -c "$work/seeds/archive/dir-$n.tar" > "$work/seeds/archive/dir-$n.tar.gz"
    zstd -q -19 -c "$work/seeds/archive/dir-$n.tar" > "$work/seeds/archive/dir-$n.tar.zst"
    (cd "$dir" && tar --format=gnu -cf "$work/seeds/archive/checkpoint-$n.tar" --transform 's,^\./,checkpoint/,' $list)
    n=$((n + 1))
  done
  cp Fixtures/podman/ck-basic.gzip.tar.gz Fixtures/podman/ck-basic.zstd.tar.zst "$work/seeds/archive/"
  find "$work/seeds/archive" -type f -size +"$(( $(max_len archive) / 1024 ))"k -delete
  # Model: the base images, and one seed per small base member replacing it by itself (the record
  # format is in Fuzz/ModelFuzz.swift), plus the Podman engine files.
  mkdir -p "$work/model-base"
  find Fixtures/raw/marker-static -maxdepth 1 -type f ! -name '*.log' -exec cp {} "$work/model-base/" \;
  local i=0
  for f in $(cd "$work/model-base" && ls | LC_ALL=C sort); do
    local size; size=$(stat -c %s "$work/model-base/$f")
    if [ "$size" -lt 65000 ]; then
      { record_header $i "$size"; cat "$work/model-base/$f"; } > "$work/seeds/model/member-$i"
    fi
    i=$((i + 1))
  done
  for extra in config.dump spec.dump; do
    local size; size=$(tar -xOf Fixtures/podman/ck-basic.none.tar "$extra" | wc -c)
    { record_header $i "$size"; tar -xOf Fixtures/podman/ck-basic.none.tar "$extra"; } > "$work/seeds/model/$extra"
    i=$((i + 1))
  done
}

status=0
for t in "${targets[@]}"; do
  case $t in decoder|generic|archive|model) ;; *) echo "fuzz.sh: unknown target '$t' (decoder, generic, archive, model)" >&2; exit 2 ;; esac
done
# The compiles are single-threaded: two lanes at once. CRIUImages and CheckpointArchive side by
# side, then Checkpoint (only for the model target) beside the small links.
fail() { echo "!! a build failed (see $out/*.build.log)" >&2; exit 1; }
( build_module CRIUImages ) & first=$!
( build_module CheckpointArchive ) & second=$!
wait $first || fail
wait $second || fail
if [[ " ${targets[*]} " == *" model "* ]]; then
  ( build_module Checkpoint ) & first=$!
else
  first=""
fi
build_target seeds || fail
for t in "${targets[@]}"; do
  [ "$t" = model ] || build_target "$t" || fail
done
[ -z "$first" ] || wait $first || fail
seeds
for target in "${targets[@]}"; do
  build_target "$target"
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  echo "== fuzzing $target for ${seconds}s ($(ls "$work/seeds/$target" | wc -l) seeds)"
  log="$out/$target.log"
  # ASan's quarantine of freed memory (256 MiB by default) counts against -rss_limit_mb; at
  # 64 MiB a 20-second decoder run peaks well under the limit, which stays for our allocations.
  if ASAN_OPTIONS="quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}" CKPT_FUZZ_MODEL_BASE="$work/model-base" "$out/$target" "$corpus" "$work/seeds/$target" \
      -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=1 -rss_limit_mb=512 \
      -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 > "$log" 2>&1; then
    :
  else
    status=1
    echo "!! $target failed: see $log and $out/artifacts/" >&2
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
  fi
  # The last status line and the final stats: executions, coverage, corpus size.
  grep -E '^#[0-9]+' "$log" | tail -n 1 || true
  grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  echo "corpus: $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
done
exit $status
