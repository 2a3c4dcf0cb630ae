// What an installed agent looks like on disk: paths, the hardened systemd unit and the config
// file. Pure (no Node imports) so that both `pulse-agent install` and the worker's /install.sh
// produce the very same files.

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
Environment=BUN_JSC_useBaselineJIT=0
Environment=BUN_JSC_useDFGJIT=0
Environment=BUN_JSC_useFTLJIT=0

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
