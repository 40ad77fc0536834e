"""Postfix and Dovecot of the host roots, taken from the lab's own mail instances.

drifted/ gets the *weak* instance's settings, compliant/ the *clean* one's. They are read
from what components/30-mail.sh rendered (run/mail/HOST/), or, before the mail component
ran, from its templates (tests/lab/mail/*.in). Lab-only settings (127.x bind addresses,
paths under run/, lab log files) are rewritten to what a Debian host would have; the TLS
and authentication settings -- the ones the audit reads -- are kept exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

HOSTNAME = "mx1.good.lab.test"
CERT = f"/etc/ssl/certs/{HOSTNAME}.pem"
KEY = "/etc/ssl/private/mail.key"
SQL = "/etc/postfix/sql"

# main.cf: lab value -> host value; None drops the line (the Postfix default applies).
_MAIN_OVERRIDES: dict[str, str | None] = {
    "config_directory": "/etc/postfix",
    "queue_directory": "/var/spool/postfix",
    "data_directory": "/var/lib/postfix",
    "maillog_file": None,
    "maillog_file_prefixes": None,
    "inet_interfaces": "all",
    "inet_protocols": "all",
    "smtp_bind_address": None,
    "myhostname": HOSTNAME,
    "mydomain": "good.lab.test",
    "mydestination": "$myhostname, localhost.localdomain, localhost",
    "mynetworks": "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
    "alias_maps": "hash:/etc/aliases",
    "alias_database": "hash:/etc/aliases",
    "local_recipient_maps": None,
    "default_transport": None,
    "relay_transport": None,
    "smtpd_banner": "$myhostname ESMTP $mail_name (Debian/GNU)",
    "smtpd_sasl_path": "private/auth",
    "smtpd_tls_cert_file": CERT,
    "smtpd_tls_key_file": KEY,
    "smtpd_tls_session_cache_database": "btree:${data_directory}/smtpd_scache",
    "smtpd_tls_dh1024_param_file": "/etc/postfix/dh1024.pem",
    "virtual_mailbox_domains": f"sqlite:{SQL}/sqlite-virtual-domains-maps.cf",
    "virtual_mailbox_base": "/var/vmail",
    "virtual_mailbox_maps": f"sqlite:{SQL}/sqlite-virtual-mailbox-maps.cf",
    "virtual_uid_maps": "static:5000",
    "virtual_gid_maps": "static:5000",
}
# Added when the lab instance has no such line (the weak one delivers nothing).
_MAIN_APPEND = (
    ("virtual_mailbox_domains", _MAIN_OVERRIDES["virtual_mailbox_domains"]),
    ("virtual_mailbox_base", "/var/vmail"),
    ("virtual_mailbox_maps", _MAIN_OVERRIDES["virtual_mailbox_maps"]),
    ("virtual_alias_maps", f"sqlite:{SQL}/sqlite-virtual-alias-maps.cf"),
    ("virtual_uid_maps", "static:5000"),
    ("virtual_gid_maps", "static:5000"),
    ("smtp_tls_CApath", "/etc/ssl/certs"),
    ("smtp_tls_security_level", "may"),
    ("smtp_tls_session_cache_database", "btree:${data_directory}/smtp_scache"),
    ("message_size_limit", "52428800"),
    ("mailbox_size_limit", "0"),
    ("recipient_delimiter", "+"),
)
# Dovecot settings the host keeps, by the conf.d file they belong in.
_DOVECOT_AUTH = ("disable_plaintext_auth", "auth_mechanisms")
_DOVECOT_SSL = ("ssl", "ssl_min_protocol", "ssl_cipher_list", "ssl_prefer_server_ciphers")
_DOVECOT_LAB_ONLY = (
    "instance_name",
    "base_dir",
    "state_dir",
    "log_path",
    "info_log_path",
    "listen",
    "shutdown_clients",
    "mail_location",
    "first_valid_uid",
    "ssl_cert",
    "ssl_key",
    "ssl_dh",
)


def _template_vars(host: str) -> dict[str, str]:
    """Stand-ins for the mail component's ${VARS} when only the templates exist."""
    base = f"/srv/lab/{host}"
    return {
        "LAB_HOST": host,
        "MAIL_RUN": "/srv/lab",
        "MAILDIR_BASE": "/srv/lab/maildir",
        "HOST_DIR": base,
        "PF_DIR": f"{base}/postfix",
        "DV_DIR": f"{base}/dovecot",
        "MAIL_IP": "127.0.25.9",
        "MAIL_NAME": f"mx.{host}.lab.test",
        "VMAIL_UID": "5000",
        "VMAIL_GID": "5000",
        "SASL_PATH": f"{base}/queue/private/auth",
        "SMTP_CERT": f"{base}/smtp.pem",
        "SMTP_KEY": f"{base}/smtp.key",
        "IMAP_CERT": f"{base}/imap.pem",
        "IMAP_KEY": f"{base}/imap.key",
    }


