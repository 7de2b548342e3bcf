<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>dpichat::Connection</name>
    <message>
        <source>Cannot reach the server at %1.</source>
        <translation>Der Server unter %1 ist nicht erreichbar.</translation>
    </message>
    <message>
        <source>The message is too long.</source>
        <translation>Die Nachricht ist zu lang.</translation>
    </message>
    <message>
        <source>The server refused the message as malformed or empty.</source>
        <translation>Der Server hat die Nachricht als fehlerhaft oder leer abgelehnt.</translation>
    </message>
    <message>
        <source>You cannot write in this conversation.</source>
        <translation>Sie können in dieser Unterhaltung nicht schreiben.</translation>
    </message>
    <message>
        <source>This conversation does not exist.</source>
        <translation>Diese Unterhaltung gibt es nicht.</translation>
    </message>
    <message>
        <source>Sending too fast; trying again shortly.</source>
        <translation>Zu schnell gesendet; gleich neuer Versuch.</translation>
    </message>
    <message>
        <source>The server could not store the message (%1).</source>
        <translation>Der Server konnte die Nachricht nicht speichern (%1).</translation>
    </message>
    <message>
        <source>Your session has ended. Please log in again.</source>
        <translation>Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.</translation>
    </message>
    <message>
        <source>Wrong email or password.</source>
        <translation>E-Mail-Adresse oder Passwort ist falsch.</translation>
    </message>
    <message>
        <source>The saved session has expired. Please log in again.</source>
        <translation>Die gespeicherte Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.</translation>
    </message>
    <message>
        <source>The server does not support this version of DPI Chat (protocol %1). Please update the app or the server.</source>
        <translation>Der Server unterstützt diese Version von DPI Chat nicht (Protokoll %1). Bitte aktualisieren Sie die App oder den Server.</translation>
    </message>
    <message>
        <source>The server refused the login: %1</source>
        <translation>Der Server hat die Anmeldung abgelehnt: %1</translation>
    </message>
    <message>
        <source> The CA file %1 could not be read.</source>
        <translation> Die CA-Datei %1 konnte nicht gelesen werden.</translation>
    </message>
    <message>
        <source>The server&apos;s certificate is not trusted (%1). If your organisation uses its own certificate authority, set its file as tls/caFile in the settings.%2</source>
        <translation>Dem Zertifikat des Servers wird nicht vertraut (%1). Wenn Ihre Organisation eine eigene Zertifizierungsstelle verwendet, tragen Sie deren Datei in den Einstellungen als tls/caFile ein.%2</translation>
    </message>
</context>
<context>
    <name>dpichat::Outbox</name>
    <message>
        <source>The message could not be saved on this computer: %1</source>
        <translation>Die Nachricht konnte auf diesem Computer nicht gespeichert werden: %1</translation>
    </message>
</context>
<context>
    <name>dpichat::TokenStore</name>
    <message>
        <source>No keychain service is available on this computer.</source>
        <translation>Auf diesem Computer steht kein Schlüsselbund-Dienst zur Verfügung.</translation>
    </message>
    <message>
        <source>Access to the keychain was denied.</source>
        <translation>Der Zugriff auf den Schlüsselbund wurde verweigert.</translation>
    </message>
    <message>
        <source>No saved session.</source>
        <translation>Keine gespeicherte Sitzung.</translation>
    </message>
    <message>
        <source>The keychain is not available: %1</source>
        <translation>Der Schlüsselbund ist nicht verfügbar: %1</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::AdminWindow</name>
    <message>
        <source>Ctrl+K</source>
        <translation>Ctrl+K</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Last seen %1</source>
        <translation>Zuletzt online %1</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation>%1 · %2 · %3</translation>
    </message>
    <message>
        <source>(%1) Inbox – DPI Chat</source>
        <translation>(%1) Posteingang – DPI Chat</translation>
    </message>
    <message>
        <source>Inbox – DPI Chat</source>
        <translation>Posteingang – DPI Chat</translation>
    </message>
    <message>
        <source>Filter by name or email (Ctrl+K)</source>
        <translation>Nach Name oder E-Mail filtern (Strg+K)</translation>
    </message>
    <message>
        <source>Filter conversations</source>
        <translation>Unterhaltungen filtern</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Unterhaltungen</translation>
    </message>
    <message>
        <source>Choose a conversation on the left.
Ctrl+K filters, Up and Down move, Enter opens.</source>
        <translation>Wählen Sie links eine Unterhaltung.
