/**
 * Which network addresses a remote source may come from. Without `allowPrivateHosts`, a host is
 * refused when ANY address it resolves to is private, loopback, link-local, unspecified, multicast,
 * reserved or documentation space (IPv4 and IPv6, including IPv4-mapped IPv6) — a render must not be
 * turned into a probe of the machine's own network.
 */
import { BlockList, isIP } from 'node:net';

// Two lists: a single BlockList also matches IPv4 addresses against IPv6 rules in their mapped form,
// and ::ffff:0:0/96 would then block every IPv4 address.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blockedV4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // ::/96 covers ::, ::1 and the deprecated IPv4-compatible form; ::ffff:0:0/96 is IPv4-mapped, which
  // is refused outright rather than unpacked (no legitimate public server is addressed that way).
  ['::', 96],
  ['::ffff:0:0', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const)
  blockedV6.addSubnet(net, prefix, 'ipv6');

/** True when `address` (an IP literal, IPv6 without brackets) must not be contacted without the opt-in. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blockedV4.check(address, 'ipv4');
  if (family === 6) return blockedV6.check(address.split('%')[0]!, 'ipv6');
  // Not an IP at all: refuse rather than guess.
  return true;
}
