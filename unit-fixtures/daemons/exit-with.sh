#!/bin/sh
# Logs one line and exits with the given status (default 1): a failing service or command.
#
#   exit-with.sh [CODE]
code=${1:-1}
echo "exit-with.sh: exiting with $code"
exit "$code"
