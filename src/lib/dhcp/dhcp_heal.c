// SPDX-License-Identifier: BSD-2-Clause
/* The DHCP server checked against the kernel: an interface deleted and
 * created again under the same name has a new ifindex, which the old
 * sockets do not see; a pipeline made anew (its pins removed, bpffs
 * remounted) has new maps, which the old fds do not feed. Either is
 * reopened, and the fast path's cache filled again. */
#include <errno.h>
#include <net/if.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <fastpath/pipeline.h>
#include "core/bpffs.h"
#include "dhcp_server.h"

/* The lease map pinned for DEV is not the one the server writes. */
static bool maps_stale(const struct fp_dhcp_server *s)
{
	int fd = fp_pipeline_obj_get(s->cfg.interface, "dhcp_leases");
	__u32 pinned = fp_obj_id(fd);

	if (fd >= 0)
		close(fd);
	return pinned != fp_obj_id(s->leases_fd);
}

static int sockets_reopen(struct fp_dhcp_server *s)
{
	struct fp_dhcp_iface ifc;
	int err = fp_dhcp_sockets_open(s->cfg.interface, &s->log, &ifc);

	if (err)
		return err;
	fp_dhcp_sockets_close(&s->ifc);
	s->ifc = ifc;
	return 0;
}

static void maps_reopen(struct fp_dhcp_server *s)
{
	fp_dhcp_maps_close(s);
	s->n_pools_written = 0;
	/* The tick looks at the new peer's XDP program again. */
	s->tx_blocked = false;
	s->tx_checked = 0;
	fp_dhcp_maps_open(s);
	if (s->leases_fd < 0)
		return;
	fp_dhcp_maps_write_pools(s);
	fp_dhcp_maps_sync_leases(s);
	s->cnt_dirty = true;
	fp_dhcp_maps_publish(s);
}

int fp_dhcp_server_verify(struct fp_dhcp_server *s, unsigned int *repaired)
{
	int ifindex = (int)if_nametoindex(s->cfg.interface), err;
	bool moved = ifindex != s->ifc.ifindex;

	*repaired = 0;
	if (!ifindex)
		return -ENODEV;
	if (moved) {
		err = sockets_reopen(s);
		if (err)
			return err;
		*repaired |= FP_DHCP_REPAIRED_SOCKETS;
	}
	/* A new interface has a new MAC for the fast path's replies too. */
	if (moved || maps_stale(s)) {
		maps_reopen(s);
		*repaired |= FP_DHCP_REPAIRED_MAPS;
	}
	return 0;
}