Strg+K filtert, Pfeil hoch und runter wählen, Eingabe öffnet.</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::AppController</name>
    <message>
        <source>Your session has ended. Please log in again.</source>
        <translation>Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.</translation>
    </message>
    <message>
        <source>The email address or the password is not right. Please check both and try again.</source>
        <translation>E-Mail-Adresse oder Passwort stimmen nicht. Bitte prüfen Sie beides und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>The server at %1 cannot be reached. Check the address and your network connection; the server may also be down.</source>
        <translation>Der Server unter %1 ist nicht erreichbar. Prüfen Sie die Adresse und Ihre Netzwerkverbindung; vielleicht ist auch der Server ausgefallen.</translation>
    </message>
    <message>
        <source>The server does not accept this version of DPI Chat. Please update the app, or ask your administrator which version the server needs.</source>
        <translation>Der Server akzeptiert diese Version von DPI Chat nicht. Bitte aktualisieren Sie die App oder fragen Sie Ihre Administration, welche Version der Server braucht.</translation>
    </message>
    <message>
        <source>Logging in did not work. Please try again.</source>
        <translation>Die Anmeldung hat nicht geklappt. Bitte versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Logging in did not work: %1</source>
        <translation>Die Anmeldung hat nicht geklappt: %1</translation>
    </message>
    <message>
        <source>You have logged out.</source>
        <translation>Sie haben sich abgemeldet.</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ChatView</name>
    <message numerus="yes">
        <source>%n new message(s) ↓</source>
        <translation>
            <numerusform>%n neue Nachricht ↓</numerusform>
            <numerusform>%n neue Nachrichten ↓</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 schreibt …</translation>
    </message>
    <message>
        <source>%1 and %2 are typing…</source>
        <translation>%1 und %2 schreiben …</translation>
    </message>
    <message>
        <source>Several people are typing…</source>
        <translation>Mehrere Personen schreiben …</translation>
    </message>
    <message>
        <source>&amp;Copy text</source>
        <translation>Text &amp;kopieren</translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation>&amp;Erneut senden</translation>
    </message>
    <message>
        <source>&amp;Discard</source>
        <translation>&amp;Verwerfen</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <source>No messages yet.
Write the first one below.</source>
        <translation>Noch keine Nachrichten.