def lab_sources(lab_dir: Path, lab_run: Path, host: str) -> dict[str, str]:
    """main.cf, master.cf and dovecot.conf of the lab's HOST instance: rendered, else templates."""
    rendered = {
        "main.cf": lab_run / "mail" / host / "postfix" / "main.cf",
        "master.cf": lab_run / "mail" / host / "postfix" / "master.cf",
        "dovecot.conf": lab_run / "mail" / host / "dovecot" / "dovecot.conf",
    }
    if all(p.is_file() for p in rendered.values()):
        return {name: p.read_text(encoding="utf-8") for name, p in rendered.items()}
    tpl = lab_dir / "mail"
    parts = {
        "main.cf": ("postfix-main.cf.in", f"postfix-main-{host}.cf.in"),
        "master.cf": ("postfix-master.cf.in", f"postfix-master-{host}.cf.in"),
        "dovecot.conf": ("dovecot.conf.in", f"dovecot-{host}.conf.in"),
    }
    values = _template_vars(host)
    out = {}
    for name, files in parts.items():
        text = "".join((tpl / f).read_text(encoding="utf-8") for f in files)
        out[name] = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)
    return out


def _settings(text: str) -> list[tuple[str, str]]:
    """Top-level ``key = value`` pairs (comments dropped, Postfix continuation lines joined)."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        key, sep, value = line.partition("=")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return pairs


def _check_clean(name: str, text: str) -> str:
    for marker in ("/srv/lab", "/run/mail/", "/tests/lab", "127.0.25."):
        if marker in text:
            raise ValueError(f"{name}: lab-only value left after rewriting ({marker})")
    return text


def postfix_main(source: str, variant: str) -> str:
    lines = [
        f"# /etc/postfix/main.cf on {HOSTNAME} ({variant}): see postconf(5).",
        "# Virtual mailboxes for good.lab.test come from the SQLite user database.",
        "",
    ]
    seen = set()
    for key, value in _settings(source):
        if key in _MAIN_OVERRIDES:
            new = _MAIN_OVERRIDES[key]
            if new is None:
                continue
            value = new
        seen.add(key)
        lines.append(f"{key} = {value}".rstrip())
    lines.append("")
    lines += [f"{key} = {value}" for key, value in _MAIN_APPEND if key not in seen]
    return _check_clean("main.cf", "\n".join(lines) + "\n")


def postfix_master(source: str, variant: str) -> str:
    head = [
        "#",
        f"# /etc/postfix/master.cf on {HOSTNAME} ({variant}): see master(5).",
        "#",
        "# service type  private unpriv  chroot  wakeup  maxproc command + args",
        "#               (yes)   (yes)   (no)    (never) (100)",
        "#",
    ]
    body = [line.rstrip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return _check_clean("master.cf", "\n".join(head + body) + "\n")


def dovecot_files(source: str, variant: str) -> dict[str, str]:
    """A Debian-style /etc/dovecot: dovecot.conf + conf.d/ + the SQL passdb/userdb."""
    depth, top = 0, {}
    for line in source.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if depth == 0 and "=" in stripped and not stripped.endswith("{"):
            key, _, value = stripped.partition("=")
            top[key.strip()] = value.strip()
        depth += stripped.count("{") - stripped.count("}")
    protocols = top.get("protocols", "imap")
    auth = "\n".join(f"{k} = {top[k]}" for k in _DOVECOT_AUTH if k in top)
    ssl = "\n".join(f"{k} = {top[k]}" for k in _DOVECOT_SSL if k in top)
    dh = "</etc/dovecot/dh1024.pem" if "dh1024" in top.get("ssl_dh", "") else "</usr/share/dovecot/dh.pem"
    rest = {k: v for k, v in top.items() if k not in (*_DOVECOT_AUTH, *_DOVECOT_SSL, *_DOVECOT_LAB_ONLY, "protocols")}
    files = {
        "etc/dovecot/dovecot.conf": f"""## Dovecot configuration file ({variant} snapshot of {HOSTNAME})
