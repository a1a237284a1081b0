/* SPDX-License-Identifier: BSD-2-Clause */
/* The DHCPv4 server (slow path): message parsing and building
 * (dhcp_proto.c), the lease database (dhcp_lease.c) and the server with
 * its RFC 2131 state machine (dhcp_server.c). The kernel half and the map
 * layouts are in bpf/dhcp_abi.h. Addresses are network order throughout. */
#ifndef FASTPATH_DHCP_H
#define FASTPATH_DHCP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <time.h>
#include <net/if.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <dhcp_abi.h>           /* bpf/: the shared ABI */
#include <fastpath/core.h>      /* struct fp_logger, fp_ipv4_* */

/* A client identifier longer than FP_DHCP_ID_MAX cannot be a map key: the
 * slow path keys it with this kind (the first 24 bytes and a 64-bit hash
 * of the whole), which the kernel never builds, and never syncs it. */
#define FP_DHCP_KEY_CLIENT_ID_HASH 0x82

#define FP_DHCP_HOSTNAME_MAX 64      /* option 12: 63 characters and a NUL */
#define FP_DHCP_OPT_MAX      255
#define FP_DHCP_LONGOPT_MAX  1024    /* option 61 or 82 in parts (RFC 3396), joined */
#define FP_DHCP_MSG_MAX      1500    /* the largest reply we build */
#define FP_DHCP_OFFER_HOLD_S 5       /* how long an unanswered OFFER holds its address (dhcp.offer_hold) */

#define FP_CONFIG_LEASES_MAX     (1u << 24)
#define FP_CONFIG_POOLS_MAX      10000
#define FP_CONFIG_RESERV_MAX     (1u << 24)
#define FP_DHCP_DNS_MAX          4
/* The fast path's lease cache (dhcp.lease_cache_size): by default as many
 * leases as the pools have addresses, with the reservations; a pipeline
 * brought up without a configuration keeps what is pinned, else holds
 * FP_DHCP_CACHE_UNCONFIGURED. A BPF hash allocates a bucket per entry it
 * may hold when it is created (16 bytes each: 16 MB and ~30 ms for 1M). */
#define FP_DHCP_CACHE_UNCONFIGURED 65536
#define FP_CONFIG_LEASE_TIME_S   3600
#define FP_CONFIG_CLIENT_RATE    10   /* dhcp.client_rate_limit: requests/s per client */
#define FP_CONFIG_LEASE_FILE     "/var/lib/fastpath/dhcp4.leases"

/* ---- the configuration's dhcp: section (dhcp_config.c) ---------------- */

struct fp_dhcp_pool {
	struct in_addr subnet;  /* host bits 0 */
	uint8_t prefix_len;
	struct in_addr range_lo; /* inclusive, within the subnet's hosts */
	struct in_addr range_hi;
	struct in_addr router;  /* 0.0.0.0: none */
	struct in_addr dns[FP_DHCP_DNS_MAX];
	size_t n_dns;
	char domain[FP_DOMAIN_MAX]; /* "" for none */
	uint32_t lease_time_s;
	unsigned int line;
};

struct fp_dhcp_reservation {
	uint8_t mac[6];
	struct in_addr ip;
	unsigned int line;
};

struct fp_dhcp_config {
	bool present;           /* the file has a dhcp: section */
	char interface[IF_NAMESIZE];
	struct in_addr server_id;
	uint32_t lease_cache_size; /* 0: fp_dhcp_lease_cache() sizes it */
	char lease_file[PATH_MAX]; /* the lease database, absolute */
	char lease_file_group[FP_NAME_MAX]; /* "": the file is 0600, else 0640 in it */
	uint32_t offer_hold_s;  /* an unanswered OFFER holds its address; 0: 5 s */
	uint32_t decline_hold_s; /* a declined address's quarantine; 0: lease time */
	uint32_t client_rate;   /* requests a second per client; 0: no limit */
	uint32_t relay_rate;    /* DISCOVERs a second per relay (or unrelayed); 0: no limit */
	struct fp_dhcp_pool *pools;
	size_t n_pools;
	struct fp_dhcp_reservation *reservations;
	size_t n_reservations;
};

/* fp_dhcp_pool_in_subnet / _in_range: A is in P's subnet; A is in P's
 * range (range_lo..range_hi, inclusive). */
