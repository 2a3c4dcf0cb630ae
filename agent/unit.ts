// What an installed agent looks like on disk: paths, the hardened systemd unit (Linux), the
// launchd daemon (macOS) and the config file. Pure (no Node imports) so that both
// `pulse-agent install` and the worker's /install.sh produce the very same files.

export const INSTALL = {
  user: 'pulse-agent',
  binary: '/usr/local/bin/pulse-agent',
  configDir: '/etc/pulse-agent',
  config: '/etc/pulse-agent/config.yaml',
  unit: '/etc/systemd/system/pulse-agent.service',
  unitName: 'pulse-agent.service',
  /** The systemd StateDirectory: spool and state.json, the only place the service may write. */
  stateDir: '/var/lib/pulse-agent',
  spoolDir: '/var/lib/pulse-agent/spool',
} as const;

/**
 * macOS: the same binary, config and state paths (/etc and /var are /private/etc and /private/var
 * there, writable by root), run by launchd as `nobody`: creating a hidden system user takes a
 * series of dscl calls with a hand-picked uid, and the agent needs no rights `nobody` lacks.
 */
export const LAUNCHD = {
  label: 'com.pulse-monitor.agent',
  plist: '/Library/LaunchDaemons/com.pulse-monitor.agent.plist',
  user: 'nobody',
  group: 'nobody',
  /** launchd has no journal: the agent's JSON log lines (state changes only) go here. */
  log: `${INSTALL.stateDir}/agent.log`,
} as const;

/** The JIT settings of the systemd unit, as name → value (see there for why). */
const JIT_ENV = { BUN_JSC_useBaselineJIT: '0', BUN_JSC_useDFGJIT: '0', BUN_JSC_useFTLJIT: '0' } as const;

/**
 * The service runs as a dedicated system user with no capabilities and a read-only view of the
 * system; it only reads /proc, /sys and statfs, and writes its state directory.
 */
export function systemdUnit(): string {
  return `[Unit]
Description=Pulse monitoring agent
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${INSTALL.user}
Group=${INSTALL.user}
ExecStart=${INSTALL.binary} run --config ${INSTALL.config}
Restart=always
RestartSec=5
# SIGTERM spools what is still in memory; give it time.
TimeoutStopSec=15
StateDirectory=pulse-agent
StateDirectoryMode=0700
ReadWritePaths=${INSTALL.stateDir}
UMask=0077
# A few ms of work per interval: JavaScriptCore's interpreter plus its RegExp JIT is enough. Without
# the JS JIT tiers the agent is ~6 MB smaller and used less CPU than with them (docs/performance.md).
${Object.entries(JIT_ENV).map(([k, v]) => `Environment=${k}=${v}`).join('\n')}

# Hardening. No MemoryDenyWriteExecute: not yet verified with the Bun runtime under systemd (the RegExp JIT maps W+X pages).
NoNewPrivileges=true
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=true
RestrictRealtime=true
RestrictSUIDSGID=true
LockPersonality=true
RemoveIPC=true
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
TasksMax=64
MemoryMax=256M

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The launchd daemon: started at boot and restarted when it exits (KeepAlive, at most every 5 s
 * like RestartSec), 15 s to spool on SIGTERM, umask 077. No sandbox profile: sandbox-exec is
 * deprecated, and launchd has no equivalent of the unit's hardening.
 */
export function launchdPlist(): string {
  const str = (s: string) => `<string>${s}</string>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  ${str(LAUNCHD.label)}
  <key>ProgramArguments</key>
  <array>
    ${[INSTALL.binary, 'run', '--config', INSTALL.config].map(str).join('\n    ')}
  </array>
  <key>UserName</key>
  ${str(LAUNCHD.user)}
  <key>GroupName</key>
  ${str(LAUNCHD.group)}
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ExitTimeOut</key>
  <integer>15</integer>
  <key>Umask</key>
  <integer>63</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>EnvironmentVariables</key>
  <dict>
    ${Object.entries(JIT_ENV).map(([k, v]) => `<key>${k}</key>\n    ${str(v)}`).join('\n    ')}
  </dict>
  <key>StandardErrorPath</key>
  ${str(LAUNCHD.log)}
</dict>
</plist>
`;
}

/**
 * The config an install writes. `serverUrl` and `apiKey` are inserted as they are: the installer
 * checks them first (URL and key characters only), and install.sh passes shell variables.
 */
export function configYaml(serverUrl: string, apiKey: string): string {
  return `# Written by the Pulse agent installer. Reference: docs/agent.md (Configuration).
collector:
  interval: 5s
  server_url: "${serverUrl}"
  api_key: "${apiKey}"
spool:
  dir: ${INSTALL.spoolDir}
  max_size: 64MB
logging:
  level: INFO
health:
  # Set a port to serve GET http://127.0.0.1:<port>/health; pulse-agent health reads state.json otherwise.
  port: 0
  state_file: ${INSTALL.stateDir}/state.json
`;
}

/** Characters a key or server URL may have, so they can go into YAML and sh unquoted-safe. */
export const SAFE_KEY = /^[A-Za-z0-9_.-]{8,200}$/;
export const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:_-]+(\/[A-Za-z0-9._~\/-]*)?$/;
