#!/bin/sh
# Prints N numbered lines, alternating stdout and stderr ("PREFIX out 1", "PREFIX err 1", …), then
# sleeps until killed, or exits 0 with --exit.
#
#   log-lines.sh [N [PREFIX]] [--exit]
set -eu
n=3
prefix=line
stay=yes
[ $# -gt 0 ] && [ "$1" != --exit ] && { n=$1; shift; }
[ $# -gt 0 ] && [ "$1" != --exit ] && { prefix=$1; shift; }
[ $# -gt 0 ] && [ "$1" = --exit ] && stay=no
i=1
while [ "$i" -le "$n" ]; do
    echo "$prefix out $i"
    echo "$prefix err $i" >&2
    i=$((i + 1))
done
[ "$stay" = no ] && exit 0
exec sleep infinity
