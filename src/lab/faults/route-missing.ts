/** route-missing: a host loses its route to the overlay subnet. */
import { OVERLAY_IF, OVERLAY_SUBNET } from '../constants.js';
import { mustOn } from '../host.js';
import { defineFault } from './types.js';

export const routeMissing = defineFault({
  name: 'route-missing',
  summary: `the host loses its route to the overlay subnet (ip route del ${OVERLAY_SUBNET} dev ${OVERLAY_IF})`,
  whatYouSee: `\`ip route show ${OVERLAY_SUBNET}\` is empty on that host; \`ip route get 10.99.0.1\` goes via the default route`,
  host: 'lxd3',
  needsLxd: false,
  async apply(_s, h) {
    await mustOn(h, ['ip', 'route', 'del', OVERLAY_SUBNET, 'dev', OVERLAY_IF]);
    return { detail: `ip route del ${OVERLAY_SUBNET} dev ${OVERLAY_IF} on ${h.name}` };
  },
  async undo(_s, h) {
    await mustOn(
      h,
      [
        'ip',
        'route',
        'replace',
        OVERLAY_SUBNET,
        'dev',
        OVERLAY_IF,
        'proto',
        'kernel',
        'scope',
        'link',
      ].concat(['src', h.overlayAddress]),
    );
  },
});
