"""/etc of the host roots besides Postfix/Dovecot: logging, web, webmail, backups, SQL maps.

Modelled on Debian 12 defaults (drifted) and on the same host after it was brought in
line with the privacy statement (compliant). Values that matter for the audit are
commented in the files themselves, as an admin would.
"""

from __future__ import annotations

# Planted secrets: present in both roots so leak tests have something to find; no
# report, log line or evidence bundle of the auditor may ever contain them.
DB_PASSWORD = "S3cr3t-planted-DB"
DES_KEY = "rC7-planted-DES-key-0042"  # Roundcube wants exactly 24 characters

LOGROTATE_CONF = """# See "man logrotate" for the directives; global options below apply to every
# block read after them, including the files in /etc/logrotate.d.

# rotate log files once a week
weekly

# keep four rotated files
rotate 4

# start a new, empty log file right after rotating the old one
create

# name rotated files by date instead of by number
#dateext

# compress rotated files
#compress

# packages put their rotation rules into this directory
include /etc/logrotate.d

# rules for system logs no package owns could follow here
"""

_RSYSLOG_FILES = (
    "/var/log/syslog",
    "/var/log/mail.log",
    "/var/log/mail.err",
    "/var/log/kern.log",
    "/var/log/auth.log",
    "/var/log/user.log",
    "/var/log/cron.log",
)


def logrotate_rsyslog(compliant: bool) -> str:
    head = (
        (
            "# Mail and system logs are kept seven days at most: today's file plus six\n"
            '# rotated ones (privacy statement, section "Verbindungsdaten").\n'
        )
        if compliant
        else ""
    )
    period = "\tdaily\n\trotate 6\n\tdateext\n" if compliant else "\trotate 4\n\tweekly\n"
    return (
        head
        + "\n".join(_RSYSLOG_FILES)
        + "\n{\n"
        + period
        + "\tmissingok\n\tnotifempty\n\tcompress\n\tdelaycompress\n\tsharedscripts\n"
        "\tpostrotate\n\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n"
    )


def logrotate_nginx(compliant: bool) -> str:
    keep = "\trotate 6\n" if compliant else "\trotate 14\n"
    return (
        "/var/log/nginx/*.log {\n\tdaily\n\tmissingok\n"
        + keep
        + "\tcompress\n\tdelaycompress\n\tnotifempty\n\tcreate 0640 www-data adm\n\tsharedscripts\n"
        "\tprerotate\n\t\tif [ -d /etc/logrotate.d/httpd-prerotate ]; then \\\n"
        "\t\t\trun-parts /etc/logrotate.d/httpd-prerotate; \\\n\t\tfi \\\n\tendscript\n"
        "\tpostrotate\n\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n\tendscript\n}\n"
    )


LOGROTATE_ROUNDCUBE = """# Roundcube's own logs (errors.log; userlogins.log is switched off): seven days.
/var/log/roundcube/*.log {
\tdaily
\trotate 6
\tmissingok
\tnotifempty
\tcompress
\tdelaycompress
\tcreate 0640 www-data adm
}
"""


def rsyslog_conf(compliant: bool) -> str:
    template = (
        (
            "# Debian 13 default: RFC 3339 timestamps with microseconds (RSYSLOG_FileFormat).\n"
            "#$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat\n"
        )
        if compliant
        else (
            "# Classic syslog timestamps (no year, second precision).\n"
            "$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat\n"
        )
    )
    syslog_sel = "*.*;mail.none;auth,authpriv.none" if compliant else "*.*;auth,authpriv.none"
    return f"""# /etc/rsyslog.conf: local logging for {"compliant" if compliant else "drifted"} mx1.good.lab.test.
# See rsyslog.conf(5) and /usr/share/doc/rsyslog-doc for the syntax.

#################
#### MODULES ####
#################

module(load="imuxsock") # messages from local programs (/dev/log, journald forwarding)
module(load="imklog")   # kernel messages
#module(load="immark")  # periodic --MARK-- lines

###########################
#### GLOBAL DIRECTIVES ####
###########################

{template}
# Ownership and modes of new log files.
$FileOwner root
$FileGroup adm
$FileCreateMode 0640
$DirCreateMode 0755
$Umask 0022

$WorkDirectory /var/spool/rsyslog

# Drop-in files.
$IncludeConfig /etc/rsyslog.d/*.conf

###############
#### RULES ####
###############

# One file per facility; "-" means no sync after each line.
auth,authpriv.*\t\t\t/var/log/auth.log
{syslog_sel}\t\t-/var/log/syslog
#cron.*\t\t\t\t/var/log/cron.log
kern.*\t\t\t\t-/var/log/kern.log
mail.*\t\t\t\t-/var/log/mail.log
mail.err\t\t\t/var/log/mail.err
user.*\t\t\t\t-/var/log/user.log

# Emergencies go to every logged-in user.
*.emerg\t\t\t\t:omusrmsg:*
"""


