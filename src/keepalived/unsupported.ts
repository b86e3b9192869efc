/**
 * keepalived keywords that `keepalivedToConfig` does not apply, each with what happens instead and why. A keyword
 * is *refused* (an error) when ignoring it would change what the network sees — addresses that would not move,
 * routes that would not be set, peers we would not hear — and *ignored* (a warning) otherwise. Keywords in none of
 * these tables are reported as unknown, so nothing is ever dropped without a word.
 */

/** How an unsupported keyword is reported. */
export interface Unsupported {
  /** True when the configuration cannot be run without it. */
  refuse?: true;
  /** What happens instead, and why. */
  why: string;
}

const email: Unsupported = { why: "no e-mail alerts: use notify scripts or the library's events" };
const fifo: Unsupported = { why: "no notify FIFO: use notify scripts (run in transition order, one at a time) or the library's events" };
const lvs: Unsupported = { why: 'no LVS / IPVS or real-server checks here: vrrp does VRRP only' };
const bfd: Unsupported = { why: 'no BFD here' };
const snmp: Unsupported = { why: "no SNMP or D-Bus: use the library's events and instance.stats" };
const daemon: Unsupported = { why: 'a setting of the keepalived daemon: vrrp runs inside your Node.js process' };
const buffers: Unsupported = { why: 'socket buffer sizes are not configurable here' };
const firewall: Unsupported = {
  why: 'vrrp installs no firewall rules (keepalived uses them for no_accept and VMACs, neither of which vrrp does); traffic to the VIPs is accepted',
};
const garpTiming: Unsupported = {
  why: 'announcement timing beyond garp_master_delay / _repeat / _refresh is not configurable: each round sends its frames back to back',
};
const lowerPrioGarp: Unsupported = {
  why: 'a master that hears a lower priority re-announces its VIPs with the same repeat as on becoming master; this is not configurable',
};

