#!/usr/bin/env bash
# A trial of the README's two commands on a fresh machine, both ways. It CHANGES THIS MACHINE: run it as root on a
# Debian machine you may alter, with --yes. Steps:
#   1. remove bubblewrap, nats-server and OpenBLAS (apt-get remove), as a fresh machine lacks them;
#   2. as an unprivileged user, in a clean clone: `npm install` stays green and prints the exact apt-get command;
#      `npm start` and `npm test` stop at once with that command and a non-zero exit;
#   3. as root, in another clean clone: `npm install` installs them with apt-get; `npm start -- --steps 1` runs a
#      self-play step; `npm test` passes (left out with --quick).
# Each command's output goes to $WORK/*.log; the script stops at the first outcome that differs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ "${1:-}" = --yes ] || { echo "usage: $0 --yes [--quick]   (removes bubblewrap, nats-server, OpenBLAS first)"; exit 2; }
quick="${2:-}"
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 2; }
WORK="$(mktemp -d /tmp/azr-fresh-XXXX)"
chmod 755 "$WORK"
export DEBIAN_FRONTEND=noninteractive
packages=(bubblewrap nats-server libopenblas0-pthread)
step() { printf '\n== %s\n' "$*"; }
expect() { # expect CODE LOG PATTERN: the last command's exit code and a line of its log
  local code=$1 log=$2 pattern=$3
  grep -qE -- "$pattern" "$log" || { echo "FAILED: $log lacks /$pattern/"; tail -20 "$log"; exit 1; }
  echo "ok: exit $code, $(grep -m1 -oE -- "$pattern" "$log")"
}

step "removing ${packages[*]}"
apt-get remove -y -qq "${packages[@]}" >"$WORK/remove.log" 2>&1
# Another OpenBLAS build (e.g. libopenblas0-openmp, which python3-torch pulls in) may stay: then it is not missing.
blas='(libopenblas0-pthread )'
for tool in bwrap nats-server; do ! command -v "$tool" >/dev/null || { echo "$tool still on PATH"; exit 1; }; done

step "unprivileged user (nobody): no way to install"
git clone -q "$repo" "$WORK/user"
chown -R nobody:nogroup "$WORK/user"
as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$WORK/user" npm_config_cache="$WORK/user/.npm" PATH="$PATH" bash -c "cd '$WORK/user' && $1"; }
set +e
as_user 'npm install --no-audit --no-fund' >"$WORK/user-install.log" 2>&1; code=$?
set -e
[ $code = 0 ] || { echo "FAILED: npm install exited $code"; tail -20 "$WORK/user-install.log"; exit 1; }
expect $code "$WORK/user-install.log" "sudo apt-get update && sudo apt-get install -y bubblewrap $blas?nats-server"
set +e
as_user 'npm start' >"$WORK/user-start.log" 2>&1; code=$?
set -e
[ $code != 0 ] || { echo "FAILED: npm start exited 0"; exit 1; }
expect $code "$WORK/user-start.log" 'sudo apt-get update && sudo apt-get install -y bubblewrap'
set +e
as_user 'npm test' >"$WORK/user-test.log" 2>&1; code=$?
set -e
[ $code != 0 ] || { echo "FAILED: npm test exited 0"; exit 1; }
expect $code "$WORK/user-test.log" "sudo apt-get update && sudo apt-get install -y bubblewrap $blas?nats-server"

step "root: installs what is missing"
git clone -q "$repo" "$WORK/root"
cd "$WORK/root"
npm install --no-audit --no-fund >"$WORK/root-install.log" 2>&1
expect 0 "$WORK/root-install.log" 'installed bubblewrap, (OpenBLAS, )?nats-server'
npm start -- --steps 1 --out "$WORK/run" >"$WORK/root-start.log" 2>&1
expect 0 "$WORK/root-start.log" 'done after step 1'
if [ "$quick" != --quick ]; then
  npm test >"$WORK/root-test.log" 2>&1
  expect 0 "$WORK/root-test.log" '^# fail 0'
fi
step "fresh-machine trial passed (logs in $WORK)"
