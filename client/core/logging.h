#pragma once

#include <QLoggingCategory>

// Log events (connects, retries, counts, ids), never message text, passwords or tokens.
Q_DECLARE_LOGGING_CATEGORY(lcClientNet)   // dpichat.client.net
Q_DECLARE_LOGGING_CATEGORY(lcClientStore) // dpichat.client.store
