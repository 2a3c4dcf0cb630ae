// The text of GET /install.sh: a POSIX sh installer for the agent on Linux (systemd) and macOS
// (launchd), with the server's own URL baked in. It picks the build by `uname`, downloads it
// compressed (xz, else gzip) with a progress bar, checks the sha256 of what it unpacked, and
// writes exactly the files `pulse-agent install` writes (agent/unit.ts is shared).
import { PLATFORMS } from '../../../agent/platforms.ts';
import { configYaml, INSTALL, LAUNCHD, launchdPlist, systemdUnit } from '../../../agent/unit.ts';

export function installScript(origin: string): string {
  // Heredocs below are quoted ('EOF'), except the config's, which expands $SERVER and $KEY only.
  const cfg = configYaml('$SERVER', '$KEY');
  const platforms = Object.keys(PLATFORMS).join(', ');
  if (/[`\\]|\$(?!SERVER\b|KEY\b)/.test(cfg) || /^EOF$/m.test(cfg + systemdUnit() + launchdPlist())) throw new Error('install.sh templates must not contain shell syntax');
  return `#!/bin/sh
# Pulse agent installer for Linux (systemd) and macOS (launchd). Usage:
#   curl -fsSL ${origin}/install.sh | sh -s -- --key <ingest key>
# Options: --key <key> (required), --server <url> (default: ${origin}),
#   --prefix <dir> (install under a scratch root; useradd, chown, codesign, systemctl and
#   launchctl are printed, not run), --no-start (enable but do not start the service).
set -eu

SERVER='${origin}'
KEY=''
PREFIX=''
START=1

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

OS=$(uname -s)
case "$OS-$(uname -m)" in
  Linux-x86_64|Linux-amd64) ARCH=linux-x64 ;;
  Linux-aarch64|Linux-arm64) ARCH=linux-arm64 ;;
  Darwin-arm64) ARCH=darwin-arm64 ;;
  # A shell under Rosetta sees x86_64 on Apple silicon: take the native build.
  Darwin-x86_64) if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then ARCH=darwin-arm64; else ARCH=darwin-x64; fi ;;
  MINGW*|MSYS*|CYGWIN*) die "on Windows install with PowerShell (the Windows steps in the agent docs); the binary is $SERVER/download/agent/windows-x64.gz" ;;
  *) die "no agent build for $OS $(uname -m) (builds: ${platforms})" ;;
esac
# Bun's linux-x64 runtime needs AVX2 (2013 and later CPUs); without it the agent dies at start.
if [ "$ARCH" = linux-x64 ] && [ -r /proc/cpuinfo ] && ! grep -q avx2 /proc/cpuinfo; then die "this CPU lacks AVX2, which the linux-x64 agent build needs"; fi
if [ -z "$PREFIX" ] && [ "$(id -u)" != 0 ]; then die "run as root: curl -fsSL $SERVER/install.sh | sudo sh -s -- --key <key>"; fi

# xz's file is ~13 MB smaller; gzip is everywhere (macOS has no xz).
if command -v xz >/dev/null 2>&1; then EXT=xz; UNPACK='xz -dc'
elif command -v gzip >/dev/null 2>&1; then EXT=gz; UNPACK='gzip -dc'
else die "need xz or gzip to unpack the agent"; fi

# On the real system run a command; under --prefix only print it.
act() { if [ -n "$PREFIX" ]; then say "would run: $*"; else "$@"; fi; }