# Most settings live in conf.d/; local.conf is read last and overrides them.
!include_try /usr/share/dovecot/protocols.d/*.protocol
protocols = {protocols}
listen = *, ::
dict {{
}}
!include conf.d/*.conf
!include_try local.conf
""",
        "etc/dovecot/conf.d/10-auth.conf": f"""##
## Authentication processes
##
# Plaintext authentication (PLAIN, LOGIN) is refused on connections without SSL/TLS
# unless disable_plaintext_auth is "no"; connections from the host itself count as secure.
{auth}
auth_username_format = %Lu
#!include auth-system.conf.ext
!include auth-sql.conf.ext
""",
        "etc/dovecot/conf.d/auth-sql.conf.ext": """# SQL users; dovecot-sql.conf.ext holds the queries.
passdb {
  driver = sql
  args = /etc/dovecot/dovecot-sql.conf.ext
}
userdb {
  driver = sql
  args = /etc/dovecot/dovecot-sql.conf.ext
}
""",
        "etc/dovecot/conf.d/10-ssl.conf": f"""##
## SSL settings
##
# "required" refuses any plaintext authentication; "yes" only offers TLS.
{ssl}
ssl_cert = <{CERT}
ssl_key = <{KEY}
ssl_dh = {dh}
""",
        "etc/dovecot/conf.d/10-mail.conf": """##
## Mailbox locations and namespaces
##
mail_location = maildir:/var/vmail/%d/%n
mail_privileged_group = mail
first_valid_uid = 5000
namespace inbox {
  inbox = yes
}
""",
        "etc/dovecot/conf.d/10-master.conf": """# Login listeners, and the auth socket for Postfix's SASL.
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
""",
        "etc/dovecot/conf.d/10-logging.conf": """##
## Log destination: syslog (facility mail), so rsyslog decides where it lands.
##
#log_path = syslog
syslog_facility = mail
auth_verbose = no
""",
        "etc/dovecot/dovecot-sql.conf.ext": """# SQL passdb/userdb: the PostfixAdmin-style user database.
driver = sqlite
connect = /var/lib/mail/users.sqlite
default_pass_scheme = SHA512-CRYPT
# The stored value carries its own {SCHEME} prefix; legacy hashes still verify.
password_query = SELECT username AS user, password FROM mailbox \\
  WHERE username = '%u' AND active = 1
user_query = SELECT '/var/vmail/' || maildir AS home, 5000 AS uid, 5000 AS gid \\
  FROM mailbox WHERE username = '%u' AND active = 1
iterate_query = SELECT username AS user FROM mailbox WHERE active = 1
""",
    }
    if rest:
        files["etc/dovecot/local.conf"] = "".join(f"{k} = {v}\n" for k, v in rest.items())
    for name, text in files.items():
        _check_clean(name, text)
    return files
