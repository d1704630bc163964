#!/bin/bash
# The guest half of scripts/vm-check: small commands the host runs in the VM through the guest
# agent (`bash /run/vm-check/guest.sh COMMAND …`), so that waits poll inside the guest instead of
# one agent round trip per poll. Every wait has a deadline (seconds × EGUMA_TEST_PATIENCE, passed
# in PATIENCE); the exit code says whether the awaited thing happened.
set -uo pipefail
patience=${PATIENCE:-4}
deadline_in() { echo $(( $(date +%s) + $1 * patience )); }

# count_events LANE TYPE: how many events of TYPE the journal has for LANE.
count_events() {
    eguma-gate events --json --since 2000-01-01T00:00:00Z --lane "$1" --type "$2" 2>/dev/null | grep -c . || true
}

case "${1:-}" in
    # await-events LANE TYPE COUNT SECONDS: until the journal has at least COUNT such events.
    await-events)
        lane=$2 type=$3 want=$4 end=$(deadline_in "$5")
        while :; do
            n=$(count_events "$lane" "$type")
            [ "$n" -ge "$want" ] && { echo "$n"; exit 0; }
            [ "$(date +%s)" -lt "$end" ] || { echo "only $n $type event(s) on lane $lane, wanted $want" >&2; exit 1; }
            sleep 0.1
        done ;;
    count-events) count_events "$2" "$3" ;;
    # await-active SECONDS [OLD-PID]: until eguma-gate is active (with a MainPID other than OLD-PID).
    await-active)
        end=$(deadline_in "$2") old=${3:-}
        while :; do
            state=$(systemctl show -p ActiveState --value eguma-gate)
            pid=$(systemctl show -p MainPID --value eguma-gate)
            if [ "$state" = active ] && [ "$pid" != 0 ] && [ "$pid" != "$old" ]; then echo "$pid"; exit 0; fi
            [ "$(date +%s)" -lt "$end" ] || { echo "eguma-gate is $state (MainPID $pid) — not active with a new process" >&2; systemctl status --no-pager eguma-gate >&2; exit 1; }
            sleep 0.1
        done ;;
    # await-value FILE VALUE SECONDS: until FILE reads VALUE.
    await-value)
        end=$(deadline_in "$4")
        while :; do
            v=$(cat "$2" 2>/dev/null) || v=""
            [ "$v" = "$3" ] && exit 0
            [ "$(date +%s)" -lt "$end" ] || { echo "$2 is \"$v\", not \"$3\"" >&2; exit 1; }
            sleep 0.05
        done ;;
    # await-path PATH SECONDS / await-gone PATH SECONDS
    await-path|await-gone)
        end=$(deadline_in "$3")
        while :; do
            if [ "$1" = await-path ]; then [ -e "$2" ] && exit 0; else [ -e "$2" ] || exit 0; fi
            [ "$(date +%s)" -lt "$end" ] || { echo "$2: still $([ "$1" = await-path ] && echo missing || echo there)" >&2; exit 1; }
            sleep 0.05
        done ;;
    # watch-relay VALUE-FILE SECONDS OUT [PULL-FILE]: samples the relay line (no sleep: a tight
    # read loop) and writes the pulse to OUT, or "never high" / "stuck high" / "high before the
    # watch began". OUT.ready appears once the line has been read low, so a scan sent after it
    # cannot pulse unseen. Each read is stamped before and after, and every edge is bracketed by
    # the last read before it and the first after it: a watcher descheduled under an edge (TCG)
    # widens the bracket instead of shortening the pulse. OUT has high_ms (first high read to first
    # low read), high_min_ms and high_max_ms (the shortest and longest pulse the reads allow).
    # With PULL-FILE the guest walks through as the pulse ends: the sensor line is pulled down for
    # 0.1 s (a light barrier interrupted), then up again.
    watch-relay)
        f=$2 end=$(deadline_in "$3") out=$4 pull=${5:-}
        rm -f "$out" "$out.ready"
        give_up() { echo "$1" > "$out.tmp"; mv "$out.tmp" "$out"; exit 1; }
        us() { echo "${1/./}"; }
        low_start=""   # start of the last read that saw the line low
        while :; do
            a=$EPOCHREALTIME; read -r v < "$f"; z=$EPOCHREALTIME
            [ "$v" = 1 ] && break
            [ -n "$low_start" ] || : > "$out.ready"
            low_start=$a
            [ "${z%.*}" -lt "$end" ] || give_up "never high"
        done
        [ -n "$low_start" ] || give_up "high before the watch began"
        rise_end=$z    # end of the first read that saw it high
        while :; do
            high_start=$a   # start of the last read that saw it high
            a=$EPOCHREALTIME; read -r v < "$f"; z=$EPOCHREALTIME
            [ "$v" = 0 ] && break
            [ "${z%.*}" -lt "$end" ] || give_up "stuck high"
        done
        [ -n "$pull" ] && { echo pull-down > "$pull"; sleep 0.1; echo pull-up > "$pull"; }
        printf 'high_ms=%d\nhigh_min_ms=%d\nhigh_max_ms=%d\n' \
            $(( ($(us "$z") - $(us "$rise_end")) / 1000 )) \
            $(( ($(us "$high_start") - $(us "$rise_end")) / 1000 )) \
            $(( ($(us "$z") - $(us "$low_start")) / 1000 )) > "$out.tmp" && mv "$out.tmp" "$out" ;;
    # walker VALUE-FILE PULL-FILE: the guest walking through on 3 of 4 relay pulses (power cuts).
    walker)
        f=$2 pull=$3 n=0
        while :; do
            while read -r v < "$f"; [ "$v" != 1 ]; do sleep 0.01; done
            n=$((n + 1))
            if [ $((RANDOM % 4)) -ne 0 ]; then
                echo pull-down > "$pull"; sleep 0.1; echo pull-up > "$pull"
            fi
            while read -r v < "$f"; [ "$v" != 0 ]; do sleep 0.01; done
        done ;;
    # outbox-drained SECONDS: until `eguma-gate outbox list --json` lists nothing.
    outbox-drained)
        end=$(deadline_in "$2")
        while :; do
            list=$(eguma-gate outbox list --json 2>&1) && [ -z "$(printf '%s' "$list" | tr -d '[:space:][]')" ] && exit 0
            [ "$(date +%s)" -lt "$end" ] || { echo "outbox not drained: $list" >&2; exit 1; }
            sleep 0.2
        done ;;
    *) echo "guest.sh: unknown command ${1:-}" >&2; exit 2 ;;
esac
