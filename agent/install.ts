// `pulse-agent install` / `uninstall`: the binary to /usr/local/bin, /etc/pulse-agent/config.yaml,
// and on Linux a system user and the hardened systemd unit, on macOS the launchd daemon
// (agent/unit.ts). With a prefix everything is written under that root and commands that would
// touch the real system (useradd, chown, codesign, systemctl, launchctl) are printed instead of
// run, which is how the tests exercise it (`os` picks the platform's files).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configYaml, INSTALL, LAUNCHD, launchdPlist, SAFE_KEY, SAFE_URL, systemdUnit } from './unit.ts';

export interface InstallOptions {
  /** '' for the real system, else a scratch root. */
  prefix: string;
  /** The binary to install (the running one when compiled). */
  binary: string | null;
  serverUrl: string | null;
  apiKey: string | null;
  start: boolean;
  out?: (line: string) => void;
  /** Runs a command; returns its exit status (tests replace it). */
  exec?: (argv: string[]) => number;
  /** Whose service files to write; default: this system's. */
  os?: NodeJS.Platform;
}

const WINDOWS = 'on Windows, register the agent as a scheduled task: see the Windows steps in docs/agent.md';

const realExec = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' }).status ?? 1;

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

/** systemd is usable only when it is the running init, not merely installed (containers). */
const systemdRunning = () => which('systemctl') && existsSync('/run/systemd/system');

