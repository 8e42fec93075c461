#!/usr/bin/env bash
# CLI benchmarks of ckpt-inspect on synthetic checkpoints, each beside a baseline tool run
# in the same session. See Benchmarks/README.md.
#
#   Benchmarks/run.sh [--tiers 20MiB,2GiB] [--runs 5] [--regen] [--no-build] [--keep-data] [--only LABELS]
#
# --only search,yara measures only the rows of those commands (the data is generated as usual) and
# writes results/only-search-yara.md instead of results/latest.md.
#
# Environment: CKPT_INSPECT=/path/to/ckpt-inspect skips the release build of the main package;
# CMD_BUDGET=seconds caps the time spent on one command's runs (default 150; at least 1 run).
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
TIERS="20MiB,2GiB"
RUNS=5
REGEN=0
BUILD=1
KEEP=0
ONLY=""
SEED=7
CHANGED=0.05
CMD_BUDGET="${CMD_BUDGET:-150}"
COMMAND_LINE="Benchmarks/run.sh $*"

while [ $# -gt 0 ]; do
    case "$1" in
        --tiers) TIERS="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --keep-data) KEEP=1; shift ;;
        --only) ONLY="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
STARTED=$(date +%s)
LOAD_START="$(cut -d" " -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
# Tools
[ -x /usr/bin/time ] || { log "installing time"; apt-get install -y time >/dev/null 2>&1 || die "/usr/bin/time missing"; }
for tool in tar gzip zstd cmp grep yara; do command -v "$tool" >/dev/null || die "$tool missing (apt-get install -y zstd yara)"; done
CRIT="$(command -v crit || true)"

# ---------------------------------------------------------------------------------------------
# Build: the main package in release (own scratch path: others may be building .build), the generator.
build_with_retry() {  # dir, args...
    local dir="$1"; shift
    for attempt in 1 2 3; do
        if (cd "$dir" && swift build "$@" 2>&1 | tail -3 >&2); then return 0; fi
        log "build in $dir failed (attempt $attempt); retrying in 60 s"
        sleep 60
    done
    return 1
}
if [ -n "${CKPT_INSPECT:-}" ]; then
    BIN="$CKPT_INSPECT"
elif [ $BUILD = 1 ]; then
    # As `make` builds the installed binary: the Swift runtime and Foundation linked in statically
    # (their shared libraries' pages would count in every command's peak RSS).
    log "building ckpt-inspect (release, --static-swift-stdlib as make)"
    build_with_retry "$ROOT" -c release --static-swift-stdlib --product ckpt-inspect --scratch-path "$BENCH/.build-main" || die "release build of the main package failed"
    BIN="$BENCH/.build-main/release/ckpt-inspect"
else
    BIN="$BENCH/.build-main/release/ckpt-inspect"
fi
[ -x "$BIN" ] || die "no ckpt-inspect at $BIN"
if [ $BUILD = 1 ]; then
    log "building ckpt-gen (release)"
    build_with_retry "$BENCH" -c release --product ckpt-gen || die "build of ckpt-gen failed"
fi
GEN="$BENCH/.build/release/ckpt-gen"
[ -x "$GEN" ] || die "no ckpt-gen at $GEN"

# Which subcommands the built binary has (others are being written while this suite exists).
has_cmd() {  # "mem dump" -> USAGE line names it
    "$BIN" $1 --help 2>&1 | grep -q "USAGE: ckpt-inspect $1"
}
declare -A HAVE
for c in show inspect ps decode maps search "mem dump" diff verify yara; do
    if has_cmd "$c"; then HAVE[$c]=1; else HAVE[$c]=0; fi
