#pragma once

#include "protocol/errors.h"

#include <QSslConfiguration>

namespace dpichat::server {

/// Loads a PEM certificate (optionally followed by its chain) and its PEM private key into a
/// server configuration for wss://. Fails with one line naming the file when either cannot be
/// read, is not PEM, or the key does not belong to the certificate.
Expected<QSslConfiguration> loadServerTls(const QString &certFile, const QString &keyFile);

} // namespace dpichat::server