export function install(o: InstallOptions): number {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const exec = o.exec ?? realExec;
  const real = o.prefix === '';
  const at = (p: string) => o.prefix + p;
  const os = o.os ?? process.platform;
  if (os === 'win32') return out(`install: ${WINDOWS}`), 2;
  const mac = os === 'darwin';
  if (real && process.getuid?.() !== 0) return out('install must run as root (or pass --prefix <dir> to install into a scratch root)'), 2;
  if (!o.binary) return out('install: no binary to install; run it from the compiled pulse-agent, or pass --binary <file>'), 2;
  if (o.apiKey && !SAFE_KEY.test(o.apiKey)) return out('install: the key has unexpected characters'), 2;
  if (o.serverUrl && !SAFE_URL.test(o.serverUrl)) return out('install: the server URL has unexpected characters'), 2;

  const run = (argv: string[], why: string) => {
    if (!real) return out(`would run: ${argv.join(' ')}   (${why})`);
    const code = exec(argv);
    if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}`);
  };

  // The binary: copy then rename, so a running agent keeps its old inode and never sees half a file.
  mkdirSync(dirname(at(INSTALL.binary)), { recursive: true });
  if (o.binary !== at(INSTALL.binary)) {
    copyFileSync(o.binary, at(INSTALL.binary) + '.new');
    chmodSync(at(INSTALL.binary) + '.new', 0o755);
    // A copy of a darwin-x64 build keeps the Bun runtime's stale signature (docs/agent.md).
    if (mac && (!real || exec(['codesign', '--verify', at(INSTALL.binary) + '.new']) !== 0)) run(['codesign', '--force', '--sign', '-', at(INSTALL.binary) + '.new'], 'ad-hoc signature');
    renameSync(at(INSTALL.binary) + '.new', at(INSTALL.binary));
  }
  out(`installed ${at(INSTALL.binary)}`);
  const [user, group] = mac ? [LAUNCHD.user, LAUNCHD.group] : [INSTALL.user, INSTALL.user];

  if (mac) {
    // launchd runs it as nobody: no user to create.
  } else if (real) {
    if (spawnSync('id', ['-u', INSTALL.user]).status !== 0) {
      run(['useradd', '--system', '--no-create-home', '--home-dir', INSTALL.stateDir, '--shell', '/usr/sbin/nologin', INSTALL.user], 'service user');
    }
  } else run(['useradd', '--system', '--no-create-home', '--home-dir', INSTALL.stateDir, '--shell', '/usr/sbin/nologin', INSTALL.user], 'service user');

  // The config holds the key: readable by root and the service's group only.
  mkdirSync(at(INSTALL.configDir), { recursive: true, mode: 0o755 });
  const cfg = at(INSTALL.config);
  if (o.serverUrl && o.apiKey) {
    writeFileSync(cfg + '.new', configYaml(o.serverUrl, o.apiKey), { mode: 0o640 });
    chmodSync(cfg + '.new', 0o640);
    renameSync(cfg + '.new', cfg);
    out(`wrote ${cfg}`);
  } else if (existsSync(cfg)) {
    out(`kept ${cfg} (pass --server and --key to rewrite it)`);
  } else {
    return out('install: no config yet; pass --server <url> and --key <ingest key>'), 2;
  }
  run(['chown', `root:${group}`, INSTALL.config], 'config readable by the service');

  mkdirSync(at(INSTALL.stateDir), { recursive: true, mode: 0o700 });
  run(['chown', `${user}:${group}`, INSTALL.stateDir], 'spool and state directory');

  if (mac) {
    mkdirSync(dirname(at(LAUNCHD.plist)), { recursive: true });
    writeFileSync(at(LAUNCHD.plist), launchdPlist(), { mode: 0o644 });
    out(`wrote ${at(LAUNCHD.plist)}`);
    run(['chown', 'root:wheel', LAUNCHD.plist], 'launchd loads only root-owned daemons');
    if (real) exec(['launchctl', 'bootout', `system/${LAUNCHD.label}`]); // a reinstall replaces the running one; fails when none runs
    else out(`would run: launchctl bootout system/${LAUNCHD.label}   (replace a running agent)`);
    if (o.start) run(['launchctl', 'bootstrap', 'system', LAUNCHD.plist], 'start it now and at boot');
    out(o.start ? `pulse-agent started; check it with: pulse-agent health --config ${INSTALL.config}` : `installed; launchd starts it at boot`);
    return 0;
  }

  mkdirSync(dirname(at(INSTALL.unit)), { recursive: true });
  writeFileSync(at(INSTALL.unit), systemdUnit(), { mode: 0o644 });
  out(`wrote ${at(INSTALL.unit)}`);

  const units = ['systemctl', 'enable', ...(o.start ? ['--now'] : []), INSTALL.unitName];
  if (real && systemdRunning()) {
    run(['systemctl', 'daemon-reload'], 'load the unit');
    run(units, 'start at boot');
    out(`pulse-agent ${o.start ? 'started' : 'enabled'}; check it with: pulse-agent health --config ${INSTALL.config}`);
  } else {
    out(`systemd is not available here${real ? '' : ' (--prefix)'}; would run: systemctl daemon-reload && ${units.join(' ')}`);
  }
  return 0;
}

export function uninstall(o: { prefix: string; purge: boolean; out?: (line: string) => void; exec?: (argv: string[]) => number; os?: NodeJS.Platform }): number {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const exec = o.exec ?? realExec;
  const real = o.prefix === '';
  const at = (p: string) => o.prefix + p;
  const os = o.os ?? process.platform;
  if (os === 'win32') return out(`uninstall: ${WINDOWS}`), 2;
  const mac = os === 'darwin';
  if (real && process.getuid?.() !== 0) return out('uninstall must run as root (or pass --prefix <dir>)'), 2;
  const run = (argv: string[]) => (real ? exec(argv) : out(`would run: ${argv.join(' ')}`));
  if (mac) run(['launchctl', 'bootout', `system/${LAUNCHD.label}`]);
  else if (!real || systemdRunning()) run(['systemctl', 'disable', '--now', INSTALL.unitName]);
  for (const p of [mac ? LAUNCHD.plist : INSTALL.unit, INSTALL.binary]) {
    rmSync(at(p), { force: true });
    out(`removed ${at(p)}`);
  }
  if (!mac && (!real || systemdRunning())) run(['systemctl', 'daemon-reload']);
  if (o.purge) {
    // The config (with the key), the spool and the state: only on request, they survive reinstalls.
    rmSync(at(INSTALL.configDir), { recursive: true, force: true });
    rmSync(at(INSTALL.stateDir), { recursive: true, force: true });
    out(`removed ${at(INSTALL.configDir)} and ${at(INSTALL.stateDir)}`);
    if (!mac) run(['userdel', INSTALL.user]);
  } else {
    out(`kept ${at(INSTALL.configDir)} and ${at(INSTALL.stateDir)} (--purge removes them and the user)`);
  }
  return 0;
}