/** `global_defs` keywords, by name. */
export const GLOBAL_DEFS: Readonly<Record<string, Unsupported>> = {
  notification_email: email,
  notification_email_from: email,
  smtp_server: email,
  smtp_helo_name: email,
  smtp_connect_timeout: email,
  smtp_alert: email,
  smtp_alert_vrrp: email,
  smtp_alert_checker: email,
  no_email_faults: email,
  notify_fifo: fifo,
  notify_fifo_script: fifo,
  vrrp_notify_fifo: fifo,
  vrrp_notify_fifo_script: fifo,
  fifo_write_vrrp_states_on_reload: fifo,
  vrrp_notify_priority_changes: { why: "no notify on priority changes: listen to the library's priorityChange event" },
  enable_script_security: {
    why: 'vrrp does not check that scripts run as root are writable by root only; run vrrp as an unprivileged user with capabilities instead (docs/keepalived.md)',
  },
  vrrp_strict: {
    why: "keepalived's strict mode refuses or resets unicast peers, authentication, preempt_delay and state MASTER below priority 255, and drops traffic to the VIPs (no_accept); here none of that happens and the VIPs accept traffic",
  },
  vrrp_skip_check_adv_addr: {
    why: "keepalived 2.2.7 then skips the check for further adverts of a master whose advert it accepted, a speed-up; vrrp checks every advert, with the same outcome: one whose address list differs from ours is dropped (RFC 9568 §7.1) — but for the address owner's (priority 255), which vrrp processes as RFC 3768 §7.1 says and keepalived drops",
  },
  vrrp_check_unicast_src: { why: "the source of a unicast advert is not checked against unicast_peer" },
  vrrp_lower_prio_no_advert: { why: 'a master that hears a lower priority answers at once with an advert (RFC 9568 §6.4.3)' },
  vrrp_higher_prio_send_advert: { why: 'a master that hears a higher priority becomes backup without advertising again' },
  vrrp_owner_ignore_adverts: { why: 'an owner (priority 255) processes adverts like any master' },
  vrrp_garp_master_refresh_repeat: garpTiming,
  vrrp_garp_interval: garpTiming,
  vrrp_gna_interval: garpTiming,
  vrrp_garp_extra_if: garpTiming,
  vrrp_garp_lower_prio_delay: lowerPrioGarp,
  vrrp_garp_lower_prio_repeat: lowerPrioGarp,
  vrrp_down_timer_adverts: { why: 'Master_Down_Interval is always 3 adverts plus skew (RFC 9568 §6.1)' },
  vrrp_delay_after_boot: { why: 'use vrrp_startup_delay, or order the service after the network at boot' },
  vrrp_iptables: firewall,
  vrrp_ipsets: firewall,
  nftables: firewall,
  nftables_priority: firewall,
  nftables_counters: firewall,
  nftables_ifindex: firewall,
  disable_local_igmp: firewall,
  vmac_addr_prefix: { why: 'use_vmac_addr is not supported (the instance\'s own VMAC is: use_vmac)' },
  dynamic_interfaces: { why: 'an interface that is missing or down puts the instance in fault until it appears' },
  default_interface: { why: 'only used by static addresses, which vrrp does not manage' },
  log_unknown_vrids: { why: 'adverts for VRIDs nobody here serves are counted (otherVrid), not logged' },
  linkbeat_use_polling: { why: 'link state comes from netlink events; no polling' },
  startup_script: { why: 'start your own setup before vrrp (e.g. ExecStartPre= in a systemd unit)' },
  startup_script_timeout: { why: 'start your own setup before vrrp (e.g. ExecStartPre= in a systemd unit)' },
  shutdown_script: { why: 'run your own cleanup after vrrp (e.g. ExecStopPost= in a systemd unit)' },
  shutdown_script_timeout: { why: 'run your own cleanup after vrrp (e.g. ExecStopPost= in a systemd unit)' },
  vrrp_rx_bufs_policy: buffers,
  vrrp_rx_bufs_multiplier: buffers,
  vrrp_netlink_cmd_rcv_bufs: buffers,
  vrrp_netlink_cmd_rcv_bufs_force: buffers,
  vrrp_netlink_monitor_rcv_bufs: buffers,
  vrrp_netlink_monitor_rcv_bufs_force: buffers,
  process_monitor_rcv_bufs: buffers,
  process_monitor_rcv_bufs_force: buffers,
  enable_snmp_vrrp: snmp,
  enable_snmp_checker: snmp,
  enable_snmp_rfc: snmp,
  enable_snmp_rfcv2: snmp,
  enable_snmp_rfcv3: snmp,
  enable_traps: snmp,
  snmp_socket: snmp,
  enable_dbus: snmp,
  dbus_service_name: snmp,
  dbus_no_interface_name: snmp,
  vrrp_vmac_garp_intvl: garpTiming,
  vrrp_priority: daemon,
  vrrp_no_swap: daemon,
  vrrp_cpu_affinity: daemon,
  vrrp_rt_priority: daemon,
  vrrp_rlimit_rttime: daemon,
  vrrp_rlimit_rtime: daemon,
  max_auto_priority: daemon,
  min_auto_priority_delay: daemon,
  process_names: daemon,
  process_name: daemon,
  vrrp_process_name: daemon,
  tmp_config_directory: daemon,
  config_save_dir: daemon,
  umask: daemon,
  data_use_instance: daemon,
  state_file_location: daemon,
  stats_file_location: daemon,
  json_file_location: daemon,
  json_version: daemon,
  reload_check_config: daemon,
  reload_time_file: daemon,
  reload_repeat: daemon,
  reload_file: daemon,
  random_seed: daemon,
  use_symlink_paths: daemon,
  set_supplementary_groups: daemon,
  include_check: { why: 'includes are read by vrrp\'s own reader: plain include and includer accept a pattern matching nothing (reported), the other variants refuse it' },
  iproute_usr_dir: daemon,
  iproute_etc_dir: daemon,
  vrrp_mcast_group4: {
    refuse: true,
    why: 'only the IANA group 224.0.0.18 is supported: with another group this node would not hear its peers',
  },
  vrrp_mcast_group6: { refuse: true, why: 'only the IANA group ff02::12 is supported: with another group this node would not hear its peers' },
};

/** Prefixes of `global_defs` keywords reported together (checked when a keyword is not in the table above). */
export const GLOBAL_DEFS_PREFIXES: readonly (readonly [string, Unsupported])[] = [
  ['lvs_', lvs],
  ['checker_', lvs],
  ['nftables_ipvs', lvs],
  ['rs_', lvs],
  ['snmp_', snmp],
  ['bfd_', bfd],
  ['enable_snmp_', snmp],
];

/** Top-level blocks other than those converted. */
export const TOP_LEVEL: Readonly<Record<string, Unsupported>> = {
  virtual_server: { refuse: true, why: 'LVS is not supported: the virtual server would not be set up; keep keepalived (or ipvsadm) for it' },
  virtual_server_group: { refuse: true, why: 'LVS is not supported: the virtual server group would not be set up; keep keepalived (or ipvsadm) for it' },
  static_ipaddress: { refuse: true, why: 'static addresses are not managed: configure them with the system (ip addr, networkd, netplan)' },
  static_routes: { refuse: true, why: 'static routes are not managed: configure them with the system (ip route, networkd, netplan)' },
  static_rules: { refuse: true, why: 'static rules are not managed: configure them with the system (ip rule, networkd)' },
  net_namespace: { refuse: true, why: "vrrp runs in its own process's namespace: start it with ip netns exec NAME instead" },
  track_group: { why: 'only used by static addresses, routes and rules, which vrrp does not manage' },
  linkbeat_interfaces: { why: 'link state comes from netlink events; no polling' },
  garp_group: garpTiming,
  interface_up_down_delays: { why: 'a link change counts at once' },
  bfd_instance: bfd,
  net_namespace_ipvs: lvs,
  namespace_with_ipsets: firewall,
  instance: daemon,
  use_pid_dir: daemon,
  linkbeat_use_polling: { why: 'link state comes from netlink events; no polling' },
  child_wait_time: daemon,
};

