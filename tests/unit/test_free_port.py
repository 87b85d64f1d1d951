"""ops.procs.free_port: distinct ports, none of them one a client socket could be given meanwhile."""

import socket

from ops.procs import _listen_pool, free_port


def test_ports_handed_out_are_distinct_and_outside_the_ephemeral_range():
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    pool = _listen_pool()
    assert all(p in pool for p in ports)
    with socket.socket() as s:  # an outgoing connection's port never lies in the pool
        s.bind(("127.0.0.1", 0))
        assert s.getsockname()[1] not in pool


def test_a_port_someone_listens_on_is_never_handed_out():
    listeners = []
    try:
        for port in _listen_pool()[:50]:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            s.listen()
            listeners.append(s)
        taken = {s.getsockname()[1] for s in listeners}
        assert not taken & {free_port() for _ in range(200)}
    finally:
        for s in listeners:
            s.close()