bool fp_dhcp_pool_in_subnet(const struct fp_dhcp_pool *p, struct in_addr a);
bool fp_dhcp_pool_in_range(const struct fp_dhcp_pool *p, struct in_addr a);

/* fp_dhcp_leases_max: the most leases D's pools can bind at once: their
 * addresses and the reservations (a bound lease has an address of its
 * own). fp_dhcp_lease_cache: the leases the fast path's cache holds under
 * D: lease_cache_size, else fp_dhcp_leases_max rounded up to a power of
 * two, as the kernel rounds the hash's buckets anyway; at most
 * FP_CONFIG_LEASES_MAX (itself one). */
uint32_t fp_dhcp_leases_max(const struct fp_dhcp_config *d);
uint32_t fp_dhcp_lease_cache(const struct fp_dhcp_config *d);

/* The dhcp: section of the configuration (src/lib/config/schema.h). */
struct fp_cfg_section;
extern const struct fp_cfg_section fp_dhcp_section;

/* ---- messages (dhcp_proto.c) ------------------------------------------ */

/* A parsed BOOTP/DHCP message: the fixed header and the options the
 * server uses. has_* say whether an option was present. */
struct fp_dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;                /* as on the wire */
	uint16_t secs, flags;        /* host order; flags & 0x8000: broadcast */
	struct in_addr ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t type;                /* option 53; 0: none (plain BOOTP) */
	bool has_requested_ip, has_server_id, has_client_id, has_relay;
	struct in_addr requested_ip; /* option 50 */
	struct in_addr server_id;    /* option 54 */
	uint16_t client_id_len;      /* option 61, its parts joined (RFC 3396) */
	uint8_t client_id[FP_DHCP_LONGOPT_MAX];
	uint16_t relay_len;          /* option 82, joined, echoed in replies */
	uint8_t relay[FP_DHCP_LONGOPT_MAX];
	uint8_t prl_len;             /* option 55 */
	uint8_t prl[FP_DHCP_OPT_MAX];
	char hostname[FP_DHCP_HOSTNAME_MAX]; /* option 12, truncated; "" */
};

/* fp_dhcp_parse: parse the UDP payload BUF (LEN bytes) into *m. Returns 0,
 * or -EINVAL when it is not a well-formed BOOTREQUEST from an Ethernet
 * client: shorter than the fixed header and cookie, op not 1, htype not 1
 * or hlen not 6, a bad cookie, an option running past the end, no end
 * option, an option 53/50/54 of the wrong length. Option 52 (overload) is
 * honoured: file and then sname are scanned as RFC 2131 §4.1 orders, and
 * each must end with option 255 too. Options 61 and 82 given in parts
 * are joined (RFC 3396). Never reads outside BUF. */
int fp_dhcp_parse(const void *buf, size_t len, struct fp_dhcp_msg *m);

/* The reply the server decided on: what fp_dhcp_build writes. */
struct fp_dhcp_reply {
	uint8_t type;                /* FP_DHCPOFFER, _ACK, _NAK */
	uint32_t xid;
	uint16_t flags;              /* host order */
	uint8_t htype, hlen;
	uint8_t chaddr[16];
	struct in_addr ciaddr, yiaddr, giaddr;
	struct in_addr server_id;
	uint32_t lease_s;            /* 0: no options 51, 58, 59 */
	bool has_mask;
	struct in_addr mask, router; /* router 0: no option 3 */
	struct in_addr dns[FP_DHCP_DNS_MAX];
	size_t n_dns;
	const char *domain;          /* NULL or "": no option 15 */
	uint16_t client_id_len;      /* option 61 echoed (RFC 6842); 0: none */
	uint8_t client_id[FP_DHCP_LONGOPT_MAX];
	uint16_t relay_len;          /* option 82 echoed; 0: none */
	uint8_t relay[FP_DHCP_LONGOPT_MAX];
};

/* fp_dhcp_build: write the BOOTREPLY for R into BUF (SIZE bytes): the
 * fixed header, the cookie and options 53, 54, 51, 58, 59, 1, 3, 6, 15,
 * 61, 82, 255 (the XDP stage's order), padded to the 300 bytes old
 * clients expect; an option longer than 255 bytes goes in parts (RFC
 * 3396). Returns its length or -ENOSPC. */