/** `vrrp_instance` keywords. */
export const INSTANCE: Readonly<Record<string, Unsupported>> = {
  no_virtual_ipaddress: { refuse: true, why: 'an instance needs at least one virtual address (RFC 9568 §5.2.9)' },
  use_vmac_addr: { refuse: true, why: "VMACs for the addresses on other interfaces are not supported (the instance's own VMAC is: use_vmac)" },
  use_ipvlan: { refuse: true, why: 'ipvlan interfaces are not supported: the VIPs would be on the base interface' },
  mcast_dst_ip: { refuse: true, why: 'only the IANA groups 224.0.0.18 / ff02::12 are supported: with another group this node would not hear its peers' },
  vrf: { refuse: true, why: 'VRFs are not supported: adverts would go out in the default VRF' },
  track_bfd: { refuse: true, why: 'BFD is not supported: the tracked session would be ignored, and with it a fault or a priority change' },
  auth_hmac: { refuse: true, why: "keepalived's HMAC authentication extension is not supported: its peers would drop our adverts" },
  lvs_sync_daemon_interface: lvs,
  dont_track_primary: { why: 'the instance still goes to fault when its own interface goes down' },
  unicast_ttl: { why: 'unicast adverts are sent with TTL / hop limit 255' },
  check_unicast_src: { why: 'the source of a unicast advert is not checked against unicast_peer' },
  old_unicast_checksum: { why: 'adverts are sent with the VRRPv3 checksum v3_checksum_as_v2 asks for (the pseudo-header of the real destination by default); the old form is accepted from peers, not sent' },
  track_src_ip: { why: 'a missing source address is reported by the transport when sending fails' },
  promote_secondaries: {
    why: 'set net.ipv4.conf.IFACE.promote_secondaries=1 yourself, or use /32 VIPs (a /24 VIP that is primary takes its subnet\'s other addresses with it when removed)',
  },
  linkbeat_use_polling: { why: 'link state comes from netlink events; no polling' },
  debug: { why: 'not implemented in keepalived either' },
  notify_deleted: { why: 'an instance a reload removes runs its stop scripts (notify_stop, and notify with STOP), not DELETED ones' },
  notify_master_rx_lower_pri: { why: 'the library reports a master hearing a lower-priority master as an event' },
  notify_priority_changes: { why: "no notify on priority changes: listen to the library's priorityChange event" },
  smtp_alert: email,
  kernel_rx_buf_size: buffers,
  garp_lower_prio_delay: lowerPrioGarp,
  garp_lower_prio_repeat: lowerPrioGarp,
  garp_master_refresh_repeat: garpTiming,
  garp_extra_if: garpTiming,
  vmac_garp_intvl: garpTiming,
  down_timer_adverts: { why: 'Master_Down_Interval is always 3 adverts plus skew (RFC 9568 §6.1)' },
  timer_expired_backup: { why: 'a late timer is handled by draining the socket before declaring the master down' },
  thread_timer_expired: { why: 'a late timer is handled by draining the socket before declaring the master down' },
  lower_prio_no_advert: { why: 'a master that hears a lower priority answers at once with an advert (RFC 9568 §6.4.3)' },
  higher_prio_send_advert: { why: 'a master that hears a higher priority becomes backup without advertising again' },
  owner_ignore_adverts: { why: 'an owner (priority 255) processes adverts like any master' },
  skip_check_adv_addr: GLOBAL_DEFS.vrrp_skip_check_adv_addr ?? daemon,
  strict_mode: GLOBAL_DEFS.vrrp_strict ?? daemon,
  no_accept: { why: "vrrp installs no firewall rules, so the VIPs accept traffic (accept mode: keepalived's default, where RFC 9568's Accept_Mode defaults to false)" },
};

/** `vrrp_sync_group` keywords. */
export const SYNC_GROUP: Readonly<Record<string, Unsupported>> = {
  track_bfd: INSTANCE.track_bfd ?? bfd,
  smtp_alert: email,
  notify_priority_changes: INSTANCE.notify_priority_changes ?? daemon,
  notify_deleted: INSTANCE.notify_deleted ?? daemon,
};
