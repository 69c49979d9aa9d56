/**
 * The lab's LXD image, built once with debootstrap from this machine's own apt
 * mirror and cached in /var/cache/lxlab/image (never from a remote image server).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { CACHE_DIR } from './constants.js';
import { must } from './exec.js';

export const IMAGE_DIR = `${CACHE_DIR}/image`;
export const IMAGE_META = `${IMAGE_DIR}/meta.tar.gz`;
export const IMAGE_ROOTFS = `${IMAGE_DIR}/rootfs.tar.gz`;
const PACKAGES = 'iproute2,iputils-ping,isc-dhcp-client,socat,python3-minimal,procps';

/** The Debian mirror this machine's apt uses (deb822 .sources or one-line lists). */
export function aptMirror(): { uri: string; suite: string } {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (f.endsWith('.sources') || f.endsWith('.list')) files.push(`/etc/apt/sources.list.d/${f}`);
    }
  }
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
        const suite = /^Suites:\s*(\S+)/m.exec(stanza)?.[1];
        const enabled = !/^Enabled:\s*no/im.test(stanza);
        if (
          enabled &&
          uri &&
          suite &&
          /^Types:.*\bdeb\b/m.test(stanza) &&
          !/security/.test(uri) &&
          !suite.includes('-')
        ) {
          return { uri, suite };
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+/.exec(line.trim());
        if (m?.[1] && m[2] && !/security/.test(m[1]) && !m[2].includes('-'))
          return { uri: m[1], suite: m[2] };
      }
    }
  }
  throw new Error('no Debian mirror found in /etc/apt/sources.list(.d) for debootstrap');
}

const INIT = `#!/bin/sh
# lxlab container init: DHCP on eth0 (sends the hostname), then wait. SIGPWR (lxc stop) ends it.
trap 'exit 0' PWR TERM INT
ip link set lo up
dhclient -4 -nw eth0
while :; do sleep 3600 & wait $!; done
`;

/** Build (or reuse) the image tarballs; returns their paths. */
export async function ensureImage(log: (l: string) => void): Promise<{ meta: string; rootfs: string }> {
  if (existsSync(IMAGE_META) && existsSync(IMAGE_ROOTFS)) return { meta: IMAGE_META, rootfs: IMAGE_ROOTFS };
  const { uri, suite } = aptMirror();
  const t0 = Date.now();
  log(`lab: building the container image with debootstrap (${suite} minbase from ${uri}; cached afterwards)`);
  const work = `${CACHE_DIR}/build-${process.pid}`;
  const rootfs = `${work}/rootfs`;
  await rm(work, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  try {
    await mkdir(`${CACHE_DIR}/debs`, { recursive: true });
    await must(
      [
        'debootstrap',
        '--variant=minbase',
        `--include=${PACKAGES}`,
        `--cache-dir=${CACHE_DIR}/debs`,
        suite,
        rootfs,
        uri,
      ],
      { timeoutMs: 900_000 },
    );
    // Trim what a lab container never needs.
    for (const d of [
      'usr/share/doc',
      'usr/share/man',
      'usr/share/info',
      'usr/share/locale',
      'var/cache/apt',
      'var/lib/apt/lists',
    ]) {
      await rm(`${rootfs}/${d}`, { recursive: true, force: true });
      await mkdir(`${rootfs}/${d}`, { recursive: true });
    }
    await writeFile(`${rootfs}/sbin/init.lxlab`, INIT);
    await chmod(`${rootfs}/sbin/init.lxlab`, 0o755);
    await rm(`${rootfs}/sbin/init`, { force: true });
    await must(['ln', '-s', 'init.lxlab', `${rootfs}/sbin/init`]);
    await writeFile(`${rootfs}/etc/hosts`, '127.0.0.1 localhost\n');
    await writeFile(`${rootfs}/etc/resolv.conf`, 'search lxd\nnameserver 172.16.0.1\n');
    await writeFile(`${rootfs}/etc/hostname`, 'lxlab\n');
    await mkdir(`${work}/meta/templates`, { recursive: true });
    await writeFile(
      `${work}/meta/metadata.yaml`,
      `architecture: x86_64
creation_date: ${Math.floor(Date.now() / 1000)}
properties:
  description: lxlab ${suite} minbase (iproute2, ping, dhclient, socat, python3)
  os: debian
  release: ${suite}
templates:
  /etc/hostname:
    when: [create, copy, rename]
    template: hostname.tpl
`,
    );
    await writeFile(`${work}/meta/templates/hostname.tpl`, '{{ container.name }}\n');
    await mkdir(IMAGE_DIR, { recursive: true });
    await must(['tar', '-C', `${work}/meta`, '-czf', `${work}/meta.tar.gz`, 'metadata.yaml', 'templates']);
    await must(['tar', '-C', rootfs, '--numeric-owner', '-czf', `${work}/rootfs.tar.gz`, '.'], {
      timeoutMs: 600_000,
    });
    await rename(`${work}/meta.tar.gz`, IMAGE_META);
    await rename(`${work}/rootfs.tar.gz`, IMAGE_ROOTFS);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`lab: image built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { meta: IMAGE_META, rootfs: IMAGE_ROOTFS };
}