int fp_dhcp_build(const struct fp_dhcp_reply *r, uint8_t *buf, size_t size);

/* fp_dhcp_key_make: the subscriber key for M received on VLAN, built the
 * way the XDP stage builds it: option 61 (type byte first) when present,
 * else chaddr. */
void fp_dhcp_key_make(const struct fp_dhcp_msg *m, uint16_t vlan,
		      struct fp_dhcp_key *key);

/* fp_dhcp_frame_build: an Ethernet (+802.1Q when VLAN is not 0) + IPv4 +
 * UDP frame carrying PAYLOAD from SRC_MAC/SRC_IP:67 to DST_MAC/DST_IP:68,
 * with the IPv4 and UDP checksums. Returns its length or -ENOSPC. */
int fp_dhcp_frame_build(uint8_t *buf, size_t size, const uint8_t src_mac[6],
			const uint8_t dst_mac[6], uint16_t vlan,
			struct in_addr src_ip, struct in_addr dst_ip,
			const uint8_t *payload, size_t len);

/* fp_dhcp_frame_parse: find the DHCP payload of an Ethernet frame sent to
 * UDP port 67 (up to two in-frame VLAN tags; the innermost one, or
 * AUX_VLAN when there is none, goes to *vlan). The IPv4 header and UDP
 * length are checked; *payload points into FRAME. -EINVAL otherwise. */
int fp_dhcp_frame_parse(const uint8_t *frame, size_t len, uint16_t aux_vlan,
			uint16_t *vlan, uint8_t src_mac[6],
			const uint8_t **payload, size_t *plen);

/* ---- the lease database (dhcp_lease.c) -------------------------------- */

enum fp_dhcp_lease_state {
	FP_DHCP_LEASE_BOUND = 1,
	FP_DHCP_LEASE_RELEASED,
	FP_DHCP_LEASE_DECLINED,      /* the address is quarantined until expires */
	FP_DHCP_LEASE_EXPIRED,
	FP_DHCP_LEASE_OFFERED,       /* in memory only, never in the file */
};

/* One lease: a journal record, and an entry of the database. */
struct fp_dhcp_lease_rec {
	struct fp_dhcp_key key;
	uint8_t chaddr[6];
	struct in_addr ip;
	uint32_t pool;               /* index in the config's pools */
	time_t expires;              /* wall clock */
	enum fp_dhcp_lease_state state;
	char hostname[FP_DHCP_HOSTNAME_MAX];
};

/* fp_dhcp_leases_read: replay the lease file PATH read-only: one record
 * per client key and per declined address, as the last journal record
 * left it; a BOUND lease past its expiry reads as EXPIRED. *out is
 * malloc'ed (the caller frees it), *n its count. Damaged records are
 * skipped. Returns 0 (an absent file is no leases), -EBADMSG when PATH
 * is not a lease journal, -errno or -ENOMEM. */
int fp_dhcp_leases_read(const char *path, struct fp_dhcp_lease_rec **out, size_t *n);

/* fp_dhcp_state_str: "bound", "released", "declined", "expired", "offered". */
const char *fp_dhcp_state_str(enum fp_dhcp_lease_state s);

/* fp_dhcp_hash: the 32-bit FNV-1a hash of N bytes at P. */
uint32_t fp_dhcp_hash(const void *p, size_t n);

struct fp_dhcp_db;

/* The file calls the journal makes; tests swap them to inject faults
 * (a short write, a failed fsync). NULL members are the system calls. */
struct fp_dhcp_file_ops {
	ssize_t (*write)(int fd, const void *buf, size_t n);
	int (*fsync)(int fd);
};

/* How the journal is kept and what happens to it. */
struct fp_dhcp_db_opts {
	unsigned int mode;           /* the file's mode: 0 is 0600 */
	long gid;                    /* its group (with mode 0640), -1: ours */
	const struct fp_dhcp_file_ops *ops; /* NULL: the system calls */
	const struct fp_logger *log; /* damage and failures, once each */
};

/* What the replay at open found and did. */
struct fp_dhcp_db_info {
	size_t records;              /* whole records read */
	size_t damaged;              /* damaged regions skipped (each logged) */
	size_t damaged_bytes;
	char kept[PATH_MAX + 64];    /* where the original went before
				      * compaction dropped bytes; "" none */
};

