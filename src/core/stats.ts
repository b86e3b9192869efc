/**
 * Counters of one virtual router, named after the RFC 6527 (VRRPv3 MIB) statistics objects so that an operator
 * can map them onto SNMP/Prometheus names without a table.
 *
 * Rules: counters only ever grow while the router lives; every dropped packet increments exactly one error
 * counter (the first check it failed, in RFC 9568 §7.1 order) — with one deliberate exception: a packet for
 * another VRID is counted in `vridErrors` whatever else is wrong with it (its version, say), because on a LAN
 * shared with other routers that traffic is normal and must not raise `protocolError` events.
 */

/** Per-router counters (RFC 6527 `vrrpv3StatisticsTable` names in camelCase, plus v2 authentication counters). */
export interface VrrpStats {
  /** Times this router entered Master (vrrpv3StatisticsMasterTransitions). */
  masterTransitions: number;
  /** Well-formed advertisements accepted for processing (vrrpv3StatisticsRcvdAdvertisements). */
  advertisementsReceived: number;
  /** Advertisements this router sent, one per destination. */
  advertisementsSent: number;
  /** Accepted advertisements carrying priority 0 (vrrpv3StatisticsRcvdPriZeroPackets). */
  priorityZeroReceived: number;
  /** Priority-0 advertisements this router sent (vrrpv3StatisticsSentPriZeroPackets). */
  priorityZeroSent: number;
  /** Dropped: TTL / hop limit not 255 (vrrpv3StatisticsIpTtlErrors). */
  ipTtlErrors: number;
  /** Dropped: type field not 1 (vrrpv3StatisticsRcvdInvalidTypePackets). */
  invalidTypeErrors: number;
  /** Dropped: version differs from ours (vrrpv3RouterVersionErrors). */
  versionErrors: number;
  /** Dropped: checksum wrong (vrrpv3RouterChecksumErrors). */
  checksumErrors: number;
  /** Not for us: another VRID on the segment (vrrpv3RouterVrIdErrors); normal on a shared LAN, so only counted. */
  vridErrors: number;
  /** Dropped: length inconsistent with the address count (vrrpv3StatisticsPacketLengthErrors). */
  packetLengthErrors: number;
  /** Dropped: advertisement interval differs from ours, v2 only (vrrpv3StatisticsAdvIntervalErrors). */
  advIntervalErrors: number;
  /** Dropped: virtual address list differs from ours and sender is not the owner (vrrpv3StatisticsAddressListErrors). */
  addressListErrors: number;
  /** Dropped: v2 authentication type unknown (RFC 2787 vrrpStatsInvalidAuthType). */
  invalidAuthTypeErrors: number;
  /** Dropped: v2 authentication type differs from ours (RFC 2787 vrrpStatsAuthTypeMismatch). */
  authTypeMismatchErrors: number;
  /** Dropped: v2 password wrong (RFC 2787 vrrpStatsAuthFailures). */
  authFailures: number;
}

/** A fresh set of counters, all zero. */
export function createStats(): VrrpStats {
  return {
    masterTransitions: 0,
    advertisementsReceived: 0,
    advertisementsSent: 0,
    priorityZeroReceived: 0,
    priorityZeroSent: 0,
    ipTtlErrors: 0,
    invalidTypeErrors: 0,
    versionErrors: 0,
    checksumErrors: 0,
    vridErrors: 0,
    packetLengthErrors: 0,
    advIntervalErrors: 0,
    addressListErrors: 0,
    invalidAuthTypeErrors: 0,
    authTypeMismatchErrors: 0,
    authFailures: 0,
  };
}
