/**
 * The LXD part of the lab: one LXD 5.0 daemon per host inside the host's
 * namespaces (own LXD_DIR, cgroups mounted again, dead proxies), the image
 * imported on every host, remotes with trust tokens so `lxc move` works, and
 * containers launched round-robin, addressed by lxd1's dnsmasq.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { containerHost, lxdDir, PREFIX } from './constants.js';
import { pMap, run, sleep, waitFor } from './exec.js';
import { execOn, shOn } from './host.js';
import { ensureImage } from './image.js';
import { DEAD_PROXY, LXD_IMAGE, labClient, lxcArgv, lxcList, lxdEnv } from './lxd.js';
import { pidAlive, rootPidOf } from './proc.js';
import { type DaemonRef, type LabHost, type LabState, writeLabState } from './state.js';

interface CgroupMount {
  dir: string;
  fstype: 'cgroup' | 'cgroup2';
  options: string;
  /** Where this process sits in that hierarchy: the lab's cgroups go below it, never above. */
  base: string;
}

/** This process's path in the hierarchy mounted with `options` (from /proc/self/cgroup). */
function cgroupBase(fstype: string, options: string): string {
  const wanted = options
    .split(',')
    .filter(
      (o) =>
        !['noprefix', 'xattr', 'nsdelegate', 'memory_recursiveprot'].includes(o) &&
        !o.startsWith('release_agent'),
    )
    .sort()
    .join(',');
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [id, ctrls = '', ...rest] = line.split(':');
    const path = rest.join(':');
    if (fstype === 'cgroup2' ? id === '0' : ctrls.split(',').sort().join(',') === wanted) {
      return path === '/' ? '' : path;
    }
  }
  return '';
}

/** The root namespace's cgroup hierarchies, to mount the same inside each host. */
export function rootCgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4] ?? '';
    const [fstype, , superOpts = ''] = right.split(' ');
    if ((fstype === 'cgroup' || fstype === 'cgroup2') && mountPoint.startsWith('/sys/fs/cgroup')) {
      const options = superOpts
        .split(',')
        .filter((o) => o !== 'rw' && o !== 'ro')
        .join(',');
      out.push({ dir: mountPoint, fstype, options, base: cgroupBase(fstype, options) });
    }
  }
  return out;
}

/** Host's own cgroup dir name in every hierarchy; LXD puts its containers below it. */
const cgroupName = (h: Pick<LabHost, 'name'>) => `${PREFIX}${h.name}`;
const cgroupDir = (m: CgroupMount, h: Pick<LabHost, 'name'>) => `${m.dir}${m.base}/${cgroupName(h)}`;

function cgroupScript(h: LabHost, mounts: CgroupMount[]): string {
  const lines = ['set -e'];
  const v2only = mounts.length === 1 && mounts[0]?.dir === '/sys/fs/cgroup';
  if (!v2only) lines.push('mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup');
  for (const m of mounts) {
    lines.push(`mkdir -p ${m.dir}`);
    lines.push(`mount -t ${m.fstype} ${m.options ? `-o ${m.options} ` : ''}${m.fstype} ${m.dir}`);
    lines.push(`mkdir -p ${cgroupDir(m, h)}`);
    if (m.options.split(',').includes('cpuset')) {
      lines.push(`cat ${m.dir}${m.base}/cpuset.cpus > ${cgroupDir(m, h)}/cpuset.cpus`);
      lines.push(`cat ${m.dir}${m.base}/cpuset.mems > ${cgroupDir(m, h)}/cpuset.mems`);
    }
    // liblxc puts containers below the cgroup of PID 1 (the host's init), so the init moves in.
    lines.push(`echo 1 > ${cgroupDir(m, h)}/cgroup.procs`);
  }
  return lines.join('\n');
}

/** How each daemon is started, awaited and preseeded (LXD 5.0 from bookworm, Incus 6.0 from backports). */
function daemonKind(h: Pick<LabHost, 'daemon'>) {
  return h.daemon === 'incus'
    ? {
        name: 'incusd',
        argv: ['/usr/libexec/incus/incusd', '--group', 'incus-admin', '--logfile', '/var/log/incus.log'],
        log: '/var/log/incus.log',
        waitready: ['incus', 'admin', 'waitready', '--timeout=60'],
        init: ['incus', 'admin', 'init', '--preseed'],
      }
    : {
        name: 'lxd',
        argv: ['lxd', '--group', 'lxd', '--logfile', '/var/log/lxd.log'],
        log: '/var/log/lxd.log',
        waitready: ['lxd', 'waitready', '--timeout=60'],
        init: ['lxd', 'init', '--preseed'],
      };
}

async function startLxd(h: LabHost, mounts: CgroupMount[], members: string[]): Promise<DaemonRef> {
  const dir = lxdDir(h.name);
  const k = daemonKind(h);
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const env = lxdEnv(h, members)
    .map((e) => `export ${e}`)
    .join('\n');
  const join = mounts.map((m) => `echo $$ > ${cgroupDir(m, h)}/cgroup.procs`).join('; ');
  // A child shell joins the host's cgroups and execs the daemon; it is orphaned to the host's init,
  // and the daemon creates its containers' cgroups below the host's own.
  const script = `${env}
sh -c '${join}; exec ${k.argv.join(' ')}' </dev/null >>${k.log.replace(/\.log$/, '.out')} 2>&1 &
echo $!`;
  const r = await shOn(h, script);
  const nsPid = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !nsPid) throw new Error(`${h.name}: could not start ${k.name}: ${r.stderr}`);
  const wr = await execOn(h, ['env', ...lxdEnv(h, members), ...k.waitready], { timeoutMs: 70_000 });
  if (wr.exitCode !== 0)
    throw new Error(
      `${h.name}: ${k.name} did not become ready: ${wr.stderr.trim()} (see ${k.log} on ${h.name})`,
    );
  const pid = await rootPidOf(h.initPid, nsPid);
  if (!pid || !(await pidAlive(pid)))
    throw new Error(`${h.name}: ${k.name} exited; see ${k.log} on ${h.name}`);
  return { pid, nsPid, argv: k.argv };
}