/* fp_dhcp_db_open: the database in the journal PATH (NULL: memory only),
 * replayed and compacted; leases expired at NOW are dropped. The file is
 * created with O_EXCL|O_NOFOLLOW (mode 0600, or OPTS's) when absent; its
 * directory must exist. A damaged record is skipped, counted and logged
 * with its offset, and the records after it are read; before compaction
 * drops unreadable bytes the original is kept as PATH.bad-TIMESTAMP.
 * When the file cannot be written (a full disk), the database opens
 * anyway, read from the journal it has, with fp_dhcp_db_writable() false.
 * -EBADMSG: PATH exists and is not a lease journal (left untouched);
 * -ELOOP: PATH is a symbolic link; -EINVAL: not a regular file; -errno.
 * OPTS may be NULL. */
int fp_dhcp_db_open(const char *path, time_t now, struct fp_dhcp_db **out);
int fp_dhcp_db_open_opts(const char *path, time_t now, const struct fp_dhcp_db_opts *opts,
			 struct fp_dhcp_db **out);

/* fp_dhcp_db_info: what the open found. */
const struct fp_dhcp_db_info *fp_dhcp_db_info(const struct fp_dhcp_db *db);

/* fp_dhcp_db_writable: the journal takes records. False from a failed
 * write or fsync (or an open on a full disk) until fp_dhcp_db_recover
 * succeeds; meanwhile changes are made in memory only and every change
 * that would be journaled returns the error. */
bool fp_dhcp_db_writable(const struct fp_dhcp_db *db);

/* fp_dhcp_db_recover: when not writable, try to write the whole database
 * afresh (a compaction); 0 once the journal is writable again. */
int fp_dhcp_db_recover(struct fp_dhcp_db *db);

/* fp_dhcp_db_close: free DB (NULL is fine); nothing is written. */
void fp_dhcp_db_close(struct fp_dhcp_db *db);

/* fp_dhcp_db_by_key / _by_ip: the OFFERED or BOUND entry of KEY; the
 * OFFERED, BOUND or DECLINED entry holding IP; copied into *OUT, which is
 * returned, or NULL when none. Entries may be past their expiry until
 * fp_dhcp_db_expire removes them. */
const struct fp_dhcp_lease_rec *fp_dhcp_db_by_key(const struct fp_dhcp_db *db,
						  const struct fp_dhcp_key *key,
						  struct fp_dhcp_lease_rec *out);
const struct fp_dhcp_lease_rec *fp_dhcp_db_by_ip(const struct fp_dhcp_db *db,
						 struct in_addr ip, struct fp_dhcp_lease_rec *out);

/* fp_dhcp_db_ip_free: IP is held by no entry, or by one past its expiry
 * at NOW, or by KEY's own (KEY may be NULL). fp_dhcp_db_ip_bindable:
 * the same, or held only by another key's OFFERED entry. */
bool fp_dhcp_db_ip_free(const struct fp_dhcp_db *db, struct in_addr ip,
			const struct fp_dhcp_key *key, time_t now);
bool fp_dhcp_db_ip_bindable(const struct fp_dhcp_db *db, struct in_addr ip,
			    const struct fp_dhcp_key *key, time_t now);

/* fp_dhcp_db_put: make REC (state OFFERED or BOUND) the entry of its key,
 * replacing the key's previous one; an expired entry of another key on
 * the same address is evicted, and so is another key's OFFERED entry (an
 * offer is no promise; a client that binds wins over one that only
 * asked). BOUND is journaled (written, not yet synced: fp_dhcp_db_sync).
 * -EADDRINUSE when a live BOUND or DECLINED entry of another key holds
 * the address: the database never leases one address twice. A journal
 * error is returned after the change was made in memory. */
int fp_dhcp_db_put(struct fp_dhcp_db *db, const struct fp_dhcp_lease_rec *rec, time_t now);

/* fp_dhcp_db_release: remove KEY's entry (journaled as STATE: RELEASED
 * or EXPIRED when it was BOUND). -ENOENT when it has none. */
int fp_dhcp_db_release(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       enum fp_dhcp_lease_state state);

