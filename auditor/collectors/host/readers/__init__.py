"""One small module per configuration format; each returns a frozen result with ``errors``.

postfix (main.cf/master.cf), dovecot, sqlconf (Dovecot/Postfix SQL lookups), logrotate,
rsyslog, journald, weblogs (nginx/Apache), webapps (Roundcube, Nextcloud/ownCloud),
backups (borgmatic, restic, borg, rsnapshot); php_literal is the shared PHP literal reader.
"""
