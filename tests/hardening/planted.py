"""A host root with planted secrets (and, optionally, planted markup) for the leak and injection tests.

It starts from the lab's compliant host root (real Postfix/Dovecot/Roundcube/borgmatic
configs and a SQLite user database with real password hashes) and adds, in the places
a real mail host keeps them: a Dovecot SQL ``connect`` with a password, Postfix
``*sql*.cf`` ``password =`` (referenced from main.cf and orphaned), Roundcube ``des_key``
and a ``db_dsnw`` with a password, a Nextcloud config, a PEM private key under
etc/ssl/private and a borgmatic ``encryption_passphrase``.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MIN_WINDOW = 8


def token(label: str) -> str:
    """A unique, random-looking secret (no common words, so any 8-char window is telling)."""
    return f"{secrets.token_urlsafe(12)}{label[:2]}{secrets.token_urlsafe(6)}"


@dataclass
class Planted:
    root: Path
    secrets: dict[str, str] = field(default_factory=dict)  # label -> secret value
    hashes: list[str] = field(default_factory=list)  # password hashes in the user DB

    def needles(self) -> dict[str, str]:
        """Every secret and hash part, as label -> string: the caller checks all 8-char windows."""
        out = dict(self.secrets)
        for i, value in enumerate(self.hashes):
            # "{SHA512-CRYPT}$6$rounds=5000$salt$digest": salt and digest are secret, the scheme is not.
            for j, part in enumerate(value.split("$")):
                if len(part) >= 12 and "CRYPT" not in part and not part.startswith("rounds="):
                    out[f"hash{i}.{j}"] = part
        return out


def windows(text: str, size: int = MIN_WINDOW) -> set[str]:
    return {text[i : i + size] for i in range(max(len(text) - size + 1, 1))}


def find_leaks(needles: dict[str, str], haystacks: dict[str, str]) -> list[str]:
    """Every (needle label, 8-char window, where) found; empty when nothing leaked."""
    found: list[str] = []
    for label, secret in needles.items():
        for window in sorted(windows(secret)):
            for name, text in haystacks.items():
                if window in text:
                    found.append(f"{label}: {window!r} in {name}")
                    break
            else:
                continue
            break
    return found


def _write(root: Path, rel: str, text: str, mode: int = 0o640) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def plant(lab_root: Path, target: Path, *, value: str | None = None) -> Planted:
    """Copy the lab's compliant host root to ``target`` and plant secrets into it.

    ``value``: a string (e.g. a markup payload) also planted as an ordinary, non-secret
    config value that reports may legitimately show.
    """
    source = lab_root / "run" / "hostroot" / "compliant"
    shutil.copytree(source, target, symlinks=True)
    p = Planted(target)
    s = p.secrets
    s["dovecot-sql"] = token("dv")
    s["postfix-sql"] = token("pf")
    s["postfix-orphan"] = token("po")
    s["roundcube-des"] = token("rd")
    s["roundcube-dsn"] = token("rp")
    s["nextcloud-db"] = token("nd")
    s["nextcloud-secret"] = token("ns")
    s["nextcloud-salt"] = token("nt")
    s["borg-passphrase"] = token("bp")

    # Dovecot: a second SQL passdb on PostgreSQL with the password in `connect`.
    auth = target / "etc/dovecot/conf.d/auth-sql.conf.ext"
    auth.write_text(auth.read_text() + "passdb {\n  driver = sql\n  args = /etc/dovecot/dovecot-pgsql.conf.ext\n}\n")
    _write(
        target,
        "etc/dovecot/dovecot-pgsql.conf.ext",
        "driver = pgsql\n"  # noqa: S608 - a config file under test, not a query we run
        f"connect = host=127.0.0.1 port=1 dbname=mail user=dovecot password={s['dovecot-sql']}\n"
        "default_pass_scheme = SHA512-CRYPT\n"
        "password_query = SELECT username AS user, password FROM mailbox WHERE username = '%u'\n",
    )  # noqa: S608
    # Postfix: a pgsql map referenced from main.cf, and the orphaned MySQL one with a new password.
    main = target / "etc/postfix/main.cf"
    main.write_text(
        main.read_text()
        + "relay_domains = pgsql:/etc/postfix/sql/pgsql-relay-domains.cf\n"
        + (f"smtpd_banner = $myhostname ESMTP {value}\n" if value else "")
    )
    _write(
        target,
        "etc/postfix/sql/pgsql-relay-domains.cf",
        f"hosts = 127.0.0.1:1\nuser = postfix\npassword = {s['postfix-sql']}\ndbname = mail\n"  # noqa: S608
        "query = SELECT domain FROM domain WHERE domain='%s'\n",
    )  # noqa: S608
    _write(
        target,
        "etc/postfix/sql/mysql-virtual-mailbox-maps.cf",
        f"user = postfix\npassword = {s['postfix-orphan']}\nhosts = 127.0.0.1\ndbname = postfixadmin\n"  # noqa: S608
        "query = SELECT maildir FROM mailbox WHERE username='%s'\n",
    )  # noqa: S608
    # Roundcube: des_key and a DSN with a password (port 1: nothing listens).
    rc = target / "etc/roundcube/config.inc.php"
    text = rc.read_text()
    text = "\n".join(line for line in text.splitlines() if "db_dsnw" not in line and "des_key" not in line)
    text += (
        f"\n$config['db_dsnw'] = 'pgsql://roundcube:{s['roundcube-dsn']}@127.0.0.1:1/roundcube';\n"
        f"$config['des_key'] = '{s['roundcube-des']}';\n"
    )
    if value:
        text += f"$config['product_name'] = '{value}';\n$config['log_dir'] = '/var/log/roundcube/';\n"
    rc.write_text(text)
    # Nextcloud.
    _write(
        target,
        "var/www/nextcloud/config/config.php",
        "<?php\n$CONFIG = array (\n  'instanceid' => 'ocplanted1',\n"
        f"  'passwordsalt' => '{s['nextcloud-salt']}',\n  'secret' => '{s['nextcloud-secret']}',\n"
        "  'dbtype' => 'pgsql',\n  'dbname' => 'nextcloud',\n  'dbhost' => '127.0.0.1:1',\n"
        f"  'dbuser' => 'nextcloud',\n  'dbpassword' => '{s['nextcloud-db']}',\n"
        "  'log_type' => 'file',\n  'logfile' => '/var/log/nextcloud/nextcloud.log',\n"
        + (f"  'theme' => '{value}',\n" if value else "")
        + ");\n",
    )
    # A private key where Debian keeps it.
    key = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    key_path = target / "etc/ssl/private/mail.key"
    if key_path.is_symlink() or key_path.exists():
        key_path.unlink()
    _write(target, "etc/ssl/private/mail.key", key, 0o600)
    body = "".join(line for line in key.splitlines() if not line.startswith("-----"))
    s["private-key"] = body
    # borgmatic: the passphrase inline.
    borg = target / "etc/borgmatic/config.yaml"
    borg.write_text(
        borg.read_text().replace(
            "encryption_passcommand: cat /etc/borgmatic/passphrase", f'encryption_passphrase: "{s["borg-passphrase"]}"'
        )
    )
    # The hashes already in the user database.
    with sqlite3.connect(target / "var/lib/mail/users.sqlite") as db:
        p.hashes = [row[0] for row in db.execute("SELECT password FROM mailbox") if row[0]]
    assert p.hashes, "the lab user database has no password hashes"
    return p