/* fp_dhcp_db_decline: KEY's entry gives way to a quarantine of IP until
 * UNTIL (journaled). */
int fp_dhcp_db_decline(struct fp_dhcp_db *db, const struct fp_dhcp_key *key,
		       const uint8_t chaddr[6], struct in_addr ip, time_t until);

/* fp_dhcp_db_sync: fsync what was journaled since the last sync (a
 * batch's records written first, in one write); the journal's error when
 * it is not writable. Ends a batch. */
int fp_dhcp_db_sync(struct fp_dhcp_db *db);

/* fp_dhcp_db_batch: the records journaled from here to the next
 * fp_dhcp_db_sync wait in memory and are written with it in one write
 * (one system call for the batch, not one per record). Their changes
 * return 0 and a write's error is fp_dhcp_db_sync's; a short write keeps
 * the whole records it wrote and cuts the rest off. */
void fp_dhcp_db_batch(struct fp_dhcp_db *db);

/* fp_dhcp_db_expire: remove every entry past its expiry at NOW, calling
 * FN (may be NULL) on each first; BOUND ones are journaled as EXPIRED
 * (not synced). Returns how many went. */
size_t fp_dhcp_db_expire(struct fp_dhcp_db *db, time_t now,
			 void (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
			 void *ctx);

/* fp_dhcp_db_each: FN on every entry, in no order; stops at a non-zero
 * return and returns it. FN must not change the database. */
int fp_dhcp_db_each(const struct fp_dhcp_db *db,
		    int (*fn)(void *ctx, const struct fp_dhcp_lease_rec *rec),
		    void *ctx);

/* fp_dhcp_db_count: entries; fp_dhcp_db_journal_records: records in the
 * file since it was last compacted. */
size_t fp_dhcp_db_count(const struct fp_dhcp_db *db);
size_t fp_dhcp_db_journal_records(const struct fp_dhcp_db *db);

/* fp_dhcp_db_compact: rewrite the file with the BOUND and DECLINED
 * entries only (a temp file created O_EXCL|O_NOFOLLOW beside it, fsync,
 * rename, fsync of the directory); on success the journal is writable. */
int fp_dhcp_db_compact(struct fp_dhcp_db *db);

/* ---- the server core (dhcp_server.c) ---------------------------------- */

/* A request as it arrived: the message, the VLAN it came on and the
 * Ethernet source. */
struct fp_dhcp_request {
	struct fp_dhcp_msg msg;
	uint16_t vlan;
	uint8_t src_mac[6];
};

enum fp_dhcp_dest {
	FP_DHCP_DEST_NONE = 0,
	FP_DHCP_DEST_BROADCAST,      /* 255.255.255.255 at ff:ff:ff:ff:ff:ff */
	FP_DHCP_DEST_UNICAST,        /* dst_ip at dst_mac, port 68 */
	FP_DHCP_DEST_RELAY,          /* dst_ip (giaddr) port 67, routed */
};

enum fp_dhcp_change_op {
	FP_DHCP_CHANGE_NONE = 0,
	FP_DHCP_CHANGE_OFFER,        /* rec becomes key's OFFERED entry */
	FP_DHCP_CHANGE_BIND,         /* rec becomes key's BOUND entry */
	FP_DHCP_CHANGE_RELEASE,      /* key's entry goes */
	FP_DHCP_CHANGE_DECLINE,      /* rec.ip quarantined until rec.expires */
	FP_DHCP_CHANGE_UNOFFER,      /* key's OFFERED entry goes (chose another server) */
};

/* What the server does with one request. */
struct fp_dhcp_decision {
	struct fp_dhcp_reply reply;  /* reply.type 0: no reply */
	enum fp_dhcp_dest dest;
	struct in_addr dst_ip;
	uint8_t dst_mac[6];
	enum fp_dhcp_change_op change;
	struct fp_dhcp_lease_rec rec; /* the change's entry (key always set) */
	int counter;                 /* the FP_DHCP_SLOW_* to count, or -1 */
	const char *why;             /* for the log: why NAK or no reply */
};

/* fp_dhcp_decide: the RFC 2131 server for REQ at NOW (wall clock), a pure
 * function of CFG and DB: fills *d with the reply, its addressing and the
 * database change the caller applies (fp_dhcp_apply) before sending.
 * An INIT-REBOOT REQUEST for an address of our range that nobody holds,
 * from a client we have no record of, is ACKed (we may have lost the
 * record; RFC 2131 allows silence, but an ACK spares the client a
 * restart); one for an address outside our ranges is left unanswered. */
void fp_dhcp_decide(const struct fp_dhcp_config *cfg, const struct fp_dhcp_db *db,
		    const struct fp_dhcp_request *req, time_t now,
		    struct fp_dhcp_decision *d);

/* fp_dhcp_apply: make D's change in DB (journaled, not synced). */
int fp_dhcp_apply(struct fp_dhcp_db *db, const struct fp_dhcp_decision *d, time_t now);

/* ---- the server (dhcp_server.c) --------------------------------------- */

struct fp_dhcp_server;

/* fp_dhcp_server_open: serve CFG (copied: the caller may free it) on
 * cfg->interface: open the lease database (creating its directory, 0755,
 * when missing), the packet and UDP sockets, and, when the XDP pipeline
 * runs there, the maps it shares with the kernel (else userspace-only,
 * logged). Needs CAP_NET_RAW. -errno with the reason logged through LOG
 * (copied). */
int fp_dhcp_server_open(const struct fp_dhcp_config *cfg, const struct fp_logger *log,
			struct fp_dhcp_server **out);

/* fp_dhcp_server_pollfds: up to MAX descriptors to poll for POLLIN into
 * FDS; returns how many. They change only at open and reload. */
int fp_dhcp_server_pollfds(const struct fp_dhcp_server *srv, struct pollfd *fds, int max);

/* fp_dhcp_server_process: drain what is readable (requests, the kernel's
 * lease events), answer, persist (one fsync per batch). Non-blocking. */
void fp_dhcp_server_process(struct fp_dhcp_server *srv);

/* fp_dhcp_server_tick: once a second: expire leases (and their map
 * entries), compact the file when it has grown, publish counters. */
void fp_dhcp_server_tick(struct fp_dhcp_server *srv);

/* fp_dhcp_server_reload: serve CFG from now on: pools and maps rewritten,
 * leases kept while their address is still in a pool's range and not
 * reserved for someone else. A new interface or lease file reopens
 * them. -errno: the server keeps the previous configuration. */
int fp_dhcp_server_reload(struct fp_dhcp_server *srv, const struct fp_dhcp_config *cfg);

/* fp_dhcp_server_verify: the server still serves what it should: its
 * sockets bound to the interface's current ifindex (a re-created
 * interface gets new ones) and its maps the ones pinned for the
 * interface's pipeline (a pipeline made anew gets them reopened, its
 * pools written and its lease cache refilled). *REPAIRED gets
 * FP_DHCP_REPAIRED_* for what was reopened. -ENODEV: the interface is
 * gone (nothing done); other -errno: reopening failed, tried again on
 * the next call. */
#define FP_DHCP_REPAIRED_SOCKETS 0x1u
#define FP_DHCP_REPAIRED_MAPS    0x2u
int fp_dhcp_server_verify(struct fp_dhcp_server *srv, unsigned int *repaired);

/* fp_dhcp_server_storing: the lease journal takes records (false: no ACK
 * leaves, by either path, until it can be written again). */
bool fp_dhcp_server_storing(const struct fp_dhcp_server *srv);

/* fp_dhcp_server_close: close everything; NULL is fine. Map entries stay:
 * the kernel keeps answering for bound leases. */
void fp_dhcp_server_close(struct fp_dhcp_server *srv);

/* fp_dhcp_mac_str: M as "02:00:00:00:00:01" in BUF, which it returns. */
const char *fp_dhcp_mac_str(const uint8_t m[6], char buf[18]);

/* fp_dhcp_counter_name: "rx_discover", "fast_offer"... the name of a
 * bpf/dhcp_abi.h counter, for `fastpath dhcp stats` and the metrics; NULL
 * out of range. */
const char *fp_dhcp_counter_name(unsigned int i);

/* fp_dhcp_stats_read: the counters of DEV's pinned dhcp_stats, summed
 * over CPUs, into OUT. -ENOENT when the pipeline has no DHCP stage. */
int fp_dhcp_stats_read(const char *dev, __u64 out[FP_DHCP_COUNTERS]);

#endif
