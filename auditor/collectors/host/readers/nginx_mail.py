"""nginx ``mail { }`` proxies: a stack may terminate IMAP/POP3/SMTP TLS in nginx, not in Dovecot/Postfix.

Then the TLS versions and suites clients get, and whether a login may happen before STARTTLS, are
nginx's ``ssl_protocols``, ``ssl_ciphers``, ``starttls`` and ``<protocol>_auth``, set at the ``mail``
level or per ``server``. The cipher string is expanded by the local OpenSSL (Python's ``ssl``
module), the one library that knows what ``HIGH:!aNULL:+3DES`` selects; suites it cannot name
(built without them) are not listed.
"""

from __future__ import annotations

import re
import ssl

from auditor.collectors.host.readers.weblogs import WebLogConfig
from auditor.evidence.host import MailProxyServer
from auditor.evidence.settings import Setting, SourceRef

_KEYS = ("ssl_protocols", "ssl_ciphers", "starttls", "ssl", "smtp_auth", "imap_auth", "pop3_auth")
#: Broken, export-grade or unauthenticated suites. PSK and SRP suites are listed by OpenSSL but need a
#: key callback nginx never sets, so they cannot be negotiated and are not counted.
_WEAK = re.compile(r"RC4|DES|NULL|EXP|MD5|ADH|AECDH|anon", re.I)


def weak_suites(cipher_string: str) -> tuple[str, ...]:
    """Suites of an OpenSSL cipher string that are broken, export grade or unauthenticated."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.set_ciphers(cipher_string)
    except ssl.SSLError:
        return ()
    return tuple(c["name"] for c in context.get_ciphers() if _WEAK.search(c["name"]))


def mail_proxy(nginx: WebLogConfig | None) -> tuple[MailProxyServer, ...] | None:
    """The ``server`` blocks of ``mail { }`` with their effective TLS settings (``None``: no mail block)."""
    if nginx is None or not nginx.mail:
        return None
    top: dict[str, Setting] = {}
    servers: dict[SourceRef, dict[str, list[Setting]]] = {}
    for name, args, where, block in nginx.mail:
        setting = Setting(name, " ".join(args), where.file, where.line)
        inner = servers.setdefault(block, {}) if _is_server(nginx, block) else None
        if inner is None:
            if name in _KEYS:
                top[name] = setting
            continue
        inner.setdefault(name, []).append(setting)
    out: list[MailProxyServer] = []
    for block, directives in servers.items():
        protocol = directives.get("protocol", [Setting("protocol", "", block.file, 0)])[-1].value
        listens = tuple(s.value for s in directives.get("listen", ()))
        effective = dict(top) | {k: v[-1] for k, v in directives.items() if k in _KEYS}
        ciphers = effective.get("ssl_ciphers")
        weak = weak_suites(ciphers.value) if ciphers is not None else ()
        out.append(MailProxyServer(protocol, listens, block.file, block.line, tuple(effective.values()), weak))
    return tuple(out)


def _is_server(nginx: WebLogConfig, block: SourceRef) -> bool:
    """Whether the block opened at ``block`` is a ``server { }`` (the mail level itself is not)."""
    return any(d[0] == "protocol" and d[3] == block for d in nginx.mail) or any(
        d[0] == "listen" and d[3] == block for d in nginx.mail
    )