RSYSLOG_POSTFIX = """# Added by the postfix package: a log socket inside Postfix's chroot.
$AddUnixListenSocket /var/spool/postfix/dev/log
"""

JOURNALD_CONF = """#  /etc/systemd/journald.conf (systemd 252)
#
#  The commented values are the built-in defaults. Change settings with drop-in
#  files in /etc/systemd/journald.conf.d/ rather than editing this file.
#  See journald.conf(5) for the meaning of each option.

[Journal]
#Storage=auto
#Compress=yes
#Seal=yes
#SplitMode=uid
#SyncIntervalSec=5m
#RateLimitIntervalSec=30s
#RateLimitBurst=10000
#SystemMaxUse=
#SystemKeepFree=
#SystemMaxFileSize=
#SystemMaxFiles=100
#RuntimeMaxUse=
#RuntimeKeepFree=
#RuntimeMaxFileSize=
#RuntimeMaxFiles=100
#MaxRetentionSec=
#MaxFileSec=1month
#ForwardToSyslog=yes
#ForwardToKMsg=no
#ForwardToConsole=no
#ForwardToWall=yes
#MaxLevelStore=debug
#MaxLevelSyslog=debug
#Audit=no
"""

JOURNALD_RETENTION = """# Keep journal entries no longer than the mail logs (seven days). One file per day,
# so a file is dropped as soon as its newest entry is older than that.
[Journal]
MaxRetentionSec=7day
MaxFileSec=1day
"""


def nginx_conf(compliant: bool) -> str:
    fmt = (
        (
            "\t# Privacy: no user agent and no referer in the access log.\n"
            "\tlog_format noagent '$remote_addr - $remote_user [$time_local] \"$request\" '\n"
            "\t                   '$status $body_bytes_sent';\n"
            "\taccess_log /var/log/nginx/access.log noagent;\n"
        )
        if compliant
        else "\taccess_log /var/log/nginx/access.log;\n"
    )
    return f"""user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
include /etc/nginx/modules-enabled/*.conf;

events {{
\tworker_connections 768;
}}

http {{
\t# Basic settings
\tsendfile on;
\ttcp_nopush on;
\ttypes_hash_max_size 2048;
\tserver_tokens off;
\tinclude /etc/nginx/mime.types;
\tdefault_type application/octet-stream;

\t# TLS
\tssl_protocols TLSv1.2 TLSv1.3;
\tssl_prefer_server_ciphers on;

\t# Logging
{fmt}
\tgzip on;

\t# Virtual hosts
\tinclude /etc/nginx/conf.d/*.conf;
\tinclude /etc/nginx/sites-enabled/*;
}}
"""


def nginx_site(compliant: bool) -> str:
    log = "noagent" if compliant else "combined"
    return f"""# Roundcube webmail for good.lab.test (PHP-FPM from Debian's php8.2-fpm).
server {{
\tlisten 80;
\tlisten [::]:80;
\tserver_name webmail.good.lab.test;
\treturn 301 https://$host$request_uri;
}}

server {{
\tlisten 443 ssl http2;
\tlisten [::]:443 ssl http2;
\tserver_name webmail.good.lab.test;

\tssl_certificate /etc/ssl/certs/webmail.good.lab.test.pem;
\tssl_certificate_key /etc/ssl/private/webmail.key;
\tadd_header Strict-Transport-Security "max-age=31536000" always;

\taccess_log /var/log/nginx/access.log {log};
\terror_log /var/log/nginx/error.log;

\troot /var/lib/roundcube/public_html;
\tindex index.php;

\tlocation / {{
\t\ttry_files $uri $uri/ /index.php$is_args$args;
\t}}
\tlocation ~ ^/(config|temp|logs)/ {{
\t\tdeny all;
\t}}
\tlocation ~ \\.php$ {{
\t\tinclude snippets/fastcgi-php.conf;
\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;
\t}}
}}
"""


