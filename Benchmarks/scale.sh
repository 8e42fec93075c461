#!/usr/bin/env bash
# Scale run (issue 20): the one-pass commands on .tar.zst at growing sizes of pages, each beside
# `zstd -dc` of the same archive in the same run, to show that time grows linearly with the
# archive and memory not at all. The data is generated, measured and deleted (nothing is kept).
#
#   Benchmarks/scale.sh [--sizes 2GiB,8GiB] [--runs 3] [--dir /tmp/ckpt-scale]
#
# Needs a release ckpt-inspect (CKPT_INSPECT=path, else Benchmarks/.build-main/release/ckpt-inspect,
# which run.sh builds) and ckpt-gen (Benchmarks/.build/release/ckpt-gen). Writes a Markdown table
# on stdout and to Benchmarks/results/scale.md.
set -uo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZES="2GiB,8GiB"
RUNS=3
WORK="/tmp/ckpt-scale"
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --dir) WORK="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "scale.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
BIN="${CKPT_INSPECT:-$BENCH/.build-main/release/ckpt-inspect}"
GEN="$BENCH/.build/release/ckpt-gen"
[ -x "$BIN" ] || { echo "scale.sh: no ckpt-inspect at $BIN (run Benchmarks/run.sh once, or set CKPT_INSPECT)" >&2; exit 1; }
[ -x "$GEN" ] || { echo "scale.sh: no ckpt-gen at $GEN (cd Benchmarks && swift build -c release --product ckpt-gen)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale.sh: /usr/bin/time missing (apt-get install -y time)" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# median of RUNS runs: "seconds peak-KiB"
measure() {
    local times=() peak=0 i
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" > /dev/null 2> "$WORK/stderr"
        read -r t m < "$WORK/time"
        times+=("$t")
        [ "$m" -gt "$peak" ] && peak=$m
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$peak"
}

OUT="$BENCH/results/scale.md"
{
    echo "# Scale run"
    echo
    echo "\`$0 --sizes $SIZES --runs $RUNS\` on $(nproc) cores, $(date -u +%Y-%m-%d); load average at start $(cut -d' ' -f1-3 /proc/loadavg); medians of $RUNS; peak RSS of all runs."
    echo
    echo "| pages | archive (.tar.zst) | \`zstd -dc\` | show | inspect --all | search | mem dump (largest process) | peak RSS (show / inspect / search / dump) |"
    echo "|---|---|---|---|---|---|---|---|"
} > "$OUT.tmp"
IFS=',' read -r -a SIZE_LIST <<< "$SIZES"
for size in "${SIZE_LIST[@]}"; do
    rm -rf "$WORK"; mkdir -p "$WORK"
    log "generating $size"
    "$GEN" --pages-size "$size" --out "$WORK/base" --seed 7 --archives tar.zst --quiet || { log "generation failed"; exit 1; }
    rm -rf "$WORK/base"  # only the archive is measured (and the disk is needed)
    archive="$WORK/base.tar.zst"
    pid=$("$BIN" maps --summary --bytes "$archive" 2>/dev/null | awk 'NR > 1 { gsub(/ B/, "") } NR > 1 && $5 + 0 > best { best = $5 + 0; pid = $1 } END { print pid }')
    log "$size: $(du -h "$archive" | cut -f1), largest process $pid"
    read -r z zm < <(measure bash -c "zstd -dc '$archive' > /dev/null")
    read -r s sm < <(measure "$BIN" show "$archive")
    read -r i im < <(measure "$BIN" inspect --all "$archive")
    read -r q qm < <(measure "$BIN" search "$archive" BENCH-MARKER-)
    read -r d dm < <(measure bash -c "rm -rf '$WORK/dump'; '$BIN' mem dump '$archive' --pid $pid -o '$WORK/dump'")
    rm -rf "$WORK/dump"
    ratio() { awk -v a="$1" -v b="$z" 'BEGIN { printf "%.2fx", a / b }'; }
    mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
    echo "| $size | $(du -h "$archive" | cut -f1) | $z s | $s s ($(ratio "$s")) | $i s ($(ratio "$i")) | $q s ($(ratio "$q")) | $d s ($(ratio "$d")) | $(mib "$sm") / $(mib "$im") / $(mib "$qm") / $(mib "$dm") MiB |" >> "$OUT.tmp"
    rm -rf "$WORK"
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
