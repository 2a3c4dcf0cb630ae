// The text of GET /install.sh: a POSIX sh installer for the agent, with the server's own URL baked
// in. It writes exactly the files `pulse-agent install` writes (agent/unit.ts is shared).
import { configYaml, INSTALL, systemdUnit } from '../../../agent/unit.ts';

export function installScript(origin: string): string {
  // Heredocs below are quoted ('EOF'), except the config's, which expands $SERVER and $KEY only.
  const cfg = configYaml('$SERVER', '$KEY');
  if (/[`\\]|\$(?!SERVER\b|KEY\b)/.test(cfg) || /^EOF$/m.test(cfg + systemdUnit())) throw new Error('install.sh templates must not contain shell syntax');
  return `#!/bin/sh
# Pulse agent installer. Usage:
#   curl -fsSL ${origin}/install.sh | sh -s -- --key <ingest key>
# Options: --key <key> (required), --server <url> (default: ${origin}),
#   --prefix <dir> (install under a scratch root; user, chown and systemctl are printed, not run),
#   --no-start (enable but do not start the service).
set -eu

SERVER='${origin}'
KEY=''
PREFIX=''
START=1
U='${INSTALL.user}'

say() { printf '%s\\n' "pulse-agent install: $*"; }
die() { printf '%s\\n' "pulse-agent install: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --key) [ $# -ge 2 ] || die "--key needs a value"; KEY=$2; shift 2 ;;
    --key=*) KEY=\${1#--key=}; shift ;;
    --server) [ $# -ge 2 ] || die "--server needs a value"; SERVER=$2; shift 2 ;;
    --server=*) SERVER=\${1#--server=}; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=\${1#--prefix=}; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) say "usage: sh install.sh --key <ingest key> [--server <url>] [--prefix <dir>] [--no-start]"; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
done

[ -n "$KEY" ] || die "--key <ingest key> is required"
# Both go into a YAML file and shell commands: allow only the characters they are made of.
case "$KEY" in *[!A-Za-z0-9_.-]*) die "the key has unexpected characters" ;; esac
case "$SERVER" in http://*|https://*) ;; *) die "--server must start with http:// or https://" ;; esac
case "$SERVER" in *[!A-Za-z0-9.:/_~-]*) die "the server URL has unexpected characters" ;; esac
SERVER=\${SERVER%/}
PREFIX=\${PREFIX%/}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64|Linux-amd64) ARCH=linux-x64 ;;
  *) die "no agent build for $(uname -s) $(uname -m) yet" ;;
esac
if [ -z "$PREFIX" ] && [ "$(id -u)" != 0 ]; then die "run as root: curl -fsSL $SERVER/install.sh | sudo sh -s -- --key <key>"; fi

# On the real system run a command; under --prefix only print it.
act() { if [ -n "$PREFIX" ]; then say "would run: $*"; else "$@"; fi; }

fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else die "need curl or wget"; fi
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else openssl dgst -sha256 "$1" | sed 's/.*= *//'; fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
say "downloading $SERVER/download/agent/$ARCH"
fetch "$SERVER/download/agent/$ARCH" "$TMP/pulse-agent" || die "download failed"
fetch "$SERVER/download/agent/$ARCH.sha256" "$TMP/sha256" || die "checksum download failed"
WANT=$(cut -d' ' -f1 < "$TMP/sha256")
GOT=$(sha256 "$TMP/pulse-agent")
[ -n "$WANT" ] && [ "$WANT" = "$GOT" ] || die "checksum mismatch: expected $WANT, got $GOT"
say "sha256 $GOT verified"

BIN="$PREFIX${INSTALL.binary}"
mkdir -p "$(dirname "$BIN")"
cp "$TMP/pulse-agent" "$BIN.new"
chmod 0755 "$BIN.new"
mv -f "$BIN.new" "$BIN"
say "installed $BIN"

if [ -n "$PREFIX" ] || ! id "$U" >/dev/null 2>&1; then
  if [ -n "$PREFIX" ] || command -v useradd >/dev/null 2>&1; then
    act useradd --system --no-create-home --home-dir ${INSTALL.stateDir} --shell /usr/sbin/nologin "$U"
  else
    act adduser -S -D -H -h ${INSTALL.stateDir} -s /sbin/nologin "$U"
  fi
fi

CFG="$PREFIX${INSTALL.config}"
mkdir -p "$(dirname "$CFG")"
# The config holds the key: written with a private umask, then readable by the service's group.
( umask 077; cat > "$CFG.new" <<EOF
${cfg}EOF
)
chmod 0640 "$CFG.new"
mv -f "$CFG.new" "$CFG"
act chown "root:$U" "${INSTALL.config}"
say "wrote $CFG"

mkdir -p "$PREFIX${INSTALL.stateDir}"
chmod 0700 "$PREFIX${INSTALL.stateDir}"
act chown "$U:$U" "${INSTALL.stateDir}"

UNIT="$PREFIX${INSTALL.unit}"
mkdir -p "$(dirname "$UNIT")"
cat > "$UNIT" <<'EOF'
${systemdUnit()}EOF
chmod 0644 "$UNIT"
say "wrote $UNIT"

NOW=--now
[ "$START" = 1 ] || NOW=
if [ -z "$PREFIX" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable $NOW ${INSTALL.unitName}
  say "done; check it with: ${INSTALL.binary} health --config ${INSTALL.config}"
else
  say "systemctl not available (or --prefix given); would run: systemctl daemon-reload && systemctl enable $NOW ${INSTALL.unitName}"
  say "to run it by hand: $BIN run --config $CFG"
fi
`;
}
