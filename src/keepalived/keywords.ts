// The keywords keepalived 2.2.7 accepts inside the blocks the doctor models,
// copied from its parsers (keepalived/vrrp/vrrp_parser.c vrrp_init_keywords,
// keepalived/core/global_parser.c, keepalived/trackers/track_file.c). A keyword
// outside these lists is what `keepalived -t` reports as "Unknown keyword" and
// then ignores, so the default applies instead.
import { editDistance as distance } from '../config/units.js';

/** Levenshtein distance, small strings only (the config's did-you-mean uses the same). */
export { distance };

const words = (s: string) => new Set(s.trim().split(/\s+/));

export const BLOCK_KEYWORDS: Record<string, Set<string>> = {
  vrrp_script: words('script interval timeout weight rise fall user init_fail'),
  vrrp_track_process: words('process param_match weight quorum quorum_max delay terminate_delay fork_delay full_command'),
  track_file: words('file weight init_file'),
  vrrp_track_file: words('file weight init_file'),
  vrrp_sync_group: words(`group track_interface track_script track_file track_process track_bfd notify_backup notify_master
    notify_fault notify_stop notify smtp_alert global_tracking sync_group_tracking_weight notify_priority_changes`),
  vrrp_instance: words(`use_vmac use_vmac_addr vmac_xmit_base use_ipvlan unicast_peer unicast_fault_no_peer check_unicast_src
    old_unicast_checksum native_ipv6 state interface vrf dont_track_primary track_interface track_script track_file track_process
    track_bfd mcast_src_ip unicast_src_ip mcast_dst_ip track_src_ip virtual_router_id unicast_ttl version priority advert_int
    virtual_ipaddress virtual_ipaddress_excluded promote_secondaries linkbeat_use_polling virtual_routes virtual_rules accept
    no_accept skip_check_adv_addr strict_mode preempt nopreempt preempt_delay debug notify_backup notify_master notify_fault
    notify_stop notify_deleted notify notify_master_rx_lower_pri smtp_alert notify_priority_changes lvs_sync_daemon_interface
    garp_master_delay garp_master_refresh garp_master_repeat garp_master_refresh_repeat garp_lower_prio_delay
    garp_lower_prio_repeat down_timer_adverts garp_extra_if vmac_garp_intvl lower_prio_no_advert higher_prio_send_advert
    kernel_rx_buf_size authentication`),
  global_defs: words(`linkbeat_use_polling net_namespace net_namespace_ipvs namespace_with_ipsets use_pid_dir instance
    child_wait_time process_names process_name vrrp_process_name checker_process_name lvs_process_name bfd_process_name router_id
    notification_email_from smtp_server smtp_helo_name smtp_connect_timeout notification_email smtp_alert startup_script
    startup_script_timeout shutdown_script shutdown_script_timeout max_auto_priority min_auto_priority_delay smtp_alert_vrrp
    smtp_alert_checker checker_log_all_failures dynamic_interfaces no_email_faults default_interface disable_local_igmp
    lvs_timeouts lvs_flush lvs_flush_on_stop lvs_flush_onstop lvs_sync_daemon vrrp_mcast_group4 vrrp_mcast_group6
    vrrp_garp_master_delay vrrp_garp_master_repeat vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat
    vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat vrrp_down_timer_adverts vrrp_garp_interval vrrp_gna_interval
    vrrp_min_garp vrrp_garp_extra_if vrrp_vmac_garp_intvl vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert vrrp_version
    vrrp_iptables vrrp_ipsets nftables nftables_priority nftables_ifindex nftables_ipvs nftables_ipvs_priority
    nftables_ipvs_start_fwmark nftables_counters vrrp_check_unicast_src vrrp_skip_check_adv_addr vrrp_strict vrrp_priority
    vrrp_no_swap vrrp_rt_priority vrrp_cpu_affinity vrrp_rlimit_rttime vrrp_rlimit_rtime notify_fifo notify_fifo_script
    vrrp_notify_fifo vrrp_notify_fifo_script vrrp_notify_priority_changes fifo_write_vrrp_states_on_reload lvs_notify_fifo
    lvs_notify_fifo_script checker_priority checker_no_swap checker_rt_priority checker_cpu_affinity checker_rlimit_rttime
    checker_rlimit_rtime bfd_priority bfd_no_swap bfd_rt_priority bfd_cpu_affinity bfd_rlimit_rttime bfd_rlimit_rtime
    snmp_socket enable_traps enable_snmp_vrrp enable_snmp_keepalived enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3
    enable_snmp_checker enable_dbus dbus_service_name script_user enable_script_security vrrp_netlink_cmd_rcv_bufs
    vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force
    process_monitor_rcv_bufs process_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force
    lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force rs_init_notifies no_checker_emails vrrp_rx_bufs_policy
    vrrp_rx_bufs_multiplier vrrp_startup_delay log_unknown_vrids vmac_prefix vmac_addr_prefix umask random_seed
    reload_check_config reload_time_file reload_repeat reload_file include_check config_save_dir tmp_config_directory
    data_use_instance`),
};

