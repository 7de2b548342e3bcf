<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>dpichat::Connection</name>
    <message>
        <source>Cannot reach the server at %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message is too long.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused the message as malformed or empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You cannot write in this conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This conversation does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sending too fast; trying again shortly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server could not store the message (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your session has ended. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong email or password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The saved session has expired. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server does not support this version of DPI Chat (protocol %1). Please update the app or the server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused the login: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::Outbox</name>
    <message>
        <source>The message could not be saved on this computer: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::TokenStore</name>
    <message>
        <source>No keychain service is available on this computer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Access to the keychain was denied.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keychain reported an error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No saved session.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::AdminWindow</name>
    <message>
        <source>Ctrl+K</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last seen %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(%1) Inbox – DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inbox – DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by name or email (Ctrl+K)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a conversation on the left.
Ctrl+K filters, Up and Down move, Enter opens.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::AppController</name>
    <message>
        <source>Your session has ended. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The email address or the password is not right. Please check both and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server at %1 cannot be reached. Check the address and your network connection; the server may also be down.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server does not accept this version of DPI Chat. Please update the app, or ask your administrator which version the server needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logging in did not work. Please try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logging in did not work: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You have logged out.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ChatView</name>
    <message numerus="yes">
        <source>%n new message(s) ↓</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 and %2 are typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Several people are typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Discard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No messages yet.
Write the first one below.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ChatWindow</name>
    <message>
        <source>&amp;Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Log out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End this session and forget the login on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Hide message text in notifications</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Composer</name>
    <message>
        <source>%1 / %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>This message is %n character(s) too long.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n character(s) left.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Write a message… (Enter sends, Shift+Enter for a new line)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send the message (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::CustomerWindow</name>
    <message>
        <source>Admin team</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Support team</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Someone from the team is online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody from the team is online right now; we will answer as soon as we are back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(%1) %2 – DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 – DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::LoginDialog</name>
    <message>
        <source>Connecting to %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are logged in, but DPI Chat could not remember you on this computer, so you will need to log in again next time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server address must look like ws://host:port/ or wss://host:port/.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please enter the email address of your account.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please enter your password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in – DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in to DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remember me on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keeps a session token (never your password) in the system keychain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Log in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::MessageDelegate</name>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sent</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Notifier</name>
    <message>
        <source>&amp;Open DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New message</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>DPI Chat – %n unread message(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>DPI Chat</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::OfflineBanner</name>
    <message>
        <source>Offline — connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Offline — reconnecting in %n s</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnect now</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::ThreadDelegate</name>
    <message>
        <source>Yesterday</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Support</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Member</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Online, no messages yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>DPI Chat desktop client</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use language LANG (e.g. de).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server address (default ws://127.0.0.1:8787/).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email address to log in with.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the password from standard input and log in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the password from environment variable VAR and log in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep settings, outbox and drafts apart under NAME (run two users on one machine).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use a dark palette.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use the Fusion style&apos;s light palette.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save a picture of the first window to FILE, then quit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Initial window size, WIDTHxHEIGHT.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No password was given.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