function preseed(h: LabHost, members: string[]): string {
  return `config:
  core.https_address: ${h.underlayAddress}:8443
  core.proxy_https: ${DEAD_PROXY}
  core.proxy_http: ${DEAD_PROXY}
  core.proxy_ignore_hosts: ${members.join(',')}
  images.auto_update_interval: "0"
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
    eth0:
      name: eth0
      nictype: bridged
      parent: lxdbr0
      type: nic
`;
}

async function lxc(h: LabHost, args: string[], timeoutMs = 120_000, input?: string) {
  const r = await execOn(h, lxcArgv(h, args), { timeoutMs, input });
  if (r.exitCode !== 0)
    throw new Error(`${h.name}: ${labClient(h)} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Every host trusts every other host's client, as remotes named after the hosts. */
async function addRemotes(state: LabState): Promise<void> {
  for (const src of state.hosts) {
    for (const dst of state.hosts) {
      if (src === dst) continue;
      // LXD 5.0 names the client with --name; Incus 6.0 takes it as an operand.
      const name = `${PREFIX}${src.name}`;
      const add =
        dst.daemon === 'incus'
          ? ['config', 'trust', 'add', name, '-q']
          : ['config', 'trust', 'add', '--name', name, '-q'];
      const out = await lxc(dst, add);
      const token = out.trim().split('\n').pop()?.trim();
      if (!token) throw new Error(`${dst.name}: no trust token`);
      await lxc(src, ['remote', 'add', dst.name, token, '--accept-certificate']);
    }
  }
}

export async function buildLxd(state: LabState, log: (line: string) => void): Promise<void> {
  let t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const image = await ensureImage(log);
  const mounts = rootCgroupMounts();
  const members = state.hosts.map((h) => h.underlayAddress);
  t0 = Date.now();
  await pMap(state.hosts, 4, async (h) => {
    const cg = await shOn(h, cgroupScript(h, mounts));
    if (cg.exitCode !== 0) throw new Error(`${h.name}: mounting cgroups failed: ${cg.stderr.trim()}`);
    h.daemons.lxd = await startLxd(h, mounts, members);
    const k = daemonKind(h);
    const init = await execOn(h, ['env', ...lxdEnv(h, members), ...k.init], {
      input: preseed(h, members),
      timeoutMs: 60_000,
    });
    if (init.exitCode !== 0) throw new Error(`${h.name}: ${k.init.join(' ')}: ${init.stderr.trim()}`);
    await lxc(h, ['image', 'import', image.meta, image.rootfs, '--alias', LXD_IMAGE], 300_000);
  });
  await writeLabState(state);
  const label = state.hosts[0]?.daemon === 'incus' ? 'Incus' : 'LXD';
  log(`lab: ${state.hosts.length} ${label} daemon(s) up with image ${LXD_IMAGE} imported (${secs()})`);
  t0 = Date.now();
  await addRemotes(state);
  log(`lab: remotes and trust between all hosts (${secs()})`);
  t0 = Date.now();
  const ks = Array.from({ length: state.options.containers }, (_, i) => i + 1);
  // One launch at a time per host (a daemon unpacks the image once), hosts in parallel.
  const byHost = new Map<LabHost, number[]>();
  for (const k of ks) {
    const h = state.hosts[containerHost(k, state.hosts.length) - 1] as LabHost;
    byHost.set(h, [...(byHost.get(h) ?? []), k]);
  }
  await Promise.all(
    [...byHost].map(async ([h, list]) => {
      for (const k of list) await lxc(h, ['launch', LXD_IMAGE, `c${k}`], 300_000);
    }),
  );
  const want = new Set(ks.map((k) => `c${k}`));
  state.containers = await waitFor(
    'every container to get an address from lxd1',
    90_000,
    async () => {
      const all = (await Promise.all(state.hosts.map((h) => lxcList(h)))).flat();
      const ready = all.filter((c) => want.has(c.name) && c.address);
      return ready.length === want.size
        ? ready.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)))
        : undefined;
    },
    250,
  );
  log(`lab: ${want.size} ${label} container(s) launched (${secs()})`);
}

/** Empty lab cgroups left in the shared hierarchies once every lab process is gone (deepest first). */
export async function removeLabCgroups(): Promise<number> {
  let removed = 0;
  const rmTree = async (dir: string): Promise<void> => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) await rmTree(`${dir}/${e}`);
    for (let i = 0; i < 20; i++) {
      const r = await run(['rmdir', dir]);
      if (r.exitCode === 0) {
        removed++;
        return;
      }
      await sleep(50);
    }
  };
  for (const m of rootCgroupMounts()) {
    const base = `${m.dir}${m.base}`;
    if (!existsSync(base)) continue;
    for (const e of readdirSync(base)) {
      if (e.startsWith(PREFIX)) await rmTree(`${base}/${e}`);
    }
  }
  return removed;
}
