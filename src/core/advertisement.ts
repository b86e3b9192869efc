/**
 * The VRRP advertisement as the rest of the library sees it: decoded, in milliseconds, with addresses as strings.
 *
 * Rules:
 * - Units are explicit in names: `advertIntervalMs` is milliseconds whatever the version (v2 carries whole seconds
 *   on the wire, v3 centiseconds); only the codec knows wire units.
 * - Addresses are canonical text (`10.0.0.1`, `2001:db8::1`), one family per advertisement.
 */

/** Address family of a VRRP instance: IPv4 (IP protocol 112 to 224.0.0.18) or IPv6 (to ff02::12). */
export type AddressFamily = 'ipv4' | 'ipv6';

/** The VRRP multicast groups (RFC 9568 §5.1.1.2, §5.1.2.2; RFC 3768 §5.2.2). */
export const VRRP_MULTICAST_GROUP = {
  /** 224.0.0.18, IPv4 adverts (VRRPv2 and v3). */
  ipv4: '224.0.0.18',
  /** ff02::12, IPv6 adverts (VRRPv3 only). */
  ipv6: 'ff02::12',
} as const;

/** VRRP's IP protocol number (RFC 9568 §5.1.1.4). */
export const VRRP_IP_PROTOCOL = 112;

/** VRRP protocol version: 2 (RFC 3768, IPv4 only) or 3 (RFC 9568, IPv4 and IPv6). */
export type VrrpVersion = 2 | 3;

/** VRRPv2 authentication type (RFC 3768 §5.3.6): 0 none, 1 simple text password. Type 2 (AH) is not supported. */
export type AuthType = 0 | 1;

/** One decoded VRRP advertisement (RFC 3768 §5.3, RFC 9568 §5.2). */
export interface Advertisement {
  /** Protocol version (the high nibble of the first byte). */
  version: VrrpVersion;
  /** Virtual Router Identifier, 1…255. */
  vrid: number;
  /** Sender's priority, 0…255: 0 means "master is leaving", 255 means "address owner". */
  priority: number;
  /** Advertisement interval in milliseconds (v2: whole seconds × 1000; v3: centiseconds × 10). */
  advertIntervalMs: number;
  /** Virtual addresses carried in the packet, canonical text, in packet order. */
  addresses: string[];
  /** VRRPv2 only: authentication type; omitted or 0 for none. */
  authType?: AuthType;
  /** VRRPv2 only, with `authType` 1: the password, at most 8 bytes of text (trailing NULs are not part of it). */
  authPassword?: string;
}
