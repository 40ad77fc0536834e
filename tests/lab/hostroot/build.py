#!/usr/bin/env python3
"""Build the lab's host-root snapshots: run/hostroot/drifted/ and run/hostroot/compliant/.

Both are the same Debian mail host, mx1.good.lab.test, read by ``auditor --host-root``:

  drifted/    configuration drifted away from the privacy statement (tests/lab/statement/):
              weekly logrotate keeping 4 (mail logs 33 days old on disk), mail also in
              syslog, journald unbounded, nginx ``combined`` log kept 14 days, Roundcube
              login log never rotated (60 days), 2 of 6 hashes MD5-CRYPT, a phone column,
              borg keeping 6 monthly archives, the weak lab instance's Postfix/Dovecot,
              and etc/ssl/private/mail.key a symlink out of the root (/etc/shadow).
  compliant/  the same host after fixing all of it (at most 7 days everywhere, SHA512-CRYPT
              only, enforced TLS from the clean lab instance, borg keep_daily 1).

Standard library only. Deterministic except for dates, which are relative to the build
time; the roots are rebuilt when older than REBUILD_AFTER, when this builder or the lab's
mail configs change, or with --force. Build into a temporary directory, then swap.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the builder in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

import etcfiles  # noqa: E402
import logs  # noqa: E402
import mailconf  # noqa: E402
import userdb  # noqa: E402

VARIANTS = {"drifted": "weak", "compliant": "clean"}  # host root -> lab mail instance it copies
REBUILD_AFTER = timedelta(hours=6)  # ages are asserted to +-1 day; keep them fresh
ESCAPING_LINK = ("etc/ssl/private/mail.key", "/etc/shadow")  # drifted only: must never be followed
STAMP = ".stamp.json"


def write(root: Path, rel: str, text: str, mode: int = 0o644) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def build_root(root: Path, variant: str, sources: dict[str, str], now: datetime) -> None:
    compliant = variant == "compliant"
    write(root, "etc/postfix/main.cf", mailconf.postfix_main(sources["main.cf"], variant))
    write(root, "etc/postfix/master.cf", mailconf.postfix_master(sources["master.cf"], variant))
    for rel, text in mailconf.dovecot_files(sources["dovecot.conf"], variant).items():
        write(root, rel, text, 0o640 if rel.endswith("dovecot-sql.conf.ext") else 0o644)
    for rel, text in etcfiles.etc_files(compliant).items():
        secret = rel.startswith("etc/postfix/sql/") or rel == "etc/roundcube/config.inc.php"
        write(root, rel, text, 0o640 if secret else 0o644)
    (root / "etc/nginx/sites-enabled").mkdir(parents=True, exist_ok=True)
    (root / "etc/nginx/sites-enabled/webmail").symlink_to("../sites-available/webmail")  # in-root, relative
    write(root, "etc/timezone", "Etc/UTC\n")
    (root / "etc/localtime").symlink_to("/usr/share/zoneinfo/Etc/UTC")  # as on Debian: absolute, outside
    private = root / "etc/ssl/private"
    private.mkdir(parents=True, exist_ok=True)
    private.chmod(0o710)
    if not compliant:
        (root / ESCAPING_LINK[0]).symlink_to(ESCAPING_LINK[1])
    db = root / "var/lib/mail/users.sqlite"
    userdb.build_userdb(db, now, compliant)
    db.chmod(0o640)
    (root / "var/log/journal").mkdir(parents=True, exist_ok=True)  # persistent journal (Storage=auto)
    (root / "var/vmail/good.lab.test").mkdir(parents=True, exist_ok=True)
    if compliant:
        logs.syslog_files(root, now, timedelta(days=6), 1, 6, dateext=True, weak=False)
        logs.nginx_files(root, now, timedelta(days=6), 6, with_agent=False)
    else:
        logs.syslog_files(root, now, timedelta(days=33), 7, 4, dateext=False, weak=True)
        logs.nginx_files(root, now, timedelta(days=14), 14, with_agent=True)
    logs.roundcube_files(root, now, drifted=not compliant)


def fingerprint(sources: dict[str, dict[str, str]]) -> str:
    digest = hashlib.sha256()
    for py in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(py.name.encode() + b"\0" + py.read_bytes())
    digest.update(json.dumps(sources, sort_keys=True).encode())
    return digest.hexdigest()


def fresh(out: Path, digest: str) -> bool:
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    age = time.time() - float(stamp.get("built_at", 0))
    return (
        stamp.get("fingerprint") == digest
        and 0 <= age < REBUILD_AFTER.total_seconds()
        and all((out / v / "etc").is_dir() for v in VARIANTS)
    )


def publish(lab_run: Path, out: Path, lab_dir: Path) -> None:
    """run/lab.d/hostroot.json, merged into lab.json by up.sh."""
    info = {
        "hostroot": {
            "drifted": str(out / "drifted"),
            "compliant": str(out / "compliant"),
            "statement_de": str(lab_dir / "statement" / "datenschutz.md"),
            "statement_en": str(lab_dir / "statement" / "privacy.md"),
            "planted_secrets": [etcfiles.DB_PASSWORD, etcfiles.DES_KEY],
            "escaping_symlink": {"path": ESCAPING_LINK[0], "target": ESCAPING_LINK[1], "root": "drifted"},
            "stamp": str(out / STAMP),
        }
    }
    target = lab_run / "lab.d" / "hostroot.json"
    text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lab-dir", type=Path, default=here.parent, help="tests/lab")
    parser.add_argument("--lab-run", type=Path, default=None, help="run directory (default: LAB_RUN or LAB_DIR/run)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: LAB_RUN/hostroot)")
    parser.add_argument("--force", action="store_true", help="rebuild even when fresh")
    args = parser.parse_args(argv)
    lab_dir = args.lab_dir.resolve()
    lab_run = (args.lab_run or Path(os.environ.get("LAB_RUN", lab_dir / "run"))).resolve()
    out = (args.out or lab_run / "hostroot").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sources = {v: mailconf.lab_sources(lab_dir, lab_run, host) for v, host in VARIANTS.items()}
        digest = fingerprint(sources)
        if args.force or not fresh(out, digest):
            now = datetime.now(logs.HOST_TZ)
            tmp = out / f".build-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                for variant in VARIANTS:
                    build_root(tmp / variant, variant, sources[variant], now)
                for variant in VARIANTS:
                    old = out / f".old-{os.getpid()}-{variant}"
                    if (out / variant).exists():
                        (out / variant).rename(old)
                    (tmp / variant).rename(out / variant)
                    shutil.rmtree(old, ignore_errors=True)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            used = "rendered" if (lab_run / "mail" / "weak" / "postfix" / "main.cf").is_file() else "templates"
            stamp = {"built_at": now.timestamp(), "now": now.isoformat(), "fingerprint": digest, "mail_configs": used}
            (out / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
            print(f"hostroot: built {', '.join(VARIANTS)} in {out} (mail configs: {used})", file=sys.stderr)
        publish(lab_run, out, lab_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