# Small files quietly; the agent itself with a progress bar on stderr.
fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else die "need curl or wget"; fi
}
fetch_progress() {
  if command -v curl >/dev/null 2>&1; then curl -fL --progress-bar -o "$2" "$1"
  elif wget --version 2>/dev/null | grep -q GNU; then wget --progress=bar:force -O "$2" "$1"
  else wget -O "$2" "$1"; fi
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else openssl dgst -sha256 "$1" | sed 's/.*= *//'; fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
URL="$SERVER/download/agent/$ARCH"
# The checksum first: a server without this build says so before the large download.
fetch "$URL.sha256" "$TMP/sha256" || die "could not get $URL.sha256: the server has no $ARCH build, or is unreachable"
WANT=$(cut -d' ' -f1 < "$TMP/sha256")
case "$WANT" in *[!0-9a-f]*|'') die "$URL.sha256 is not a sha256 checksum" ;; esac
[ \${#WANT} -eq 64 ] || die "$URL.sha256 is not a sha256 checksum"
say "downloading $URL.$EXT"
fetch_progress "$URL.$EXT" "$TMP/pulse-agent.$EXT" || die "download of $URL.$EXT failed"
say "downloaded $(($(wc -c < "$TMP/pulse-agent.$EXT"))) bytes; unpacking"
$UNPACK < "$TMP/pulse-agent.$EXT" > "$TMP/pulse-agent" || die "could not unpack $URL.$EXT (a truncated or damaged download?)"
rm -f "$TMP/pulse-agent.$EXT"
GOT=$(sha256 "$TMP/pulse-agent")
[ "$WANT" = "$GOT" ] || die "checksum mismatch: expected $WANT, got $GOT"
say "sha256 $GOT verified"

if [ "$OS" = Darwin ]; then
  U='${LAUNCHD.user}'; G='${LAUNCHD.group}'
else
  U='${INSTALL.user}'; G='${INSTALL.user}'
fi

BIN="$PREFIX${INSTALL.binary}"
mkdir -p "$(dirname "$BIN")"
cp "$TMP/pulse-agent" "$BIN.new"
chmod 0755 "$BIN.new"
# macOS runs no code with a broken signature on Apple silicon: Bun signs its darwin-arm64 output
# ad hoc, but the darwin-x64 one keeps the runtime's signature, stale once the agent is appended.
if [ "$OS" = Darwin ]; then
  if [ -n "$PREFIX" ]; then say "would run: codesign --force --sign - $BIN (if codesign --verify finds its signature stale)"
  elif ! codesign --verify "$BIN.new" 2>/dev/null; then codesign --force --sign - "$BIN.new" || die "could not sign $BIN"; fi
fi
mv -f "$BIN.new" "$BIN"
say "installed $BIN"

if [ "$OS" = Darwin ]; then :
elif [ -n "$PREFIX" ] || ! id "$U" >/dev/null 2>&1; then
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
act chown "root:$G" "${INSTALL.config}"
say "wrote $CFG"

mkdir -p "$PREFIX${INSTALL.stateDir}"
chmod 0700 "$PREFIX${INSTALL.stateDir}"
act chown "$U:$G" "${INSTALL.stateDir}"

NOW=--now
[ "$START" = 1 ] || NOW=
if [ "$OS" = Darwin ]; then
  PLIST="$PREFIX${LAUNCHD.plist}"
  mkdir -p "$(dirname "$PLIST")"
  cat > "$PLIST" <<'EOF'
${launchdPlist()}EOF
  chmod 0644 "$PLIST"
  act chown root:wheel "${LAUNCHD.plist}"
  say "wrote $PLIST"
  if [ -n "$PREFIX" ]; then
    say "would run: launchctl bootout system/${LAUNCHD.label}; launchctl bootstrap system ${LAUNCHD.plist}"
    say "to run it by hand: $BIN run --config $CFG"
  else
    # A reinstall replaces the running daemon.
    launchctl bootout system/${LAUNCHD.label} 2>/dev/null || true
    if [ "$START" = 1 ]; then
      launchctl bootstrap system "$PLIST"
      say "done; check it with: ${INSTALL.binary} health --config ${INSTALL.config}"
    else
      say "installed; launchd starts it at boot, or now with: launchctl bootstrap system $PLIST"
    fi
  fi
  exit 0
fi

UNIT="$PREFIX${INSTALL.unit}"
mkdir -p "$(dirname "$UNIT")"
cat > "$UNIT" <<'EOF'
${systemdUnit()}EOF
chmod 0644 "$UNIT"
say "wrote $UNIT"

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
