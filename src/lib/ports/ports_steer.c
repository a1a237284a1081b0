// SPDX-License-Identifier: BSD-2-Clause
/* Steering a registered port to a running process's socket (`fastpath
 * ports register PORT --pid PID [--fd N]`), with the functions' sk_lookup
 * program in this network namespace. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <fastpath/functions.h>
#include <fastpath/port_registry.h>

static int proto_type(int protocol)
{
	return protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

static struct fp_cidr entry_prefix(const struct fp_port_entry *e)
{
	struct fp_cidr p = fp_fn_prefix_any(AF_INET);

	if (e->addr) {
		memcpy(p.addr, &e->addr, 4);
		p.len = 32;
	}
	return p;
}

int fp_port_steer(struct fp_port_registry *r, uint16_t port, int fd, int protocol)
{
	struct fp_port_entry e;
	struct fp_cidr p;
	struct fp_steer s;
	__u32 key = port;
	int sock, target = fd, err;

	err = bpf_map_lookup_elem(r->ports_fd, &key, &e);
	if (err || !e.pid)
		return err ?: -ENOENT;
	if (fd >= 0) {
		sock = fp_fn_take_fd(e.pid, fd);
		if (sock >= 0 && (err = fp_fn_socket_check(sock, proto_type(protocol), 0))) {
			close(sock);
			return err;
		}
	} else {
		sock = fp_fn_find_socket(e.pid, proto_type(protocol), port, &target);
		if (sock == -ENOENT)
			sock = fp_fn_find_socket(e.pid, proto_type(protocol), 0, &target);
	}
	if (sock < 0)
		return sock;
	err = fp_steer_open(&s, NULL, true);
	if (err) {
		close(sock);
		return err;
	}
	p = entry_prefix(&e);
	err = fp_steer_set_socket(&s, FP_FN_PORTS_BASE + e.slot, sock);
	err = err ?: fp_steer_bind(&s, protocol, port, &p, FP_FN_PORTS_BASE + e.slot);
	if (!err) {
		e.protocol = protocol;
		e.fd = target;
		err = bpf_map_update_elem(r->ports_fd, &key, &e, BPF_EXIST);
	}
	if (err) {
		fp_steer_unbind(&s, protocol, port, &p);
		fp_steer_clear_socket(&s, FP_FN_PORTS_BASE + e.slot);
		fp_steer_remove_if_unused(&s);
	}
	fp_steer_close(&s);
	close(sock); /* the process keeps it; the SOCKMAP holds no reference */
	return err;
}

int fp_port_unsteer(struct fp_port_registry *r, uint16_t port)
{
	struct fp_port_entry e;
	struct fp_cidr p;
	struct fp_steer s;
	__u32 key = port;
	int err = bpf_map_lookup_elem(r->ports_fd, &key, &e);

	if (err || !e.pid || !e.protocol)
		return err;
	err = fp_steer_open(&s, NULL, false);
	if (err)
		return err == -ENOENT ? 0 : err;
	p = entry_prefix(&e);
	err = fp_steer_unbind(&s, e.protocol, port, &p);
	if (err == -ENOENT)
		err = 0;
	fp_steer_clear_socket(&s, FP_FN_PORTS_BASE + e.slot);
	fp_steer_remove_if_unused(&s);
	fp_steer_close(&s);
	return err;
}

void fp_port_steer_state(const struct fp_port_record *rec, char *buf, size_t size)
{
	struct fp_steer s;
	uint64_t cookie;
	int fd;

	if (!rec->entry.protocol) {
		snprintf(buf, size, "-");
		return;
	}
	if (fp_steer_open(&s, NULL, false) ||
	    fp_steer_socket_cookie(&s, FP_FN_PORTS_BASE + rec->entry.slot, &cookie)) {
		if (s.bindings_fd >= 0)
			fp_steer_close(&s);
		snprintf(buf, size, "closed");
		return;
	}
	fp_steer_close(&s);
	fd = fp_fn_take_fd(rec->entry.pid, rec->entry.fd);
	if (fd < 0) {
		snprintf(buf, size, "%s steered", rec->entry.protocol == IPPROTO_UDP ? "udp" : "tcp");
		return;
	}
	fp_fn_socket_describe(fd, buf, size);
	close(fd);
}
