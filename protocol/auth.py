"""The admin login without the password on the wire: a challenge and two HMAC proofs.

    client                                   server
    {"type":"challenge"}            ->
                                    <-   {"type":"challenge","nonce":N}
    {"type":"login","nick":K,"cnonce":C,
     "proof":hmac(key, "client:N:C:K")} ->
                                    <-   {"type":"welcome",…,"server_proof":hmac(key,"server:N:C")}

`key` is SHA-256 of "classchat-admin:" + the password, so a client never keeps or sends the
password itself. The server's nonce is used once (a recorded login cannot be replayed), and
the server proves it knows the password too: a client refuses a server whose proof is
wrong instead of handing an impostor anything. Someone who records a login can still try
to guess a weak password offline against it: choose a password of 10 characters or more.

Pure functions, hex strings; the browser client computes the same with its own SHA-256.
"""

import hashlib
import hmac
import secrets

NONCE_BYTES = 16


def make_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def password_key(password: str) -> bytes:
    return hashlib.sha256(("classchat-admin:" + password).encode("utf-8")).digest()


def client_proof(key: bytes, nonce: str, cnonce: str, nick: str) -> str:
    return _mac(key, f"client:{nonce}:{cnonce}:{nick}")


def server_proof(key: bytes, nonce: str, cnonce: str) -> str:
    return _mac(key, f"server:{nonce}:{cnonce}")


def proofs_match(expected: str, given: str) -> bool:
    """Constant time, whatever `given` holds."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