# Files nginx.conf and the site include, so a reader following includes finds them.
NGINX_MIME_TYPES = """# MIME types by file extension (excerpt of the packaged list).
types {
    text/html                 html htm shtml;
    text/css                  css;
    text/plain                txt;
    text/xml                  xml;
    image/gif                 gif;
    image/jpeg                jpeg jpg;
    image/png                 png;
    image/svg+xml             svg svgz;
    image/webp                webp;
    image/x-icon              ico;
    application/javascript    js;
    application/json          json;
    application/pdf           pdf;
    application/zip           zip;
    font/woff                 woff;
    font/woff2                woff2;
}
"""

NGINX_FASTCGI_PHP = """# Hand .php requests to PHP-FPM: split the script from the path info and refuse
# scripts that do not exist (no arbitrary file executed as PHP).
fastcgi_split_path_info ^(.+?\\.php)(/.*)$;
try_files $fastcgi_script_name =404;
# try_files clears $fastcgi_path_info, so keep a copy
set $path_info $fastcgi_path_info;
fastcgi_param PATH_INFO $path_info;
fastcgi_index index.php;
include fastcgi.conf;
"""

NGINX_FASTCGI_CONF = "".join(
    f"fastcgi_param {name:<18} {value};\n"
    for name, value in (
        ("SCRIPT_FILENAME", "$document_root$fastcgi_script_name"),
        ("QUERY_STRING", "$query_string"),
        ("REQUEST_METHOD", "$request_method"),
        ("CONTENT_TYPE", "$content_type"),
        ("CONTENT_LENGTH", "$content_length"),
        ("SCRIPT_NAME", "$fastcgi_script_name"),
        ("REQUEST_URI", "$request_uri"),
        ("DOCUMENT_URI", "$document_uri"),
        ("DOCUMENT_ROOT", "$document_root"),
        ("SERVER_PROTOCOL", "$server_protocol"),
        ("REQUEST_SCHEME", "$scheme"),
        ("HTTPS", "$https if_not_empty"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", "nginx/$nginx_version"),
        ("REMOTE_ADDR", "$remote_addr"),
        ("REMOTE_PORT", "$remote_port"),
        ("SERVER_ADDR", "$server_addr"),
        ("SERVER_PORT", "$server_port"),
        ("SERVER_NAME", "$server_name"),
        ("REDIRECT_STATUS", "200"),
    )
)


def roundcube_config(compliant: bool) -> str:
    logs = (
        (
            "$config['log_logins'] = false;  // no per-login IP log: the statement promises seven days\n"
            "$config['smtp_log'] = false;\n"
        )
        if compliant
        else "$config['log_logins'] = true;\n"
    )
    return f"""<?php
/* Local configuration for Roundcube Webmail on mx1.good.lab.test.
 * Everything not set here comes from defaults.inc.php. */

$config = [];

// Roundcube's own data (preferences, contacts) in SQLite via dbconfig-common.
$config['db_dsnw'] = 'sqlite:////var/lib/dbconfig-common/sqlite3/roundcube/roundcube?mode=0640';

$config['imap_host'] = ['ssl://mx1.good.lab.test:993'];
$config['smtp_host'] = 'tls://mx1.good.lab.test:587';
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';
$config['support_url'] = 'https://good.lab.test/hilfe';
$config['product_name'] = 'Lab-Mail Webmail';

// Key for the IMAP password stored in the session (24 characters).
$config['des_key'] = '{DES_KEY}';

$config['plugins'] = ['archive', 'zipdownload', 'managesieve', 'password'];
$config['skin'] = 'elastic';
$config['language'] = 'de_DE';

// Logging
$config['log_driver'] = 'file';
$config['log_dir'] = '/var/log/roundcube/';
{logs}"""


ROUNDCUBE_DEFAULTS = """<?php
/*
 * Roundcube default settings (excerpt: logging). Do not edit; override any of
 * them in config.inc.php, which is read after this file.
 */

$config = [];

// log driver: 'syslog', 'stdout' or 'file'
$config['log_driver'] = 'file';

// PHP date() format of the timestamp in front of each line
$config['log_date_format'] = 'd-M-Y H:i:s O';

// number of characters of the session ID logged on each line (0: none)
$config['log_session_id'] = 8;

// directory of the log files when log_driver is 'file'
$config['log_dir'] = RCUBE_INSTALL_PATH . 'logs/';

// ident and facility when log_driver is 'syslog'
$config['syslog_id'] = 'roundcube';
$config['syslog_facility'] = LOG_USER;

// record every successful and failed login (user, client IP) in userlogins.log
$config['log_logins'] = false;

// record session authentication errors in session.log
$config['log_session'] = false;

// record sent messages (sender, client IP, recipients) in sendmail.log
$config['smtp_log'] = true;

// per-user logs under log_dir/<username>/ when that directory exists
$config['per_user_logging'] = false;
"""


def borgmatic(compliant: bool) -> str:
    keep = (
        (
            "# Deleted mail must be gone from the backup a day later (privacy statement):\n"
            "# keep only the latest daily archive.\nkeep_daily: 1\n"
        )
        if compliant
        else "keep_daily: 7\nkeep_weekly: 4\nkeep_monthly: 6\n"
    )
    return f"""# borgmatic configuration (1.8 format): nightly backup of the mailboxes, the user
# database and /etc to the second server backup2.good.lab.test.
source_directories:
    - /etc
    - /var/vmail

repositories:
    - path: ssh://borg@backup2.good.lab.test/./mx1
      label: backup2

exclude_patterns:
    - /var/vmail/*/*/.Junk

one_file_system: true
compression: zstd,6
encryption_passcommand: cat /etc/borgmatic/passphrase
archive_name_format: 'mx1-{{now:%Y-%m-%dT%H:%M}}'

sqlite_databases:
    - name: users
      path: /var/lib/mail/users.sqlite

{keep}
checks:
    - name: repository
      frequency: 2 weeks
    - name: archives
      frequency: 1 month
"""


BORGMATIC_CRON = """# Nightly backup, prune and compact (borgmatic's default actions).
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
15 3 * * * root borgmatic --verbosity -1 --syslog-verbosity 1
"""

POSTFIX_SQL = {
    "sqlite-virtual-domains-maps.cf": "SELECT domain FROM domain WHERE domain='%s' AND backupmx = 0 AND active = 1",
    "sqlite-virtual-mailbox-maps.cf": "SELECT maildir FROM mailbox WHERE username='%s' AND active = 1",
    "sqlite-virtual-alias-maps.cf": "SELECT goto FROM alias WHERE address='%s' AND active = 1",
}

MYSQL_LEFTOVER = f"""# Left over from the MariaDB setup before the move to SQLite; main.cf no longer
# refers to this file.
user = postfix
password = {DB_PASSWORD}
hosts = 127.0.0.1
dbname = postfixadmin
query = SELECT maildir FROM mailbox WHERE username='%s' AND active = '1'
"""  # noqa: S608


def etc_files(compliant: bool) -> dict[str, str]:
    files = {
        "etc/hostname": "mx1\n",
        "etc/mailname": "mx1.good.lab.test\n",
        "etc/logrotate.conf": LOGROTATE_CONF,
        "etc/logrotate.d/rsyslog": logrotate_rsyslog(compliant),
        "etc/logrotate.d/nginx": logrotate_nginx(compliant),
        "etc/rsyslog.conf": rsyslog_conf(compliant),
        "etc/rsyslog.d/postfix.conf": RSYSLOG_POSTFIX,
        "etc/systemd/journald.conf": JOURNALD_CONF,
        "etc/nginx/nginx.conf": nginx_conf(compliant),
        "etc/nginx/sites-available/webmail": nginx_site(compliant),
        "etc/nginx/mime.types": NGINX_MIME_TYPES,
        "etc/nginx/snippets/fastcgi-php.conf": NGINX_FASTCGI_PHP,
        "etc/nginx/fastcgi.conf": NGINX_FASTCGI_CONF,
        "etc/roundcube/config.inc.php": roundcube_config(compliant),
        "etc/roundcube/defaults.inc.php": ROUNDCUBE_DEFAULTS,
        "etc/borgmatic/config.yaml": borgmatic(compliant),
        "etc/cron.d/borgmatic": BORGMATIC_CRON,
        "etc/postfix/sql/mysql-virtual-mailbox-maps.cf": MYSQL_LEFTOVER,
    }
    for name, query in POSTFIX_SQL.items():
        files[f"etc/postfix/sql/{name}"] = (
            f"# sqlite_table(5) lookup in the user database\ndbpath = /var/lib/mail/users.sqlite\nquery = {query}\n"
        )
    if compliant:
        files["etc/systemd/journald.conf.d/60-retention.conf"] = JOURNALD_RETENTION
        files["etc/logrotate.d/roundcube-core"] = LOGROTATE_ROUNDCUBE
    return files
