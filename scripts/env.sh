# Sourced by every script: puts the project's Node first on PATH.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -x "$_root/.tools/node/bin/node" ]]; then export PATH="$_root/.tools/node/bin:$PATH"; fi
export PATH="$_root/node_modules/.bin:$PATH"
export GOTOOLCHAIN=local
if [[ -d /usr/local/go/bin ]]; then export PATH="$PATH:/usr/local/go/bin"; fi
unset _root
