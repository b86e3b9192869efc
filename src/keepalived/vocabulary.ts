/**
 * keepalived 2.2.7's keywords, by the block they belong in (the names its parsers install; facts of its
 * configuration language, listed here, not its code), and `v3_checksum_as_v2`, a later one this importer reads.
 * Only for "did you mean": a keyword that neither keepalived nor this importer knows is reported with the nearest
 * one of its block, so that `priorty 101` says `priority`.
 */
export const KEEPALIVED_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  'top-level': [
    'global_defs', 'vrrp_instance', 'vrrp_sync_group', 'vrrp_script', 'vrrp_track_process', 'vrrp_track_file',
    'track_file', 'track_group', 'static_ipaddress', 'static_routes', 'static_rules', 'garp_group',
    'linkbeat_interfaces', 'interface_up_down_delays', 'virtual_server', 'virtual_server_group', 'bfd_instance',
    'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time',
    'linkbeat_use_polling', 'SSL', 'include',
  ],
  vrrp_instance: [
    'use_vmac', 'use_vmac_addr', 'vmac_xmit_base', 'use_ipvlan', 'unicast_peer', 'unicast_fault_no_peer',
    'check_unicast_src', 'old_unicast_checksum', 'native_ipv6', 'state', 'interface', 'vrf', 'dont_track_primary',
    'track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd', 'mcast_src_ip', 'unicast_src_ip',
    'mcast_dst_ip', 'track_src_ip', 'virtual_router_id', 'unicast_ttl', 'version', 'priority', 'advert_int',
    'virtual_ipaddress', 'virtual_ipaddress_excluded', 'promote_secondaries', 'linkbeat_use_polling', 'virtual_routes',
    'virtual_rules', 'accept', 'no_accept', 'skip_check_adv_addr', 'strict_mode', 'preempt', 'nopreempt',
    'preempt_delay', 'debug', 'notify_backup', 'notify_master', 'notify_fault', 'notify_stop', 'notify_deleted',
    'notify', 'notify_master_rx_lower_pri', 'smtp_alert', 'notify_priority_changes', 'lvs_sync_daemon_interface',
    'garp_master_delay', 'garp_master_refresh', 'garp_master_repeat', 'garp_master_refresh_repeat',
    'garp_lower_prio_delay', 'garp_lower_prio_repeat', 'down_timer_adverts', 'garp_extra_if', 'vmac_garp_intvl',
    'lower_prio_no_advert', 'higher_prio_send_advert', 'kernel_rx_buf_size', 'authentication', 'v3_checksum_as_v2',
  ],
  authentication: ['auth_type', 'auth_pass'],
  vrrp_sync_group: [
    'group', 'track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd', 'notify_backup',
    'notify_master', 'notify_fault', 'notify_stop', 'notify', 'smtp_alert', 'global_tracking',
    'sync_group_tracking_weight', 'notify_priority_changes',
  ],
  vrrp_script: ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'],
  vrrp_track_process: ['process', 'param_match', 'weight', 'quorum', 'quorum_max', 'delay', 'terminate_delay', 'fork_delay', 'full_command'],
  track_file: ['file', 'weight', 'init_file'],
};