done
log "subcommands: $(for c in show inspect ps decode maps search 'mem dump' diff verify yara; do printf '%s=%s ' "${c// /_}" "${HAVE[$c]}"; done)"

# ---------------------------------------------------------------------------------------------
# Measurement
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
RESULTS="$TMP/results.tsv"   # tier  label  command  median  rss  baseline  bmedian  brss  target  verdict
: > "$RESULTS"

# measure NAME CMD...: runs CMD (stdout to /dev/null) up to $RUNS times; sets M_MED (s), M_RSS (MiB), M_NOTE.
# PRE_HOOK (a shell snippet) runs before each run, untimed.
# With PAIRED=1 (next bench only), the command and its baseline run alternately instead (see
# PAIR_CMD): a slow drift of the machine (writeback, the host's memory) then weighs on both alike.
PRE_HOOK=""
BASE_HOOK=""  # run before each baseline run (next bench only)
OVERRIDE=""   # verdict to record instead of the computed one (next bench only)
OK_RC="0"     # exit codes that count as success (next bench only; diff and verify report findings with 1)
PAIRED=0
# run_once HOOK CMD...: one timed run; sets R_US (microseconds), R_RSS (KiB), R_RC, R_ERR.
run_once() {
    local hook="$1"; shift
    [ -n "$hook" ] && eval "$hook"
    local s e
    s=$(date +%s%N)
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/stderr"
    R_RC=$?
    e=$(date +%s%N)
    R_US=$(( (e - s) / 1000 ))
    R_RSS="$(tail -1 "$TMP/time" | awk '{print $2}')"
    R_ERR="$(head -c 160 "$TMP/stderr" | tr '\n|' '  ')"
}
median_s() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f", m / 1e6}'; }
max_mib() { sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }
# accept NAME: R_RC of the last run against OK_RC; sets A_OK (1 = go on), M_NOTE.
accept() {
    A_OK=1
    if [ "$R_RC" -ne 0 ]; then
        if [[ " $OK_RC " == *" $R_RC "* ]]; then
            M_NOTE="exit $R_RC"; R_RC=0
        else
            M_NOTE="exit $R_RC: $R_ERR"; log "  $1 failed: $M_NOTE"; A_OK=0
        fi
    fi
}
# With PAIR_CMD set (a baseline command for bash -c), each run of CMD is followed by a run of the
# baseline (PAIR_TEXT names it in the log), and B_MED, B_RSS, B_RC are set for it as well.
PAIR_CMD=""
PAIR_TEXT=""
measure() {
    local name="$1"; shift
    local -a times=() rss=() btimes=() brss=()
    local total=0 i rc=0 brc=0 unit=runs
    [ -n "$PAIR_CMD" ] && unit=pairs
    M_NOTE=""
    for ((i = 0; i < RUNS; i++)); do
        run_once "$PRE_HOOK" "$@"
        times+=("$R_US"); rss+=("$R_RSS")
        total=$(( total + R_US / 1000000 ))
        accept "$name"; rc=$R_RC
        [ $A_OK = 1 ] || break
        if [ -n "$PAIR_CMD" ]; then
            run_once "$BASE_HOOK" bash -c "$PAIR_CMD"
            btimes+=("$R_US"); brss+=("$R_RSS"); brc=$R_RC
            total=$(( total + R_US / 1000000 ))
            [ "$brc" = 0 ] || { log "  baseline $PAIR_TEXT failed: $R_ERR"; break; }
        fi
        if [ $total -ge "$CMD_BUDGET" ] && [ $((i + 1)) -lt "$RUNS" ]; then
            M_NOTE="$((i + 1)) $unit (time budget)"
            break
        fi
    done
    M_MED=$(printf '%s\n' "${times[@]}" | median_s)
    M_RSS=$(printf '%s\n' "${rss[@]}" | max_mib)
    M_RC=$rc
    if [ -z "$PAIR_CMD" ]; then
        log "  $name: ${M_MED}s ${M_RSS} MiB ${M_NOTE}"
        return
    fi
    if [ ${#btimes[@]} -gt 0 ]; then
        B_MED=$(printf '%s\n' "${btimes[@]}" | median_s)
        B_RSS=$(printf '%s\n' "${brss[@]}" | max_mib)
        B_RC=$brc
    else  # the command failed before the baseline ran
        B_MED="-"; B_RSS="-"; B_RC=0
    fi
    log "  $name: ${M_MED}s ${M_RSS} MiB ${M_NOTE} (runs: $(printf '%s ' "${times[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%.2f ", $i / 1e6}'))"
    log "  baseline $PAIR_TEXT: ${B_MED}s ${B_RSS} MiB (runs: $(printf '%s ' "${btimes[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%.2f ", $i / 1e6}'))"
}

# row TIER LABEL "CMD TEXT" TARGET_KIND -- measures nothing; appends a line with the last two measurements.
record() {  # tier label cmdtext med rss note baseline_text bmed brss target verdict
    printf '%s\t' "$@" >> "$RESULTS"
    printf '\n' >> "$RESULTS"
}

# verdict helpers (awk floating point)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# bench TIER LABEL TARGET_TEXT TARGET_KIND BASE_TEXT BASE_CMD -- CMD...
#   TARGET_KIND: time:<factor>  (cmd <= factor * baseline), rss:<MiB>, time+rss:<factor>:<MiB>, none
bench() {
    local tier="$1" label="$2" target="$3" kind="$4" btext="$5" bcmd="$6"; shift 6
    [ "$1" = "--" ] && shift
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$label,"* ]]; then
        OVERRIDE=""; OK_RC="0"; PAIRED=0; PRE_HOOK=""; BASE_HOOK=""
        return
    fi
    local sub="$label"
    local cmdtext="ckpt-inspect ${*:2}"
    cmdtext="${cmdtext//"$DATA/"/}"
    cmdtext="${cmdtext//"$BENCH/"/Benchmarks/}"
    if [ "${HAVE[$sub]:-0}" != 1 ]; then
        record "$tier" "$label" "ckpt-inspect $sub" "n/a" "n/a" "not in this build" "$btext" "-" "-" "$target" "n/a"
        OVERRIDE=""; OK_RC="0"; PAIRED=0
        return
    fi
    local bmed="-" brss="-"
    if [ "$PAIRED" = 1 ] && [ -n "$bcmd" ]; then
        PAIR_CMD="$bcmd"; PAIR_TEXT="$btext"
        measure "$label" "$@"
        PAIR_CMD=""; PAIR_TEXT=""
        bmed="$B_MED"; brss="$B_RSS"
        [ "$B_RC" != 0 ] && bmed="fail"
    else
        measure "$label" "$@"
    fi
    local med="$M_MED" rss="$M_RSS" note="${M_NOTE:--}" rc="$M_RC"
    OK_RC="0"
    if [ "$PAIRED" != 1 ] && [ -n "$bcmd" ]; then
        local saved_hook="$PRE_HOOK"; PRE_HOOK="$BASE_HOOK"
        measure "baseline $btext" bash -c "$bcmd"
        PRE_HOOK="$saved_hook"
        bmed="$M_MED"; brss="$M_RSS"
        [ "$M_RC" != 0 ] && bmed="fail"
    fi
    PAIRED=0
    local verdict="-"
    if [ "$rc" != 0 ]; then
        verdict="not met (failed)"
        [ "$kind" = none ] && verdict="failed"
    else
        case "$kind" in
            time:*) local f="${kind#time:}"; if [ "$bmed" = "-" ] || [ "$bmed" = fail ]; then verdict="n/a"; elif le "$med" "$(awk -v b="$bmed" -v f="$f" 'BEGIN{print b*f}')"; then verdict="met"; else verdict="not met"; fi ;;
            rss:*) local m="${kind#rss:}"; if le "$rss" "$m"; then verdict="met"; else verdict="not met"; fi ;;
            time+rss:*) local rest="${kind#time+rss:}"; local f="${rest%%:*}" m="${rest#*:}"
                if [ "$bmed" = "-" ] || [ "$bmed" = fail ]; then verdict="n/a"
                elif le "$med" "$(awk -v b="$bmed" -v f="$f" 'BEGIN{print b*f}')" && le "$rss" "$m"; then verdict="met"
                else verdict="not met"; fi ;;
            memtime+rss:*) local rest="${kind#memtime+rss:}"; local f="${rest%%:*}" m="${rest#*:}"
                if [ "$bmed" = "-" ] || [ "$bmed" = fail ]; then verdict="n/a"
                elif le "$med" "$(awk -v b="$bmed" -v f="$f" 'BEGIN{print b*f}')" && le "$rss" "$m"; then verdict="met"
                elif le "$rss" "$m"; then verdict="not met (time)"
                elif le "$med" "$(awk -v b="$bmed" -v f="$f" 'BEGIN{print b*f}')"; then verdict="not met (memory)"
                else verdict="not met (time, memory)"; fi ;;
            none) verdict="-" ;;
        esac
        [ -n "$OVERRIDE" ] && verdict="$OVERRIDE"
        # The issues set the throughput targets on 1-2 GiB of pages; on the small tier a run is a
        # few tens of milliseconds of start-up and index, so the ratio is shown but not judged.
        if [[ "$kind" == memtime+rss:* ]] && [ "$tier" = 20MiB ] && [ -z "$OVERRIDE" ]; then
            local memlimit="${kind##*:}"
            if le "$rss" "$memlimit"; then verdict="n/a at 20 MiB (start-up bound; target set for 2 GiB); memory met"
            else verdict="n/a at 20 MiB (start-up bound; target set for 2 GiB); memory not met"; fi
        fi
    fi
    OVERRIDE=""
    record "$tier" "$label" "$cmdtext" "$med" "$rss" "$note" "$btext" "$bmed" "$brss" "$target" "$verdict"
}

# ---------------------------------------------------------------------------------------------
# Data. A tier is a pages size, optionally with a process count: 2GiB, or 2GiB:500 (500 processes).
procs_of() { case "$1" in *:*) echo "--processes ${1#*:}" ;; esac; }
DATA="$BENCH/data"
mkdir -p "$DATA"
declare -A SHOW_TAR SHOW_TAR_RSS
IFS=',' read -r -a TIER_LIST <<< "$TIERS"
for tier in "${TIER_LIST[@]}"; do
    dir="$DATA/$tier"
    stamp="$dir/.complete"
    params="seed=$SEED changed=$CHANGED gen=$(cat "$BENCH"/Sources/CheckpointGen/*.swift | sha256sum | cut -c1-16)"
    if [ $REGEN = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$params" ]; then
        rm -rf "$dir"; mkdir -p "$dir"
        avail=$(df -B1 --output=avail "$DATA" | tail -1)
        log "generating $tier into $dir (free: $((avail >> 30)) GiB)"
        "$GEN" --pages-size "${tier%%:*}" $(procs_of "$tier") --out "$dir/base" --twin "$dir/twin" --changed-fraction "$CHANGED" --seed "$SEED" \
            --archives tar,tar.gz,tar.zst --twin-archives tar || die "generation of $tier failed"
        echo "$params" > "$stamp"
    else
        log "reusing data for $tier"
    fi
done

# ---------------------------------------------------------------------------------------------
# Benchmarks
for tier in "${TIER_LIST[@]}"; do
    dir="$DATA/$tier"
    base="$dir/base"
    ck="$base/checkpoint"
    manifest="$base/manifest.json"
    largest_pid=$(sed -n '/"largestProcess"/,/}/p' "$manifest" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p' | head -1)
    largest_pages=$(sed -n '/"largestProcess"/,/}/p' "$manifest" | sed -n 's/.*"pagesFile": "\(.*\)".*/\1/p' | head -1)
    pages_files="$(ls "$ck"/pages-*.img "$base"/pre-checkpoint/pages-*.img | tr '\n' ' ')"
    log "tier $tier: largest process $largest_pid ($largest_pages)"

    # show: all three archive formats
    OVERRIDE="SIZE_PENDING"
    bench "$tier" show "time independent of pages size (.tar); < 64 MiB" none "tar -tf" "tar -tf '$dir/base.tar'" -- "$BIN" show "$dir/base.tar"
    SHOW_TAR[$tier]="$(tail -1 "$RESULTS" | cut -f4)"
    SHOW_TAR_RSS[$tier]="$(tail -1 "$RESULTS" | cut -f5)"
    bench "$tier" show "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "zstd -dc '$dir/base.tar.zst' > /dev/null" -- "$BIN" show "$dir/base.tar.zst"
    bench "$tier" show "< 64 MiB" "rss:64" "gzip -dc" "gzip -dc '$dir/base.tar.gz' > /dev/null" -- "$BIN" show "$dir/base.tar.gz"
    # inspect
    if "$BIN" inspect --help 2>&1 | grep -q -- '--all'; then
        bench "$tier" inspect "-" none "tar -tf" "tar -tf '$dir/base.tar'" -- "$BIN" inspect --all "$dir/base.tar"
    else
        bench "$tier" inspect "-" none "tar -tf" "tar -tf '$dir/base.tar'" -- "$BIN" inspect "$dir/base.tar"
    fi
    # One pass over a compressed archive (issue 20): the page reads ride on the pass that opens it,
    # decompression on one thread and the work on the other, so the wall time approaches zstd -dc's.
    ZSTD_DC="zstd -dc '$dir/base.tar.zst' > /dev/null"
    bench "$tier" inspect "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "$ZSTD_DC" -- "$BIN" inspect --all "$dir/base.tar.zst"
    bench "$tier" inspect "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "$ZSTD_DC" -- "$BIN" inspect --all --format json "$dir/base.tar.zst"
    bench "$tier" ps "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "$ZSTD_DC" -- "$BIN" ps "$dir/base.tar.zst"
    OK_RC="0 1"
    bench "$tier" search "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "$ZSTD_DC" -- "$BIN" search "$dir/base.tar.zst" BENCH-MARKER-
    OK_RC="0 1"
    bench "$tier" search "<= 1.3x gzip -dc; < 64 MiB" "memtime+rss:1.3:64" "gzip -dc" "gzip -dc '$dir/base.tar.gz' > /dev/null" -- "$BIN" search "$dir/base.tar.gz" BENCH-MARKER-
    zout="$dir/memdump-zst-out"
    rm -rf "$dir"/memdump-zst-old-*
    PRE_HOOK="[ -e '$zout' ] && mv '$zout' '$dir/memdump-zst-old-'\$RANDOM\$RANDOM; sync; true"
    bench "$tier" "mem dump" "<= 1.3x zstd -dc; < 64 MiB" "memtime+rss:1.3:64" "zstd -dc" "$ZSTD_DC" \
        -- "$BIN" mem dump "$dir/base.tar.zst" --pid "$largest_pid" --output "$zout"
    PRE_HOOK=""
    # The same dump beside a baseline that also writes what it decompresses: tar extracting the
    # process's pages file from the same archive (each run into a fresh directory, as the dump).
    xout="$dir/extract-out"
    PRE_HOOK="[ -e '$zout' ] && mv '$zout' '$dir/memdump-zst-old-'\$RANDOM\$RANDOM; sync; true"
    BASE_HOOK="rm -rf '$xout'; mkdir -p '$xout'; sync; true"
    bench "$tier" "mem dump" "-" none "zstd -dc | tar -x (pages file)" "zstd -dc '$dir/base.tar.zst' | tar -x -C '$xout' '$largest_pages'" \
        -- "$BIN" mem dump "$dir/base.tar.zst" --pid "$largest_pid" --output "$zout"
    PRE_HOOK=""; BASE_HOOK=""
    rm -rf "$zout" "$xout" "$dir"/memdump-zst-old-*
    if [ -f "$dir/twin.tar" ]; then
        OK_RC="0 1"
        bench "$tier" diff "<= 1.3x cat of both" "memtime+rss:1.3:128" "cat both" "cat '$dir/base.tar' '$dir/twin.tar' > /dev/null" \
            -- "$BIN" diff "$dir/base.tar" "$dir/twin.tar"
    fi
    # decode every image of the checkpoint directory
    if [ -n "$CRIT" ]; then
        bench "$tier" decode ">= 50x faster than crit" "time:0.02" "crit decode (every image)" \
            "for f in '$ck'/*.img; do case \$(basename \$f) in pages-*|tmpfs-*) continue;; esac; '$CRIT' decode -i \$f > /dev/null; done" \
            -- "$BIN" decode --dir "$ck"
    else
        OVERRIDE="n/a (no crit)"
        bench "$tier" decode ">= 50x faster than crit" none "crit decode (not installed)" "" -- "$BIN" decode --dir "$ck"
    fi
    # maps
    bench "$tier" maps "-" none "cat mm-*.img pagemap-*.img" "cat '$ck'/mm-*.img '$ck'/pagemap-*.img > /dev/null" -- "$BIN" maps "$base"
    # search: literal and regex, against grep over the same pages files
    bench "$tier" search ">= 0.8x grep throughput; < 64 MiB" "memtime+rss:1.25:64" "grep -c -a -F" "grep -c -a -F BENCH-MARKER- $pages_files > '$TMP/grep.out'" \
        -- "$BIN" search "$base" BENCH-MARKER-
    bench "$tier" search ">= 0.8x grep throughput; < 64 MiB" "memtime+rss:1.25:64" "grep -c -a -E" "grep -c -a -E 'BENCH-MARKER-[0-9]{6}' $pages_files > '$TMP/grep.out'" \
        -- "$BIN" search --regex "$base" 'BENCH-MARKER-[0-9]{6}'
    # yara: the same rules (Benchmarks/yara/bench.yar) over the memory of every process (pre-checkpoint
    # pages included) and, by yara itself, over the pages files as they are (-r over a directory of
    # links to them: yara scans the files on several threads). --max-matches as high as yara's own
    # limit, so both sides collect every match.
    rules="$BENCH/yara/bench.yar"
    links="$TMP/yara-pages"; rm -rf "$links"; mkdir -p "$links"
    for f in "$ck"/pages-*.img; do ln -s "$f" "$links/ck-$(basename "$f")"; done
    for f in "$base"/pre-checkpoint/pages-*.img; do ln -s "$f" "$links/pre-$(basename "$f")"; done
    bench "$tier" yara ">= 0.8x yara throughput; < 64 MiB + rules" "memtime+rss:1.25:64" "yara -r (pages files)" "yara -r '$rules' '$links' > '$TMP/yara.out'" \
        -- "$BIN" yara --max-matches 1000000 "$rules" "$base"
    [ "${HAVE[yara]}" = 1 ] && log "  yara: $("$BIN" yara --max-matches 1000000 "$rules" "$base" | grep -c '^  0x.*:\$m: "BENCH-MARKER-') BENCH-MARKER- matches (manifest: $(sed -n 's/.*"markers": \([0-9]*\).*/\1/p' "$manifest" | head -1)), yara over the files: $(yara -s -r "$rules" "$links" | grep -c ':\$m: BENCH-MARKER-')"
    # and in one pass over the .tar.zst (index and pages), beside one decompression for scale
    bench "$tier" yara "-" none "zstd -dc" "zstd -dc '$dir/base.tar.zst' > /dev/null" -- "$BIN" yara --max-matches 1000000 "$rules" "$dir/base.tar.zst"
    # mem dump of the largest process
    # Both sides write a copy to the same disk: the dump writes its regions (holes left sparse),
    # cat the process's pages file to a file (GNU cat copies in the kernel, copy_file_range).
    # The two run alternately (PAIRED): the cost of writing here swings several-fold within
    # minutes (writeback, the host backing the guest's fresh page-cache memory), and alternating
    # puts both sides in the same weather. Before every run, untimed: `sync`, so that no run is
    # charged for the previous one's dirty pages. Each run writes into fresh files: the previous
    # run's output is moved aside, not deleted, until the end (ext4 searches past inodes freed in
    # the last minutes when it creates files, which would charge the dump's files for the
    # deletion of the previous run's).
    out="$dir/memdump-out"
    rm -rf "$dir"/memdump-old-* "$dir"/cat-old-*
    PRE_HOOK="[ -e '$out' ] && mv '$out' '$dir/memdump-old-'\$RANDOM\$RANDOM; sync; true"
    BASE_HOOK="[ -e '$dir/cat-copy.img' ] && mv '$dir/cat-copy.img' '$dir/cat-old-'\$RANDOM\$RANDOM.img; sync; true"
    PAIRED=1
    bench "$tier" "mem dump" ">= 0.8x cat throughput; < 64 MiB" "memtime+rss:1.25:64" "cat pages file > copy" "cat '$base/$largest_pages' > '$dir/cat-copy.img'" \
        -- "$BIN" mem dump "$base" --pid "$largest_pid" --output "$out"
    PRE_HOOK=""; BASE_HOOK=""
    [ -d "$out" ] && log "  mem dump wrote $(du -sh --apparent-size "$out" | cut -f1) (apparent), $(du -sh "$out" | cut -f1) on disk"
    rm -rf "$out" "$dir/cat-copy.img" "$dir"/memdump-old-* "$dir"/cat-old-*
    # diff against the twin; cmp reads identical copies to the end (it stops at the first difference otherwise)
    if [ "${HAVE[diff]}" = 1 ]; then
        copy="$dir/cmp-copy"; rm -rf "$copy"; mkdir -p "$copy"; cp "$ck"/pages-*.img "$copy"/
        cmpcmd="for f in '$ck'/pages-*.img; do cmp \"\$f\" '$copy'/\$(basename \"\$f\") || exit 1; done"
    else
        cmpcmd=""
    fi
    OK_RC="0 1"
    bench "$tier" diff "<= 1.5x cmp; < 128 MiB" "memtime+rss:1.5:128" "cmp (identical copies)" "$cmpcmd" -- "$BIN" diff "$base" "$dir/twin"
    rm -rf "$dir/cmp-copy"
    # verify
    OK_RC="0 1"
    bench "$tier" verify "-" none "cat every image" "cat '$ck'/*.img > /dev/null" -- "$BIN" verify "$base.tar"
done

# ---------------------------------------------------------------------------------------------
# Size independence of show on .tar (first vs last tier)
first="${TIER_LIST[0]}"; last="${TIER_LIST[${#TIER_LIST[@]}-1]}"
SIZE_VERDICT="n/a (needs two tiers)"
if [ "$first" != "$last" ] && [ -n "${SHOW_TAR[$first]:-}" ] && [ -n "${SHOW_TAR[$last]:-}" ] && [ "${SHOW_TAR[$first]}" != n/a ]; then
    a="${SHOW_TAR[$first]}"; b="${SHOW_TAR[$last]}"
    limit=$(awk -v a="$a" 'BEGIN { l = a * 1.5; if (a + 0.05 > l) l = a + 0.05; print l }')
    if le "$b" "$limit"; then SIZE_VERDICT="met ($last ${b}s vs $first ${a}s)"; else SIZE_VERDICT="not met ($last ${b}s vs $first ${a}s)"; fi
fi
# per tier: the size verdict, and < 64 MiB for show on .tar
while IFS=$'\t' read -r -a f; do
    if [ "${f[10]:-}" = SIZE_PENDING ]; then
        v="$SIZE_VERDICT"
        if [[ "${f[4]}" =~ ^[0-9.]+$ ]]; then le "${f[4]}" 64 && v="$v; memory met" || v="$v; memory not met"; fi
        f[10]="$v"
    fi
    (IFS=$'\t'; printf '%s\t\n' "${f[*]}")
done < "$RESULTS" > "$RESULTS.new" && mv "$RESULTS.new" "$RESULTS"

# ---------------------------------------------------------------------------------------------
# Report
ELAPSED=$(( $(date +%s) - STARTED ))
MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
MEM="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [ -n "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ] && echo ' + uncommitted changes')"
{
    echo "# ckpt-inspect CLI benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- command: \`$COMMAND_LINE\` (runs per command: $RUNS, median reported; peak RSS is the maximum over runs)"
    echo "- machine: $(nproc) CPUs ($MODEL), $MEM RAM, $(uname -sr)"
    echo "- ckpt-inspect: $COMMIT, release build (--static-swift-stdlib, as make); $(swift --version 2>/dev/null | head -1)"
    echo "- tools: $(tar --version | head -1), $(zstd --version | sed 's/\*//g;s/ *,.*//'), $(gzip --version | head -1), crit: ${CRIT:-not installed}"
    echo "- data: \`ckpt-gen --pages-size TIER --changed-fraction $CHANGED --seed $SEED\` (Benchmarks/data/TIER; page cache warm after the first run)"
    for tier in "${TIER_LIST[@]}"; do
        m="$DATA/$tier/base/manifest.json"
        c() { sed -n "/\"counts\"/,/}/p" "$m" | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -1; }
        echo "  - $tier: $(c processes) processes, $(c threads) threads, $(c vmas) VMAs, $(c pagemapEntries) pagemap entries, $(c presentPages) present pages ($(c lazyPresentPages) lazy), $(c parentPages) in pre-checkpoint/, $(c markers) markers; archives: .tar $(du -h "$DATA/$tier/base.tar" | cut -f1), .tar.zst $(du -h "$DATA/$tier/base.tar.zst" | cut -f1), .tar.gz $(du -h "$DATA/$tier/base.tar.gz" | cut -f1); twin: $(sed -n '/"counts"/,/}/p' "$DATA/$tier/twin/manifest.json" | sed -n 's/.*"changedPages": \([0-9]*\).*/\1/p') pages changed"
    done
    echo "- total wall time of this run: $((ELAPSED / 60)) min $((ELAPSED % 60)) s; load average at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg)"
    echo
    echo "| tier | target | command | median s | peak RSS MiB | baseline | baseline s | ratio | target from the issue | verdict |"
    echo "|---|---|---|---:|---:|---|---:|---:|---|---|"
    while IFS=$'\t' read -r tier label cmd med rss note btext bmed brss target verdict; do
        r="-"
        [[ "$med" =~ ^[0-9.]+$ ]] && [[ "$bmed" =~ ^[0-9.]+$ ]] && r="$(ratio "$med" "$bmed")x"
        [ -n "$note" ] && [ "$note" != "-" ] && cmd="$cmd ($note)"
        echo "| $tier | $label | \`$cmd\` | $med | $rss | $btext | $bmed | $r | $target | $verdict |"
    done < "$RESULTS"
    echo
    echo "Rules: a time target \"<= k x baseline\" compares medians; \"at least 0.8x throughput\" of a baseline that reads the same"
    echo "bytes means median <= 1.25x the baseline's. \"show time independent of pages size\": show on the largest tier's .tar"
    echo "takes at most 1.5x (or +50 ms) the smallest tier's. cmp compares each pages file with an identical copy (a real"
    echo "difference would stop cmp at the first differing byte). \"n/a\": the subcommand is not in this build, or no baseline;"
    echo "the throughput targets (search, mem dump, diff, show on .tar.zst) are set for 1-2 GiB of pages and judged on the 2GiB"
    echo "tier only. mem dump's baseline writes a copy (cat pages file > file on the same disk), as the dump writes its regions."
} > "$TMP/report.md"
mkdir -p "$BENCH/results"
# A run of some rows only (--only) does not replace the full table.
RESULT_FILE="latest.md"
[ -n "$ONLY" ] && RESULT_FILE="only-${ONLY//,/-}.md"
cp "$TMP/report.md" "$BENCH/results/$RESULT_FILE"
cat "$TMP/report.md"

if [ $KEEP = 0 ]; then
    : # data is kept for the next run (regenerated only when the generator changes); --regen forces it
fi
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; wrote Benchmarks/results/$RESULT_FILE"
