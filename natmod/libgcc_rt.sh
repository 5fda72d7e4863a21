#!/bin/sh
# Gather the libgcc helpers that compiled objects call (armv6m has no divide
# instruction: __aeabi_uidiv and friends; switch tables: __gnu_thumb1_case_*)
# into one relocatable object, for MicroPython 1.23's mpy_ld, which links no
# libraries (MicroPython >= 1.25 links libgcc itself with LINK_RUNTIME = 1).
#
#   sh libgcc_rt.sh arm-none-eabi- "<CFLAGS>" out.o obj1.o obj2.o ...
#
# The helpers are combined with `ld -r`, which keeps their internal references
# (such as the weak __aeabi_idiv0) inside the object where mpy_ld resolves them.
set -eu
cross=$1
cflags=$2
out=$3
shift 3

# shellcheck disable=SC2086  # cflags is a list of flags
libgcc=$("${cross}gcc" $cflags -print-libgcc-file-name)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

helpers() {  # undefined compiler-helper symbols of the given objects
    "${cross}nm" -u "$@" | awk '$1 == "U" && $2 ~ /^__(aeabi|gnu)_/ {print $2}' | sort -u
}

index=$("${cross}nm" -A --defined-only "$libgcc" 2>/dev/null)
members=""
want=$(helpers "$@")
while [ -n "$want" ]; do
    for sym in $want; do
        m=$(printf '%s\n' "$index" | awk -v s="$sym" '$NF == s {n = split($1, a, ":"); print a[n - 1]; exit}')
        if [ -z "$m" ]; then
            echo "libgcc_rt.sh: $sym is not in $libgcc" >&2
            exit 1
        fi
        case " $members " in *" $m "*) ;; *) members="$members $m" ;; esac
    done
    (cd "$tmp" && "${cross}ar" x "$libgcc" $members)
    defined=$(cd "$tmp" && "${cross}nm" --defined-only $members | awk 'NF == 3 {print $3}' | sort -u)
    want=$(cd "$tmp" && helpers $members | while read -r s; do
        printf '%s\n' "$defined" | grep -qx "$s" || echo "$s"; done)
done

if [ -z "$members" ]; then
    # Nothing needed (a core with a divide instruction): an empty object keeps the link rule simple.
    printf '' | "${cross}gcc" $cflags -x c -c -o "$out" -
else
    (cd "$tmp" && "${cross}ld" -r -o combined.o $members)
    cp "$tmp/combined.o" "$out"
fi
echo "libgcc_rt.sh: $out <-${members:- nothing}"
