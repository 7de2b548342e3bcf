<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>dpichat::ui::ChatView</name>
    <message numerus="yes">
        <source>%n new message(s) ↓</source>
        <translation><numerusform>%n new message ↓</numerusform><numerusform>%n new messages ↓</numerusform></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Composer</name>
    <message numerus="yes">
        <source>This message is %n character(s) too long.</source>
        <translation><numerusform>This message is %n character too long.</numerusform><numerusform>This message is %n characters too long.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n character(s) left.</source>
        <translation><numerusform>%n character left.</numerusform><numerusform>%n characters left.</numerusform></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::Notifier</name>
    <message numerus="yes">
        <source>DPI Chat – %n unread message(s)</source>
        <translation><numerusform>DPI Chat – %n unread message</numerusform><numerusform>DPI Chat – %n unread messages</numerusform></translation>
    </message>
</context>
<context>
    <name>dpichat::ui::OfflineBanner</name>
    <message numerus="yes">
        <source>Offline — reconnecting in %n s</source>
        <translation><numerusform>Offline — reconnecting in %n s</numerusform><numerusform>Offline — reconnecting in %n s</numerusform></translation>
    </message>
</context>
</TS>