#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace dpichat {

class Connection;

/// Typing indicators both ways: throttles the local user's `typing` frames (one `true`
/// at most every 2 s, `false` once when they stop or go idle) and expires the others'
/// indicators when no refresh arrives.
class TypingTracker : public QObject
{
    Q_OBJECT

public:
    explicit TypingTracker(Connection *connection, QObject *parent = nullptr);

    void setTyping(qint64 thread, bool active);
    void onTypingPush(qint64 thread, qint64 user, const QString &name, bool active);
    /// A message from the user ends their indicator at once.
    void clearUser(qint64 thread, qint64 user);
    /// Forgets every indicator (the connection was lost).
    void clear();
    QStringList typingUsers(qint64 thread) const;

    static constexpr int kSendIntervalMs = 2'000;
    static constexpr int kIdleStopMs = 5'000;   ///< Local: no keystroke for this long = stopped.
    static constexpr int kExpiryMs = 6'000;     ///< Remote: no refresh for this long = stopped.

Q_SIGNALS:
    void typingChanged(qint64 thread);

private:
    struct Remote
    {
        QString name;
        QElapsedTimer since;
    };
    struct Local
    {
        QElapsedTimer lastSent;     ///< Last `true` sent.
        QElapsedTimer lastActivity; ///< Last setTyping(true).
    };

    void onTick();
    void updateTicker();

    Connection *m_connection;
    QHash<qint64, Local> m_local;                  ///< Threads with a `true` outstanding.
    QHash<qint64, QHash<qint64, Remote>> m_remote; ///< thread -> user -> indicator
    QTimer m_ticker;
};

} // namespace dpichat
