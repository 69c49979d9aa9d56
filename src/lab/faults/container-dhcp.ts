/** container-dhcp: a DHCP server inside a container, in no host's process list. */
import { mkdir, rm } from 'node:fs/promises';
import { STATE_DIR } from '../constants.js';
import { must, run, waitFor } from '../exec.js';
import { execOn } from '../host.js';
import { lxcArgv } from '../lxd.js';
import { pidAlive, rootPidOf } from '../proc.js';
import { readPid } from '../services.js';
import { currentContainers } from '../verify.js';
import { defineFault } from './types.js';

/** The range this fault's server hands out (not the second-dhcp one, so the two differ). */
const CONTAINER_ROGUE_RANGE = { first: '172.16.201.1', last: '172.16.201.254' };

export const containerDhcp = defineFault({
  name: 'container-dhcp',
  summary: `a DHCP server inside a container on that host: a stock dnsmasq (no --no-ping) in the container's own network namespace serves ${CONTAINER_ROGUE_RANGE.first}-${CONTAINER_ROGUE_RANGE.last} from its eth0`,
  whatYouSee:
    "no host's process list or sockets show it (it runs in the container); a DHCPDISCOVER on lxdbr0 gets a second offer, from the container's MAC and address; new clients may get 172.16.201.x",
  host: 'lxd2',
  // Works in a netns container as in an LXD one.
  needsLxd: false,
  async apply(s, h) {
    const c = (await currentContainers(s)).find((x) => x.host === h.name && x.address);
    if (!c) throw new Error(`container-dhcp needs a running container with an address on ${h.name}`);
    // The container's network namespace only: its server is in no host's process list, as in a real one.
    let netns: string;
    if (c.kind === 'netns' && c.netns) netns = `/run/netns/${c.netns}`;
    else {
      const r = await execOn(h, lxcArgv(h, ['query', `/1.0/instances/${c.name}/state`]));
      const nsPid = Number((JSON.parse(r.stdout || '{}') as { pid?: number }).pid);
      const pid = nsPid > 0 ? await rootPidOf(h.initPid, nsPid) : undefined;
      if (!pid) throw new Error(`container-dhcp: no init PID for ${c.name} on ${h.name}`);
      netns = `/proc/${pid}/ns/net`;
    }
    const dir = `${STATE_DIR}/container-dhcp-${c.name}`;
    await mkdir(dir, { recursive: true });
    const r = CONTAINER_ROGUE_RANGE;
    await must(
      ['nsenter', `--net=${netns}`, '--', 'dnsmasq', '--conf-file=/dev/null', '--no-hosts']
        .concat(['--no-resolv', '--port=0', '--interface=eth0', '--bind-interfaces', '--user=root'])
        .concat([`--dhcp-range=${r.first},${r.last},255.255.0.0,1h`, `--pid-file=${dir}/dnsmasq.pid`])
        .concat([
          `--dhcp-leasefile=${dir}/dnsmasq.leases`,
          `--log-facility=${dir}/dnsmasq.log`,
          '--log-dhcp',
        ]),
    );
    const pid = await waitFor(`${c.name}: the rogue dnsmasq's pid file`, 5000, () =>
      readPid(`${dir}/dnsmasq.pid`),
    );
    s.extraPids.push(pid);
    return {
      detail: `started dnsmasq (pid ${pid}) inside container ${c.name} on ${h.name} (MAC ${c.mac}, address ${c.address}) serving DHCP ${r.first}-${r.last} on its eth0`,
      data: { pid, container: c.name, address: c.address, mac: c.mac, dir },
    };
  },
  async undo(s, _h, f) {
    const pid = Number(f.data?.pid);
    if (pid && (await pidAlive(pid))) {
      await run(['kill', String(pid)]);
      await waitFor(`the rogue dnsmasq (pid ${pid}) to exit`, 5000, async () =>
        (await pidAlive(pid)) ? undefined : true,
      ).catch(() => run(['kill', '-9', String(pid)]));
    }
    s.extraPids = s.extraPids.filter((p) => p !== pid);
    await rm(String(f.data?.dir), { recursive: true, force: true });
  },
});
