#include "logging.h"

Q_LOGGING_CATEGORY(lcNet, "dpichat.server.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStore, "dpichat.server.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "dpichat.server.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRouter, "dpichat.server.router", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMetrics, "dpichat.server.metrics", QtInfoMsg)
