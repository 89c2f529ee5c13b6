"""CURVE (schemas/curve-keys.md): read key files and make a pyzmq socket a CURVE client of stackd."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import zmq


def load_curve_key(path: str) -> Tuple[bytes, Optional[bytes]]:
    """Reads a CURVE key file (schemas/curve-keys.md) and returns ``(public, secret)`` as Z85 bytes.

    Accepts the certificate format ``stackd keygen`` and ``zmq.auth.create_certificates`` write
    (``public-key = "..."`` / ``secret-key = "..."`` lines; ``secret`` is None for a public file)
    and a file holding one bare 40-character Z85 key, returned as ``(key, None)``.
    """
    public: Optional[bytes] = None
    secret: Optional[bytes] = None
    bare: List[bytes] = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(b"#") or line in (b"metadata", b"curve"):
                continue
            if b"=" in line:
                name, value = (part.strip() for part in line.split(b"=", 1))
                value = value.strip(b"\"'")
                if name == b"public-key":
                    public = value
                elif name == b"secret-key":
                    secret = value
            else:
                bare.append(line)
    if public is None and secret is None and len(bare) == 1:
        public = bare[0]
    for key in (public, secret):
        if key is not None and len(key) != 40:
            raise ValueError(f"{path}: a CURVE key is 40 Z85 characters, found {len(key)}")
    if public is None:
        raise ValueError(f"{path}: no CURVE key found")
    return public, secret


def configure_curve_client(socket: zmq.Socket[Any], server_public_key_file: str,
                           secret_key_file: str) -> zmq.Socket[Any]:
    """Makes a pyzmq ``socket`` a CURVE client of stackd; call it before ``connect``.

    ``server_public_key_file`` is the daemon's ``NAME.key``; ``secret_key_file`` is this client's
    ``NAME.key_secret`` (or a bare Z85 secret key), whose public half must be in the daemon's
    ``security.client_keys_directory``.
    """

    server_public, _ = load_curve_key(server_public_key_file)
    public, secret = load_curve_key(secret_key_file)
    if secret is None:  # a bare key in a secret file is the secret key
        secret, public = public, zmq.curve_public(public)
    socket.curve_serverkey = server_public
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    return socket
