#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace dpichat::ui {

/// The message editor under a chat: Enter sends, Shift+Enter starts a new line, the text limit
/// is shown near the end and enforced before sending, and typing is reported at most every 2 s.
class Composer : public QWidget {
    Q_OBJECT
public:
    explicit Composer(QWidget *parent = nullptr);

    /// Unicode code points allowed after trimming (PROTOCOL.md `welcome.limits.textChars`).
    void setMaxChars(int maxChars);
    int maxChars() const { return m_maxChars; }

    QString text() const;
    /// Replaces the text without reporting typing (used to restore a draft).
    void setText(const QString &text);
    void clear();

    bool canSend() const;
    QPlainTextEdit *editor() const { return m_edit; }
    QLabel *counterLabel() const { return m_counter; }
    QPushButton *sendButton() const { return m_send; }

    /// How often a still-typing user is reported again, and when a pause counts as stopped.
    static constexpr int kTypingIntervalMs = 2000;
    static constexpr int kTypingIdleMs = 4000;
    /// The counter appears when this many code points are left.
    static constexpr int kCounterMargin = 500;

public Q_SLOTS:
    /// Sends the trimmed text if it is within the limits; the editor is then cleared.
    void submit();

Q_SIGNALS:
    void sendRequested(const QString &text);
    /// `true` at most every kTypingIntervalMs while the user types, `false` once they stop.
    void typingChanged(bool active);
    /// The text changed by the user (for drafts).
    void textEdited(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void onTextChanged();
    void updateState();
    void stopTyping();
    void retranslate();

    QPlainTextEdit *m_edit = nullptr;
    QLabel *m_counter = nullptr;
    QPushButton *m_send = nullptr;
    QTimer m_idle;
    QElapsedTimer m_sinceTyping;
    int m_maxChars;
    bool m_typing = false;
    bool m_programmatic = false;
};

} // namespace dpichat::ui
