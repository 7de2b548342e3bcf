#pragma once

#include "codec.h"

#include <QByteArrayView>
#include <optional>

namespace dpichat {

/// The `send` request in its simple, common form, read without building a QJsonDocument:
/// one flat object of `type` "send", `thread`, `clientId`, `text` and an optional `id`, each
/// once, integers as JSON writes them, strings without `\u` escapes. Answers std::nullopt
/// for anything else (another request, another field, an error of any kind), and then
/// decodeRequest() decodes the frame the general way; whatever this accepts, the general
/// decoder decodes to the same frame (checked by the request fuzz target).
///
/// A send is every message's request: QJsonDocument took about a microsecond per frame, an
/// eighth of what the server spent per message at full speed (docs/performance.md).
std::optional<RequestFrame> scanSendRequest(QByteArrayView utf8);

} // namespace dpichat