Schreiben Sie unten die erste.</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ChatWindow</name>
    <message>
        <source>&amp;Chat</source>
        <translation>&amp;Chat</translation>
    </message>
    <message>
        <source>&amp;Log out</source>
        <translation>&amp;Abmelden</translation>
    </message>
    <message>
        <source>End this session and forget the login on this computer</source>
        <translation>Diese Sitzung beenden und die Anmeldung auf diesem Computer vergessen</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>&amp;Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Hide message text in notifications</source>
        <translation>Nachrichtentext in Benachrichtigungen &amp;ausblenden</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Composer</name>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message numerus="yes">
        <source>This message is %n character(s) too long.</source>
        <translation>
            <numerusform>Diese Nachricht ist %n Zeichen zu lang.</numerusform>
            <numerusform>Diese Nachricht ist %n Zeichen zu lang.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n character(s) left.</source>
        <translation>
            <numerusform>Noch %n Zeichen.</numerusform>
            <numerusform>Noch %n Zeichen.</numerusform>
        </translation>
    </message>
    <message>
        <source>Write a message… (Enter sends, Shift+Enter for a new line)</source>
        <translation>Nachricht schreiben … (Eingabe sendet, Umschalt+Eingabe für eine neue Zeile)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <source>Send the message (Enter)</source>
        <translation>Nachricht senden (Eingabe)</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::CustomerWindow</name>
    <message>
        <source>Admin team</source>
        <translation>Admin-Team</translation>
    </message>
    <message>
        <source>Support team</source>
        <translation>Support-Team</translation>
    </message>
    <message>
        <source>Someone from the team is online</source>
        <translation>Jemand aus dem Team ist online</translation>
    </message>
    <message>
        <source>Nobody from the team is online right now; we will answer as soon as we are back</source>
        <translation>Gerade ist niemand aus dem Team online; wir antworten, sobald wir zurück sind</translation>
    </message>
    <message>
        <source>(%1) %2 – DPI Chat</source>
        <translation>(%1) %2 – DPI Chat</translation>
    </message>
    <message>
        <source>%1 – DPI Chat</source>
        <translation>%1 – DPI Chat</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::LoginDialog</name>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbindung zu %1 …</translation>
    </message>
    <message>
        <source>You are logged in, but DPI Chat could not remember you on this computer, so you will need to log in again next time.</source>
        <translation>Sie sind angemeldet, aber DPI Chat konnte sich Ihre Anmeldung auf diesem Computer nicht merken. Beim nächsten Start müssen Sie sich erneut anmelden.</translation>
    </message>
    <message>
        <source>The server address must look like ws://host:port/ or wss://host:port/.</source>
        <translation>Die Serveradresse muss die Form ws://host:port/ oder wss://host:port/ haben.</translation>
    </message>
    <message>
        <source>Please enter the email address of your account.</source>
        <translation>Bitte geben Sie die E-Mail-Adresse Ihres Kontos ein.</translation>
    </message>
    <message>
        <source>Please enter your password.</source>
        <translation>Bitte geben Sie Ihr Passwort ein.</translation>
    </message>
    <message>
        <source>Log in – DPI Chat</source>
        <translation>Anmelden – DPI Chat</translation>
    </message>
    <message>
        <source>Log in to DPI Chat</source>
        <translation>Bei DPI Chat anmelden</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>&amp;Server:</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>&amp;E-Mail:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation>sie@example.com</translation>
    </message>
    <message>
        <source>&amp;Remember me on this computer</source>
        <translation>Auf diesem Computer &amp;angemeldet bleiben</translation>
    </message>
    <message>
        <source>Keeps a session token (never your password) in the system keychain.</source>
        <translation>Speichert ein Sitzungstoken (nie Ihr Passwort) im Schlüsselbund des Systems.</translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation>&amp;Weiter</translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation>Anmeldung läuft …</translation>
    </message>
    <message>
        <source>&amp;Log in</source>
        <translation>&amp;Anmelden</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::MessageDelegate</name>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Gestern</translation>
    </message>
    <message>
        <source>Not sent</source>
        <translation>Nicht gesendet</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Erneut senden</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Verwerfen</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Wird gesendet …</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Nicht gesendet: %1</translation>
    </message>
    <message>
        <source>Seen</source>
        <translation>Gesehen</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Notifier</name>
    <message>
        <source>&amp;Open DPI Chat</source>
        <translation>DPI Chat ö&amp;ffnen</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>New message</source>
        <translation>Neue Nachricht</translation>
    </message>
    <message numerus="yes">
        <source>DPI Chat – %n unread message(s)</source>
        <translation>
            <numerusform>DPI Chat – %n ungelesene Nachricht</numerusform>
            <numerusform>DPI Chat – %n ungelesene Nachrichten</numerusform>
        </translation>
    </message>
    <message>
        <source>DPI Chat</source>
        <translation>DPI Chat</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::OfflineBanner</name>
    <message>
        <source>Offline — connecting…</source>
        <translation>Offline – Verbindung wird aufgebaut …</translation>
    </message>
    <message numerus="yes">
        <source>Offline — reconnecting in %n s</source>
        <translation>
            <numerusform>Offline – neuer Verbindungsversuch in %n s</numerusform>
            <numerusform>Offline – neuer Verbindungsversuch in %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Reconnect now</source>
        <translation>Jetzt verbinden</translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ThreadDelegate</name>
    <message>
        <source>Yesterday</source>
        <translation>Gestern</translation>
    </message>
    <message>
        <source>Support</source>
        <translation>Support</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>Mitglied</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Kunde</translation>
    </message>
    <message>
        <source>Online, no messages yet</source>
        <translation>Online, noch keine Nachrichten</translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Noch keine Nachrichten</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>DPI Chat desktop client</source>
        <translation>DPI Chat Desktop-Client</translation>
    </message>
    <message>
        <source>Use language LANG (e.g. de).</source>
        <translation>Sprache LANG verwenden (z. B. de).</translation>
    </message>
    <message>
        <source>Server address (default ws://127.0.0.1:8787/).</source>
        <translation>Serveradresse (Vorgabe ws://127.0.0.1:8787/).</translation>
    </message>
    <message>
        <source>Email address to log in with.</source>
        <translation>E-Mail-Adresse für die Anmeldung.</translation>
    </message>
    <message>
        <source>Read the password from standard input and log in.</source>
        <translation>Passwort von der Standardeingabe lesen und anmelden.</translation>
    </message>
    <message>
        <source>Read the password from environment variable VAR and log in.</source>
        <translation>Passwort aus der Umgebungsvariablen VAR lesen und anmelden.</translation>
    </message>
    <message>
        <source>Keep settings, outbox and drafts apart under NAME (run two users on one machine).</source>
        <translation>Einstellungen, Postausgang und Entwürfe getrennt unter NAME halten (zwei Personen auf einem Rechner).</translation>
    </message>
    <message>
        <source>Use a dark palette.</source>
        <translation>Eine dunkle Farbpalette verwenden.</translation>
    </message>
    <message>
        <source>Use the Fusion style&apos;s light palette.</source>
        <translation>Die helle Farbpalette des Fusion-Stils verwenden.</translation>
    </message>
    <message>
        <source>Save a picture of the first window to FILE, then quit.</source>
        <translation>Ein Bild des ersten Fensters in FILE speichern, dann beenden.</translation>
    </message>
    <message>
        <source>Initial window size, WIDTHxHEIGHT.</source>
        <translation>Anfängliche Fenstergröße, BREITExHÖHE.</translation>
    </message>
    <message>
        <source>No password was given.</source>
        <translation>Es wurde kein Passwort angegeben.</translation>
    </message>
</context>
</TS>