/** Top-level keywords of keepalived 2.2.7 (the VRRP, checker and BFD parsers, global_parser.c). */
export const TOP_KEYWORDS = words(`global_defs vrrp_script vrrp_track_process track_file vrrp_track_file vrrp_sync_group vrrp_instance
  track_group static_ipaddress static_routes static_rules garp_group linkbeat_interfaces interface_up_down_delays
  virtual_server virtual_server_group bfd_instance net_namespace net_namespace_ipvs namespace_with_ipsets instance use_pid_dir
  linkbeat_use_polling child_wait_time`);

/** What keepalived does when a keyword that matters to failover is missing (the clause the doctor shows after "as written,"). */
export const DEFAULTS: Record<string, Record<string, string>> = {
  vrrp_script: {
    weight: 'keepalived uses weight 0: a failure is FAULT', rise: 'keepalived uses rise 1', fall: 'keepalived uses fall 1',
    interval: 'keepalived uses interval 1', timeout: 'keepalived uses the interval as timeout', script: 'keepalived removes the script',
  },
  vrrp_instance: {
    priority: 'keepalived uses priority 100', advert_int: 'keepalived uses advert_int 1', nopreempt: 'the instance preempts',
    state: 'keepalived derives the state from the priority', virtual_router_id: 'keepalived does not start the instance',
    track_script: 'the scripts listed under it never move the VIP', track_file: 'the files listed under it never move the VIP',
    virtual_ipaddress: 'the instance has no VIP: nothing moves',
  },
  track_file: { weight: 'keepalived uses weight 1', file: 'nothing is tracked' },
  vrrp_track_process: { weight: 'keepalived uses weight 0: a failure is FAULT' },
  global_defs: {
    script_user: 'keepalived runs scripts as keepalived_script (root if that user does not exist; under enable_script_security it removes them)',
    enable_script_security: 'scripts run as root whoever can write them',
  },
  vrrp_sync_group: { sync_group_tracking_weight: 'weighted tracking in the group is ignored', group: 'the group has no members' },
};

/** Keywords whose absence changes the priority arithmetic (an unknown keyword standing for one of these is an error). */
export const ARITHMETIC = new Set(['weight', 'priority', 'rise', 'fall', 'interval', 'timeout', 'nopreempt', 'advert_int', 'state', 'virtual_router_id', 'sync_group_tracking_weight', 'track_script', 'track_file', 'track_process', 'version', 'virtual_ipaddress', 'script_user', 'script', 'file', 'group']);


/** The known keyword of `block` closest to `word` (a transposition or a letter or two off), if any. */
export function didYouMean(word: string, block: string | undefined): string | undefined {
  const known = block ? BLOCK_KEYWORDS[block] : undefined;
  const pool = known ? [...known] : Object.values(BLOCK_KEYWORDS).flatMap((s) => [...s]);
  let best: string | undefined;
  let bestD = Infinity;
  const max = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  // bounded work on any input: only keywords within `max` letters of the word's length can be that close
  // (an unknown word of 1,000 characters costs a length comparison per keyword, not an edit distance)
  const sortedWord = [...word].sort().join('');
  for (const k of pool) {
    if (Math.abs(k.length - word.length) > max) continue;
    const d = k.length === word.length && sortedWord === [...k].sort().join('') ? 1 : distance(word, k);
    if (d < bestD || (d === bestD && best && k.length < best.length)) {
      best = k;
      bestD = d;
    }
  }
  if (bestD <= max) return best;
  // a longer or shorter spelling of a keyword: `advert_interval` for advert_int
  return word.length >= 5 ? pool.filter((k) => k.length >= 5 && (word.startsWith(k) || k.startsWith(word))).sort((a, b) => b.length - a.length)[0] : undefined;
}

/**
 * The keywords that open a block, by the block they sit in ('' the top level), and how keepalived
 * 2.2.7 reads it: `sub`, a keyword block (lib/parser.c process_stream with the keyword's sub-level:
 * install_keyword_root/install_sublevel in vrrp_parser.c, global_parser.c), or `value`, a list of
 * values (alloc_value_block: virtual_ipaddress, track_script …). Either way a `{` is wanted on the
 * keyword's line or the next; without it keepalived still reads the lines up to the next `}` as
 * that block's ("Missing '{' at beginning of configuration block" for `sub`; for `value` the words
 * after the keyword are dropped, "Block track_script has extra parameters chk ...").
 */
export const BLOCK_OPENERS: Record<string, Record<string, 'sub' | 'value'>> = {
  '': {
    global_defs: 'sub', vrrp_script: 'sub', vrrp_instance: 'sub', vrrp_sync_group: 'sub', track_file: 'sub', vrrp_track_file: 'sub',
    vrrp_track_process: 'sub', garp_group: 'sub', track_group: 'sub',
    static_ipaddress: 'value', static_routes: 'value', static_rules: 'value', linkbeat_interfaces: 'value', interface_up_down_delays: 'value',
  },
  vrrp_instance: {
    virtual_ipaddress: 'value', virtual_ipaddress_excluded: 'value', virtual_routes: 'value', virtual_rules: 'value', track_interface: 'value',
    track_script: 'value', track_file: 'value', track_process: 'value', track_bfd: 'value', unicast_peer: 'value', authentication: 'sub',
  },
  vrrp_sync_group: { group: 'value', track_interface: 'value', track_script: 'value', track_file: 'value', track_process: 'value', track_bfd: 'value' },
  global_defs: { notification_email: 'value' },
};
