"""Paraphrases of both seed statements: other wording, number words, other language.

Each must yield exactly the claims of its seed (``expected.py``).
"""

JULI_DE = """\
Datenschutzhinweise für JuLi-Mail

Wir nehmen den Schutz Deiner Daten ernst. Wir beachten die Maßnahmen nach § 9 BDSG a.F. samt Anlage und wahren \
das Fernmeldegeheimnis gemäß § 88 TKG. Deine Daten geben wir grundsätzlich nicht an Dritte weiter.

Für jedes Postfach speichern wir in unserer Datenbank die folgenden Bestandsdaten:
den Namen, die E-Mail-Adresse, ggf. Weiterleitungen, ggf. eine alternative E-Mail-Adresse zur \
Passwort-Wiederherstellung, den Hash des Passworts im Verfahren SHA512-CRYPT sowie das Erstellungsdatum.

Metadaten aller ein- und ausgehenden E-Mails halten wir sieben Tage lang in Logdateien vor. Darin enthalten sind: \
die IP-Adresse des einliefernden Servers, die Absenderadresse, die Empfängeradresse und der Zeitpunkt der Zustellung.

Deine E-Mails und die in der Owncloud gespeicherten Dateien liegen auf einem Server in Deutschland. Die \
Datensicherungen liegen auf einem separaten Server in unserer Hand. Gelöschte Mails entfernen wir einen Tag \
später auch aus der Datensicherung.

Roundcube (Webmail) und Owncloud schreiben für sieben Tage folgende Angaben in ihre Protokolle: die IP-Adresse, \
die aufgerufene URL und den User-Agent des Browsers.

Beim Senden und Abrufen von Mails mit Deinem Mailprogramm oder über Roundcube erzwingen wir eine starke \
Verschlüsselung.
"""

JULI_EN = """\
Privacy notice of JuLi-Mail

We follow the technical and organisational measures of § 9 BDSG and its annex and guarantee telecommunications \
secrecy under § 88 TKG. We do not pass your data on to third parties.

The following account data is stored in our database for your mailbox:
your name, your e-mail address, forwarding addresses where set, an alternative e-mail address for password \
recovery, the SHA512-CRYPT hash of your password and the account creation date.

Metadata of the e-mails you send and receive is kept in log files for one week. These contain: the IP address of \
the delivering server, the sender address, the recipient address and the time of delivery.

Your mails and the files stored in Owncloud are kept on a server in Germany that we control ourselves. Backups of \
the mailboxes and of Owncloud are kept on a separate server of our own. Deleted mails are removed from the backup \
one day later.

The webmail (Roundcube) and Owncloud keep the IP address, the requested URL and the user agent in their log files \
for seven days.

Whether you send and receive mail with a program on your computer or phone or through Roundcube, we enforce strong \
encryption.
"""

MAILGUN_DE = """\
DSGVO bei Mailgun

Welche Rolle hat Mailgun?

Wir handeln ausschließlich als Auftragsverarbeiter. Laut Artikel 28 der DSGVO schließen wir dazu einen \
Auftragsverarbeitungsvertrag.

Nachrichteninhalte

Die Nachrichteninhalte eingehender und ausgehender E-Mails bewahren wir höchstens sieben Tage auf.

Metadaten der Nachrichten

Zu jeder Nachricht speichern wir dreißig Tage lang Metadaten der Nachricht: Absender, Empfänger, Betreff, die \
IP-Adresse des Absenders und weitere Routing-Daten.

Unterdrückungen

Eine Unterdrückungsliste besteht aus E-Mail-Adressen, die nach Bounces oder Beschwerden gespeichert werden. \
Unterdrückungen bewahren wir auf, bis Sie sie löschen. Nach dem Löschen können sie noch bis zu dreißig Tage in \
einer Datensicherung verbleiben.

Empfängerdaten

Daten zur Empfängeraktivität speichern wir nur gehasht (pseudonymisiert) zusammen mit der E-Mail-Adresse.

Rechte der Betroffenen

Erreicht uns eine Anfrage einer betroffenen Person, leiten wir sie innerhalb von sieben Tagen an den Kunden weiter.

Übermittlungen

Für Übermittlungen haben wir mit allen Unterauftragsverarbeitern die Standardvertragsklauseln der EU abgeschlossen.
"""

MAILGUN_EN = """\
GDPR at Mailgun

Is Mailgun a controller or a processor?

Mailgun acts as a processor. Our data processing agreement meets the requirements of Art. 28 GDPR.

Message bodies

Mailgun keeps message bodies for at most seven days, for incoming and outgoing messages.

Message metadata

Message metadata, which includes the sender, the recipients, the subject line, the sender's IP address and other \
routing data, is catalogued and stored for thirty days.

Suppressions

Suppressions are e-mail addresses that are stored because of a hard bounce, a spam complaint or an unsubscribe. We \
keep suppressions until you remove them or your account is deleted. They may be kept in a backup for disaster \
recovery for up to 30 days after removal.

Recipient data

Mailgun stores recipient activity linked to e-mail addresses in a hashed (pseudonymised) form.

Data subject requests

If a data subject sends a request directly to us, we ask the customer concerned within seven days to respond to it.

Transfers

We have agreed the EU standard contractual clauses with all our suppliers so that all data transfers are lawful.
"""
